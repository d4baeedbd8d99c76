/* fileio.c - a bounded whole-file read and an atomic replacement (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int swl_read_all(int fd, size_t max, char **data, size_t *len)
{
	struct swl_buf b;
	swl_buf_init(&b, max);
	char chunk[65536];
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		if (swl_buf_add(&b, chunk, (size_t)n) < 0) {
			r = -EFBIG;
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (r < 0) {
		if (b.p)
			explicit_bzero(b.p, b.cap);
		swl_buf_fini(&b);
		return r;
	}
	*data = swl_buf_steal(&b, len); /* swl_buf keeps a NUL after its bytes */
	return 0;
}

int swl_open_mkdir(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags, mode);
	if (fd < 0 && errno == ENOENT) {
		char *copy = swl_xstrdup(path);
		if (mkdir(dirname(copy), 0755) == 0)
			fd = open(path, flags, mode);
		free(copy);
	}
	return fd < 0 ? -errno : fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -ENOSPC;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	char *copy = swl_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* A new temporary file next to path: "DIR/.BASE.XXXXXXXXXXXX" (random, so no one can plant a
 * link at its name in advance), created exclusively and never through a symlink. Returns the
 * fd (its name in *tmp, the caller frees it) or -errno. */
static int create_tmp(const char *path, mode_t mode, unsigned flags, char **tmp)
{
	char *dcopy = swl_xstrdup(path), *bcopy = swl_xstrdup(path);
	const char *dir = dirname(dcopy), *base = basename(bcopy);
	size_t n = strlen(path) + 32;
	*tmp = swl_xmalloc(n);
	int fd = -EEXIST;
	for (int i = 0; i < 100 && fd == -EEXIST; i++) {
		uint64_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			fd = -errno;
			break;
		}
		snprintf(*tmp, n, "%s/.%s.%012" PRIx64, dir, base, rnd & UINT64_C(0xffffffffffff));
		int oflags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
		fd = flags & SWL_REPLACE_MKDIR ? swl_open_mkdir(*tmp, oflags, mode) : open(*tmp, oflags, mode);
		if (!(flags & SWL_REPLACE_MKDIR) && fd < 0)
			fd = -errno;
	}
	free(dcopy);
	free(bcopy);
	return fd;
}

int swl_replace_file(const char *path, const void *data, size_t len, mode_t mode, unsigned flags, const char **step)
{
	char *tmp;
	const char *what = "create";
	int fd = create_tmp(path, mode, flags, &tmp);
	int r = 0;
	if (fd < 0) {
		r = fd;
		goto out;
	}
	what = "write";
	r = write_all(fd, data, len);
	if (r == 0 && (flags & SWL_REPLACE_DURABLE) && fsync(fd) < 0) {
		what = "fsync";
		r = -errno;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0) {
		what = "rename";
		r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
	} else if (flags & SWL_REPLACE_DURABLE) {
		what = "fsync the directory of";
		r = fsync_dir(path);
	}
out:
	free(tmp);
	if (step)
		*step = what;
	return r;
}
