/* fileio.h - whole files: a bounded read, and an atomic replacement.
 *
 * Both retry on EINTR and return 0 or a negative errno; the caller words the message.
 */
#ifndef SWL_FILEIO_H
#define SWL_FILEIO_H

#include <sys/types.h>

#include "util.h"

/* Read fd to its end into *data (NUL-terminated; *len does not count the NUL; the caller frees
 * it). More than max bytes is -EFBIG. On failure the bytes read so far are wiped (they may be
 * a private key) and freed. */
int swl_read_all(int fd, size_t max, char **data, size_t *len);

/* open(2) path; when its directory does not exist, create it (one level, mode 0755) and try
 * again: a first start may name a directory that no one made yet. Returns the fd or -errno. */
int swl_open_mkdir(const char *path, int flags, mode_t mode);

enum {
	SWL_REPLACE_DURABLE = 1, /* fsync the file before the rename, and its directory after */
	SWL_REPLACE_MKDIR = 2,   /* create a missing directory, as swl_open_mkdir does */
};

/* Replace path by len bytes of data: they are written to a new temporary file in the same
 * directory (a hidden name with a random part, created exclusively, never through a
 * symlink), which is renamed over path, so a reader sees the old file or the new one, never
 * part of one. On failure the temporary file is removed, and *step (may be NULL) says what
 * failed: "create", "write", "fsync", "rename", or "fsync the directory of" (path is replaced
 * then). */
int swl_replace_file(const char *path, const void *data, size_t len, mode_t mode, unsigned flags, const char **step);

#endif
