/* rotated.c - a followed file's rotated siblings, in the order they were written (see rotated.h). */
#include "rotated.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "position.h"

#define SCAN_MAX 100000   /* directory entries looked at */
#define SIBLINGS_MAX 1000 /* rotated files considered */
#define TRIES 8           /* looks at the directory while files move under them */

struct sib {
	char *name;
	uint64_t ino, size;
	int64_t mtime;
	unsigned long long num; /* NAME.N: N */
	bool numbered, gz;
};

struct list {
	struct sib *s;
	size_t n;
};

static void list_fini(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i].name);
	free(l->s);
	*l = (struct list){ 0 };
}

/* NAME.DIGITS or NAME-DIGIT[DIGITS-_.]..., perhaps with .gz: one of base's rotated names. */
static bool rotated_name(const char *base, size_t blen, const char *name, struct sib *sb)
{
	if (strncmp(name, base, blen) != 0)
		return false;
	const char *s = name + blen;
	size_t n = strlen(s);
	sb->gz = n > 3 && memcmp(s + n - 3, ".gz", 3) == 0;
	if (sb->gz)
		n -= 3;
	if (n < 2 || (s[0] != '.' && s[0] != '-') || s[1] < '0' || s[1] > '9')
		return false;
	sb->numbered = s[0] == '.';
	sb->num = 0;
	for (size_t i = 1; i < n; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		if (!digit && (sb->numbered || !strchr("-_.", s[i])))
			return false;
		if (sb->numbered && sb->num < ULLONG_MAX / 10)
			sb->num = sb->num * 10 + (unsigned long long)(s[i] - '0');
	}
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sib *)a)->name, ((const struct sib *)b)->name);
}

/* Written earlier first: by mtime, then NAME.2 before NAME.1, then by name. */
static int by_age(const void *a, const void *b)
{
	const struct sib *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	if (x->numbered && y->numbered && x->num != y->num)
		return x->num > y->num ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* One pass over the directory: base's rotated regular files, by name. */
static int scan_once(DIR *d, const char *base, struct list *l)
{
	size_t blen = strlen(base), cap = 0;
	rewinddir(d);
	struct dirent *de;
	errno = 0;
	for (size_t seen = 0; seen < SCAN_MAX && l->n < SIBLINGS_MAX && (de = readdir(d)); seen++) {
		struct sib sb;
		struct stat st;
		if (!rotated_name(base, blen, de->d_name, &sb) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		sb.name = swl_xstrdup(de->d_name);
		sb.ino = (uint64_t)st.st_ino;
		sb.size = (uint64_t)st.st_size;
		sb.mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 16;
			l->s = swl_xrealloc(l->s, cap * sizeof(*l->s));
		}
		l->s[l->n++] = sb;
	}
	if (l->n)
		qsort(l->s, l->n, sizeof(*l->s), by_name);
	return 0;
}

static bool same_list(const struct list *a, const struct list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->s[i].ino != b->s[i].ino || strcmp(a->s[i].name, b->s[i].name) != 0)
			return false;
	return true;
}

/* The rotated files, oldest first: a listing taken twice alike (a rename during a pass may
 * hide a file from it), a .gz dropped while its uncompressed form is still there, and a
 * link to the followed file itself left out. */
static void scan(DIR *d, const char *base, uint64_t path_ino, struct list *out)
{
	struct list a = { 0 }, b = { 0 };
	scan_once(d, base, &a);
	for (int i = 0; i < TRIES; i++) {
		scan_once(d, base, &b);
		bool same = same_list(&a, &b);
		list_fini(&a);
		a = b;
		b = (struct list){ 0 };
		if (same)
			break;
	}
	/* which to leave out, decided before any is removed (the check reads the others' names) */
	bool *drop = swl_xcalloc(a.n ? a.n : 1, sizeof(*drop));
	for (size_t i = 0; i < a.n; i++) {
		struct sib *s = &a.s[i];
		drop[i] = s->ino == path_ino;
		if (s->gz) {
			size_t stem = strlen(s->name) - 3;
			for (size_t j = 0; j < a.n && !drop[i]; j++)
				drop[i] = !a.s[j].gz && strlen(a.s[j].name) == stem && memcmp(a.s[j].name, s->name, stem) == 0;
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (drop[i])
			free(a.s[i].name);
		else
			a.s[k++] = a.s[i];
	}
	free(drop);
	a.n = k;
	if (a.n)
		qsort(a.s, a.n, sizeof(*a.s), by_age);
	*out = a;
}

/* Open a listed file; -ESTALE when the name no longer is that file. */
static int open_sib(DIR *d, const struct sib *s)
{
	int fd = openat(dirfd(d), s->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? -ESTALE : -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != s->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* Does the file start with id's first line? 1, 0, or -ESTALE. */
static int head_matches(DIR *d, const struct sib *s, const struct swl_file_id *id)
{
	int fd = open_sib(d, s);
	if (fd < 0)
		return fd == -ESTALE ? fd : 0;
	gzFile gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return 0;
	}
	char head[SWL_POS_HEAD_MAX];
	int n = id->head_len <= sizeof(head) ? gzread(gz, head, id->head_len) : -1;
	gzclose(gz);
	return n == (int)id->head_len && swl_hash(SWL_HASH_INIT, head, (size_t)n) == id->head_hash;
}

/* Where id is in l: 1 with *at, 0 when it is not there, or -ESTALE. Its mtime cannot be older
 * than id's, nor an uncompressed one shorter; of several with its first line, the one with
 * its inode, else the oldest. */
static int locate(DIR *d, const struct list *l, const struct swl_file_id *id, size_t *at)
{
	bool any = false;
	for (size_t i = 0; i < l->n; i++) {
		const struct sib *s = &l->s[i];
		if (s->mtime < id->mtime_ns || (!s->gz && s->size < id->size))
			continue;
		bool same_ino = !s->gz && id->ino && s->ino == id->ino;
		int r = id->head_len ? head_matches(d, s, id) : same_ino;
		if (r < 0)
			return r;
		if (r && (same_ino || !any))
			*at = i;
		if (r && same_ino)
			return 1;
		any |= r;
	}
	return any;
}

int swl_rotated_open(const char *path, const struct swl_file_id *id, bool self, struct swl_rotated *out)
{
	*out = (struct swl_rotated){ .fd = -1 };
	char *dcopy = swl_xstrdup(path), *bcopy = swl_xstrdup(path);
	const char *base = basename(bcopy);
	DIR *d = opendir(dirname(dcopy));
	int r = d ? 0 : -errno;
	struct stat st;
	uint64_t path_ino = stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
	for (int t = 0; d && t < TRIES; t++) {
		struct list l;
		scan(d, base, path_ino, &l);
		size_t at = 0, pick = l.n;
		r = locate(d, &l, id, &at);
		if (r >= 0) {
			out->found = r == 1;
			if (self)
				pick = out->found ? at : l.n;
			else if (out->found)
				pick = at + 1;
			else
				for (pick = 0; pick < l.n && l.s[pick].mtime < id->mtime_ns; pick++)
					;
			r = pick < l.n ? open_sib(d, &l.s[pick]) : 0;
		}
		if (r >= 0 && pick < l.n) {
			out->fd = r;
			out->ino = l.s[pick].ino;
			snprintf(out->name, sizeof(out->name), "%s", l.s[pick].name);
			r = 0;
		}
		list_fini(&l);
		if (r != -ESTALE)
			break;
	}
	if (r == -ESTALE)
		r = -EAGAIN; /* the files kept moving: to be looked at again */
	if (d)
		closedir(d);
	free(dcopy);
	free(bcopy);
	return r;
}
