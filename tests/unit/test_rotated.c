/* test_rotated.c - a followed file's rotated siblings: ordered by last write (ties: NAME.2
 * before NAME.1), a .gz left out while its plain form is still there (being compressed), a
 * file recognised by its first line through gzip, and the path's own file next after the
 * newest; a hard link to the followed file itself is not one of them. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "position.h"
#include "rotated.h"
#define SWL_SCRATCH_TAG "rotated"
#include "scratch.h"

TestSuite(rotated, .init = scratch_init, .fini = scratch_fini);

/* name holds text (gzip-compressed when gz), last written at second sec */
static void put(const char *name, const char *text, bool gz, time_t sec)
{
	if (gz) {
		gzFile f = gzopen(spath(name), "wb");
		cr_assert_not_null(f);
		cr_assert_eq(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
		cr_assert_eq(gzclose(f), Z_OK);
	} else {
		FILE *f = fopen(spath(name), "w");
		cr_assert_not_null(f);
		fputs(text, f);
		cr_assert_eq(fclose(f), 0);
	}
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };
	cr_assert_eq(utimensat(AT_FDCWD, spath(name), ts, 0), 0);
}

/* What recognises a file whose first line is `head` and that was last written at sec. */
static struct swl_file_id id_of(const char *head, time_t sec)
{
	return (struct swl_file_id){ .mtime_ns = (int64_t)sec * 1000000000, .size = strlen(head),
				     .head_len = (uint32_t)strlen(head), .head_hash = swl_hash(SWL_HASH_INIT, head, strlen(head)) };
}

/* The name of the rotated file after id ("" for the path's own), found or not. */
static const char *next_after(struct swl_file_id id, bool *found)
{
	static char name[256];
	struct swl_rotated r;
	cr_assert_eq(swl_rotated_open(spath("app.log"), &id, false, &r), 0);
	*found = r.found;
	snprintf(name, sizeof(name), "%s", r.fd >= 0 ? r.name : "");
	if (r.fd >= 0)
		close(r.fd);
	return name;
}

Test(rotated, chain_in_the_order_written)
{
	put("app.log", "e\n", false, 1000);
	put("app.log.1", "d\n", false, 900);
	put("app.log.2", "c\n", false, 800);
	put("app.log.2.gz", "c", true, 800); /* being compressed: app.log.2 is still the one */
	put("app.log.3.gz", "b\n", true, 700);
	put("app.log-20261101", "a\n", false, 600);
	put("app.log.x", "not rotated\n", false, 650);
	bool found;
	cr_assert_str_eq(next_after(id_of("a\n", 600), &found), "app.log.3.gz");
	cr_assert(found);
	cr_assert_str_eq(next_after(id_of("b\n", 700), &found), "app.log.2");
	cr_assert(found);
	cr_assert_str_eq(next_after(id_of("c\n", 800), &found), "app.log.1");
	cr_assert_str_eq(next_after(id_of("d\n", 900), &found), "");
	cr_assert(found);
	/* a file no longer there: the oldest written after it */
	cr_assert_str_eq(next_after(id_of("gone\n", 750), &found), "app.log.2");
	cr_assert_not(found);

	/* the file itself, found by its first line through gzip */
	struct swl_rotated r;
	struct swl_file_id b = id_of("b\n", 700);
	cr_assert_eq(swl_rotated_open(spath("app.log"), &b, true, &r), 0);
	cr_assert_geq(r.fd, 0);
	cr_assert_str_eq(r.name, "app.log.3.gz");
	close(r.fd);
}

Test(rotated, same_mtime_numbered_higher_first)
{
	put("app.log", "z\n", false, 1000);
	put("app.log.1", "y\n", false, 500);
	put("app.log.2", "x\n", false, 500);
	bool found;
	cr_assert_str_eq(next_after(id_of("x\n", 500), &found), "app.log.1");
	cr_assert_str_eq(next_after(id_of("y\n", 500), &found), "");
}

Test(rotated, a_link_to_the_followed_file_is_left_out)
{
	put("app.log", "z\n", false, 1000);
	cr_assert_eq(link(spath("app.log"), spath("app.log.5")), 0);
	put("app.log.6.gz", "y\n", true, 900);
	bool found;
	cr_assert_str_eq(next_after(id_of("y\n", 900), &found), "");
	cr_assert(found);
	cr_assert_str_eq(next_after(id_of("x\n", 800), &found), "app.log.6.gz");
}
