/* test_source_tail.c - following a file: lines, partial lines, CR LF, the line limit, the
 * saved position and when it is (not) trusted, rotation and truncation, on real files. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_tail.h"

static char dir[64], path[128], path2[128];

static void setup(void)
{
	strcpy(dir, "/tmp/swl_test_tail_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(path2, sizeof(path2), "%s/log.1", dir);
}

static void teardown(void)
{
	unlink(path);
	unlink(path2);
	rmdir(dir);
}

TestSuite(tail, .init = setup, .fini = teardown);

static void append(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Everything available now, as "line|line|" with oversized lines marked by a trailing '!'. */
static char *drain(struct swl_tail *t)
{
	static char out[8192];
	size_t o = 0;
	const char *line;
	size_t len;
	bool over;
	int r;
	out[0] = '\0';
	while ((r = swl_tail_next(t, &line, &len, &over)) == 1)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s%s|", (int)len, line, over ? "!" : "");
	cr_assert_eq(r, 0, "next: %d", r);
	return out;
}

Test(tail, head_partial_line_and_crlf)
{
	append(path, "one\ntwo\r\nthr");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	cr_assert_str_eq(drain(t), "one|two|");
	append(path, "ee\n");
	cr_assert_str_eq(drain(t), "three|");
	swl_tail_close(t);
}

Test(tail, end_starts_after_the_last_complete_line)
{
	append(path, "old\nhalf");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_END, NULL);
	cr_assert_str_eq(drain(t), "");
	append(path, "way\nnew\n");
	cr_assert_str_eq(drain(t), "halfway|new|");
	swl_tail_close(t);
}

Test(tail, line_limit)
{
	char big[700];
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	char exact[258];
	memset(exact, 'y', 256);
	exact[256] = '\n';
	exact[257] = '\0';
	append(path, big);
	append(path, exact);
	append(path, "z\n");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	char want[1024];
	snprintf(want, sizeof(want), "%.256s!|%.256s|z|", big, exact);
	cr_assert_str_eq(drain(t), want);
	swl_tail_close(t);
}

/* Save after `first`, then reopen with that position. */
static struct swl_tail *reopen(struct swl_tail *t, struct swl_file_pos *pos)
{
	swl_tail_pos(t, pos);
	pos->path = path;
	swl_tail_close(t);
	return swl_tail_open(path, 256, SWL_TAIL_END, pos);
}

Test(tail, resume_at_saved_position)
{
	append(path, "a\nb\n");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	cr_assert_str_eq(drain(t), "a|b|");
	struct swl_file_pos pos;
	append(path, "c\n");
	t = reopen(t, &pos);
	cr_assert_eq(pos.offset, 4);
	cr_assert_eq(pos.head_len, 2);
	cr_assert_str_eq(drain(t), "c|");
	swl_tail_close(t);
}

Test(tail, resume_inside_an_oversized_line_skips_its_rest)
{
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	append(path, big);
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	const char *line;
	size_t len;
	bool over;
	cr_assert_eq(swl_tail_next(t, &line, &len, &over), 1);
	cr_assert(over);
	struct swl_file_pos pos;
	t = reopen(t, &pos);
	cr_assert(pos.skipping);
	append(path, "xx\nnext\n");
	cr_assert_str_eq(drain(t), "next|");
	swl_tail_close(t);
}

Test(tail, same_inode_other_content_is_read_from_the_start)
{
	append(path, "first line\nsecond\n");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	cr_assert_str_eq(drain(t), "first line|second|");
	struct swl_file_pos pos;
	swl_tail_pos(t, &pos);
	pos.path = path;
	swl_tail_close(t);
	/* rewritten in place (same inode), longer than before: only the first line tells */
	int fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	const char *text = "other line\nsecond\nthird\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	t = swl_tail_open(path, 256, SWL_TAIL_END, &pos);
	cr_assert_str_eq(drain(t), "other line|second|third|");
	swl_tail_close(t);
}

Test(tail, shorter_than_the_offset_is_read_from_the_start)
{
	append(path, "l1\nl2\nl3\n");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	cr_assert_str_eq(drain(t), "l1|l2|l3|");
	cr_assert_eq(truncate(path, 0), 0);
	append(path, "n1\n");
	cr_assert_str_eq(drain(t), "n1|");
	cr_assert_eq(swl_tail_truncations(t), 1);
	swl_tail_close(t);
}

Test(tail, rotation_drains_the_old_file_and_delivers_its_partial_line)
{
	append(path, "a\n");
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_HEAD, NULL);
	cr_assert_str_eq(drain(t), "a|");
	cr_assert_eq(rename(path, path2), 0);
	append(path2, "b\nunterminated");
	cr_assert_str_eq(drain(t), "b|", "the path is missing: the old file is still read");
	append(path, "new\n");
	cr_assert_str_eq(drain(t), "unterminated|new|");
	cr_assert_eq(swl_tail_rotations(t), 1);
	swl_tail_close(t);
}

Test(tail, missing_file_is_waited_for_and_read_whole)
{
	struct swl_tail *t = swl_tail_open(path, 256, SWL_TAIL_END, NULL);
	cr_assert_str_eq(drain(t), "");
	append(path, "born\n");
	cr_assert_str_eq(drain(t), "born|");
	swl_tail_close(t);
}
