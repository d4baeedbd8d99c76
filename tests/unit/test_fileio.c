/* test_fileio.c - the bounded whole-file read (exactly max bytes read, one more refused, a
 * NUL after the bytes) and the atomic replacement (no temporary file left, the directory made
 * on request, the step that failed named, the old file kept when it fails). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#define SWL_SCRATCH_TAG "fileio"
#include "scratch.h"

TestSuite(fileio, .init = scratch_init, .fini = scratch_fini);

static void put(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(text, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* Read path with swl_read_all; returns its result. */
static int read_path(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	int r = swl_read_all(fd, max, data, len);
	close(fd);
	return r;
}

Test(fileio, read_all_is_bounded)
{
	static char big[200000];
	memset(big, 'x', sizeof(big));
	big[4] = '\0'; /* NUL bytes are data like any other */
	put(spath("f"), big, sizeof(big));
	char *data = NULL;
	size_t len = 0;
	cr_assert_eq(read_path(spath("f"), sizeof(big), &data, &len), 0);
	cr_assert_eq(len, sizeof(big));
	cr_assert_eq(memcmp(data, big, len), 0);
	cr_assert_eq(data[len], '\0');
	free(data);
	data = NULL;
	cr_assert_eq(read_path(spath("f"), sizeof(big) - 1, &data, &len), -EFBIG);
	cr_assert_null(data);

	put(spath("empty"), "", 0);
	cr_assert_eq(read_path(spath("empty"), 10, &data, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_str_eq(data, "");
	free(data);
}

Test(fileio, read_all_reports_read_errors)
{
	int fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	char *data = NULL;
	size_t len;
	cr_assert_eq(swl_read_all(fd, 100, &data, &len), -EISDIR);
	cr_assert_null(data);
	close(fd);
}

static char *slurp(const char *path)
{
	char *data;
	size_t len;
	cr_assert_eq(read_path(path, 1 << 20, &data, &len), 0);
	return data;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Entries in directory dir (none of . and ..): a temporary file left behind shows. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

Test(fileio, replace_file)
{
	const char *step = NULL;
	umask(022);
	put(spath("out"), "old\n", 4);
	cr_assert_eq(swl_replace_file(spath("out"), "new\n", 4, 0640, 0, &step), 0);
	char *got = slurp(spath("out"));
	cr_assert_str_eq(got, "new\n");
	free(got);
	cr_assert_eq(entries(scratch), 1);
	struct stat st;
	cr_assert_eq(stat(spath("out"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);

	cr_assert_eq(swl_replace_file(spath("d/out"), "x", 1, 0600, SWL_REPLACE_DURABLE, &step),
		     -ENOENT);
	cr_assert_str_eq(step, "create");
	cr_assert_not(exists(spath("d")));
	cr_assert_eq(swl_replace_file(spath("d/out"), "x", 1, 0600,
				      SWL_REPLACE_DURABLE | SWL_REPLACE_MKDIR, &step),
		     0);
	got = slurp(spath("d/out"));
	cr_assert_str_eq(got, "x");
	free(got);
	cr_assert_eq(entries(spath("d")), 1);
}

Test(fileio, replace_never_writes_through_a_planted_link)
{
	/* links at the names a temporary file might have had: none is followed */
	put(spath("victim"), "keep", 4);
	const char *names[] = { "out.tmp", ".out.tmp", "out.tmp.1" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		cr_assert_eq(symlink(spath("victim"), spath(names[i])), 0);
	const char *step = NULL;
	cr_assert_eq(swl_replace_file(spath("out"), "new", 3, 0600, 0, &step), 0);
	char *got = slurp(spath("victim"));
	cr_assert_str_eq(got, "keep");
	free(got);
	struct stat st;
	cr_assert_eq(lstat(spath("out"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(entries(scratch), 5);
}

Test(fileio, failed_replace_keeps_the_old_file)
{
	/* a directory where the file should be: the rename fails, the temporary file goes */
	cr_assert_eq(mkdir(spath("taken"), 0700), 0);
	put(spath("taken/x"), "keep", 4);
	const char *step = NULL;
	cr_assert_eq(swl_replace_file(spath("taken"), "new", 3, 0600, 0, &step), -EISDIR);
	cr_assert_str_eq(step, "rename");
	cr_assert_eq(entries(scratch), 1);
	char *got = slurp(spath("taken/x"));
	cr_assert_str_eq(got, "keep");
	free(got);
}

Test(fileio, open_mkdir)
{
	int fd = swl_open_mkdir(spath("new/lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	close(fd);
	cr_assert(exists(spath("new/lock")));
	/* one level only */
	cr_assert_eq(swl_open_mkdir(spath("a/b/lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0600), -ENOENT);
}
