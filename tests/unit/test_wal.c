/* test_wal.c - omprog's write-ahead log: records replayed after the saved sequence number
 * only, a torn last record dropped and cut off, checkpoints keep the last record for resend
 * recognition without applying it again, the position string round-trips. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wal.h"

static char dir[64], path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/swl_test_wal_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.wal", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(wal, .init = setup, .fini = teardown);

struct seen {
	size_t n;
	char lines[16][64];
};

static void collect(void *arg, const char *line, size_t len)
{
	struct seen *s = arg;
	cr_assert_lt(s->n, 16);
	cr_assert_lt(len, 64);
	memcpy(s->lines[s->n], line, len);
	s->lines[s->n][len] = '\0';
	s->n++;
}

static void file_is(const char *want)
{
	char buf[512] = { 0 };
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

Test(wal, append_replay_after_checkpoint)
{
	struct swl_wal *w;
	cr_assert_eq(swl_wal_open(path, 100, &w), 0);
	struct seen s = { 0 };
	cr_assert_eq(swl_wal_replay(w, 0, collect, &s), 0);
	cr_assert_eq(swl_wal_append(w, "one", 3), 0);
	cr_assert_eq(swl_wal_append(w, "two", 3), 0);
	cr_assert_eq(swl_wal_seq(w), 2);
	file_is("1 one\n2 two\n");
	swl_wal_close(w);

	/* saved at 1: only "two" is applied again; the next append is 3 */
	cr_assert_eq(swl_wal_open(path, 100, &w), 0);
	cr_assert_eq(swl_wal_replay(w, 1, collect, &s), 1);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.lines[0], "two");
	cr_assert(swl_wal_is_last(w, "two", 3));
	cr_assert_not(swl_wal_is_last(w, "one", 3));
	cr_assert_eq(swl_wal_append(w, "three", 5), 0);
	cr_assert_eq(swl_wal_seq(w), 3);
	/* a save at 3, then the cut: the last record stays, and is never applied again */
	cr_assert_eq(swl_wal_checkpoint(w, true), 0);
	file_is("3 three\n");
	swl_wal_close(w);
	cr_assert_eq(swl_wal_open(path, 100, &w), 0);
	s.n = 0;
	cr_assert_eq(swl_wal_replay(w, 3, collect, &s), 0);
	cr_assert(swl_wal_is_last(w, "three", 5));
	cr_assert_eq(swl_wal_append(w, "four", 4), 0);
	file_is("3 three\n4 four\n");
	swl_wal_close(w);
}

Test(wal, saved_beyond_the_log)
{
	/* the state was saved at 7 and the log cut before a crash: numbering goes on from 7 */
	struct swl_wal *w;
	cr_assert_eq(swl_wal_open(path, 100, &w), 0);
	struct seen s = { 0 };
	cr_assert_eq(swl_wal_replay(w, 7, collect, &s), 0);
	cr_assert_eq(swl_wal_append(w, "x", 1), 0);
	cr_assert_eq(swl_wal_seq(w), 8);
	file_is("8 x\n");
	swl_wal_close(w);
}

Test(wal, torn_last_record)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	const char text[] = "1 a\n2 b\n3 half of a rec";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct swl_wal *w;
	cr_assert_eq(swl_wal_open(path, 100, &w), 0);
	struct seen s = { 0 };
	cr_assert_eq(swl_wal_replay(w, 0, collect, &s), 2);
	cr_assert_str_eq(s.lines[1], "b");
	cr_assert_eq(swl_wal_seq(w), 2);
	cr_assert(swl_wal_is_last(w, "b", 1));
	cr_assert_eq(swl_wal_append(w, "c", 1), 0);
	file_is("1 a\n2 b\n3 c\n");
	swl_wal_close(w);
}

Test(wal, malformed_records_are_skipped)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	const char text[] = "1 a\ngarbage\n\n2 b\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct swl_wal *w;
	cr_assert_eq(swl_wal_open(path, 100, &w), 0);
	struct seen s = { 0 };
	cr_assert_eq(swl_wal_replay(w, 0, collect, &s), 2);
	cr_assert_str_eq(s.lines[0], "a");
	cr_assert_str_eq(s.lines[1], "b");
	swl_wal_close(w);
}

Test(wal, append_fails_on_a_full_device)
{
	struct swl_wal *w;
	/* /dev/full: every write fails with ENOSPC; nothing is counted */
	if (access("/dev/full", W_OK) != 0)
		cr_skip_test("no /dev/full");
	cr_assert_eq(swl_wal_open("/dev/full", 100, &w), 0);
	cr_assert_eq(swl_wal_append(w, "x", 1), -ENOSPC);
	cr_assert_eq(swl_wal_seq(w), 0);
	cr_assert_not(swl_wal_is_last(w, "x", 1));
	swl_wal_close(w);
}

Test(wal, position_string)
{
	char buf[32];
	uint64_t seq;
	swl_wal_pos_format(18446744073709551615ULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "wal:18446744073709551615");
	cr_assert_eq(swl_wal_pos_parse(buf, &seq), 0);
	cr_assert_eq(seq, 18446744073709551615ULL);
	cr_assert_eq(swl_wal_pos_parse("wal:", &seq), -EINVAL);
	cr_assert_eq(swl_wal_pos_parse("wal:-1", &seq), -EINVAL);
	cr_assert_eq(swl_wal_pos_parse("wal:12x", &seq), -EINVAL);
	cr_assert_eq(swl_wal_pos_parse("s=abc;i=1", &seq), -EINVAL);
}

/* A symlink or a FIFO where the log goes (a directory others may write to) is refused: the log
 * is never written through a link, and a FIFO would block the start. */
Test(wal, refuses_symlink_and_fifo)
{
	char target[160];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	cr_assert_eq(symlink(target, path), 0);
	struct swl_wal *w = NULL;
	cr_assert_eq(swl_wal_open(path, 128, &w), -ELOOP);
	cr_assert_null(w);
	cr_assert_eq(access(target, F_OK), -1, "nothing created through the link");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(swl_wal_open(path, 128, &w), -EINVAL);
	cr_assert_null(w);
}
