/* scratch.h - a per-test scratch directory for the criterion tests that write files.
 * Define SWL_SCRATCH_TAG before including: scratch_init makes /tmp/swl_test_<tag>_XXXXXX
 * (usable as a suite's .init), scratch_fini removes it and all in it. */
#ifndef SWL_TEST_SCRATCH_H
#define SWL_TEST_SCRATCH_H

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char scratch[64];

static int scratch_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void scratch_init(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/swl_test_" SWL_SCRATCH_TAG "_XXXXXX");
	cr_assert_not_null(mkdtemp(scratch), "mkdtemp: %s", strerror(errno));
}

static inline void scratch_fini(void)
{
	if (scratch[0])
		nftw(scratch, scratch_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	scratch[0] = '\0';
}

/* A path under the scratch directory (static storage, rotating among a few). */
static inline const char *spath(const char *name)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof(bufs[0]), "%s/%s", scratch, name);
	return b;
}

#endif
