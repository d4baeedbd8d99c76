/* position.h - where reading stopped, as a source saves it and the state file keeps it:
 * a cursor (a journal cursor, or omprog's "wal:SEQ") or, per followed file, where reading
 * stopped in it. */
#ifndef SWL_POSITION_H
#define SWL_POSITION_H

#include "util.h"

#define SWL_POS_HEAD_MAX 1024 /* bytes of a file's first line hashed to recognise it */

/* Where reading stopped in one followed file: after its last complete line, in the file at
 * its path or in one that file was rotated into (see rotated.h). */
struct swl_file_pos {
	char *path;          /* owned */
	uint64_t ino;
	uint64_t offset;     /* bytes consumed */
	bool skipping;       /* inside an oversized line: skip to its newline */
	uint32_t head_len;   /* bytes of its first line (at most SWL_POS_HEAD_MAX), 0: none yet */
	uint64_t head_hash;  /* swl_hash of those bytes */
	int64_t mtime_ns;    /* its mtime at the save, 0: unknown (older state files) */
};

struct swl_state_pos {
	char *cursor;                /* owned, or NULL */
	size_t nfiles;
	struct swl_file_pos *files;  /* owned */
};

void swl_state_pos_fini(struct swl_state_pos *p);

/* Which mode saved p: nothing yet, a journal cursor, omprog's write-ahead log position
 * ("wal:SEQ"), or followed files. */
enum swl_pos_kind { SWL_POS_NONE, SWL_POS_JOURNAL, SWL_POS_WAL, SWL_POS_FILES };
enum swl_pos_kind swl_state_pos_kind(const struct swl_state_pos *p);
/* who saves a position of kind k: "a journal follower", "omprog", "follow --file" */
const char *swl_pos_kind_name(enum swl_pos_kind k);
/* The saved position of path, or NULL. */
const struct swl_file_pos *swl_state_pos_file(const struct swl_state_pos *p, const char *path);

#endif
