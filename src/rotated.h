/* rotated.h - the files a followed log was rotated into, and which of them is which.
 *
 * Rotation renames NAME to NAME.1 (shifting NAME.1 to NAME.2, ...) or to NAME-DATE, and may
 * compress the result to .gz; copytruncate copies NAME to such a name and empties NAME in
 * place. The rotated files of NAME are the regular files in its directory named
 * NAME.DIGITS or NAME-DIGIT[DIGITS-_.]..., each perhaps ending in .gz (while both NAME.1 and
 * NAME.1.gz are there, the .gz is still being written: NAME.1 is the one). They are ordered
 * by when they were last written (their mtime, which rename keeps and logrotate keeps when
 * it compresses), ties by name (NAME.2 before NAME.1, NAME-20260101 before NAME-20260102).
 * A file is recognised wherever it went by a hash of its first line (read through gzip when
 * it is compressed) and, while it is not compressed, by its inode.
 */
#ifndef SWL_ROTATED_H
#define SWL_ROTATED_H

#include "util.h"

/* What recognises one log file. */
struct swl_file_id {
	uint64_t ino;        /* 0: unknown */
	int64_t mtime_ns;    /* its last write as far as known (it only grows); 0: unknown */
	uint64_t size;       /* bytes known to be in it */
	uint32_t head_len;   /* bytes of its first line hashed (at most SWL_POS_HEAD_MAX); 0: none */
	uint64_t head_hash;  /* swl_hash of them */
};

/* A rotated file, opened. */
struct swl_rotated {
	int fd;              /* at its start; read it through zlib (it may be compressed). -1: none */
	uint64_t ino;
	bool found;          /* the file asked about is among the rotated files */
	char name[256];      /* its name in the directory, for messages */
};

/* Look for id among path's rotated files. self: open that file. !self: open the oldest
 * rotated file written after it (when id is not among them: after id->mtime_ns, or every
 * one when that is unknown); none (fd -1) means path itself is next. Returns 0; -EAGAIN
 * when the files kept moving while they were looked at (ask again later); another negative
 * errno when the directory cannot be read. out->fd is -1 on errors. */
int swl_rotated_open(const char *path, const struct swl_file_id *id, bool self, struct swl_rotated *out);

#endif
