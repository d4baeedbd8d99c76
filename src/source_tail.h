/* source_tail.h - following one log file by name, like `tail -F`, through its rotations.
 *
 * Rotation by rename: the old file is read to its end (a last line without a newline is
 * delivered as it is), then every file rotated after it (NAME.N, NAME-DATE, their .gz forms:
 * see rotated.h), oldest first, then the file at the path from its start; so nothing is
 * skipped when rotations outpace the reader. copytruncate: the file shrinking below the read
 * offset, or starting with another first line, is truncated: the rest is read from the copy
 * (found by its first line) when there is one, then the file at the path from 0.
 * Delete and recreate: the path naming another inode is a rotation as above; a path that is
 * missing is waited for. A partial last line waits for its newline. Lines longer than
 * max_line are cut (flagged oversized) and the rest is skipped up to the newline.
 * The position after the last delivered line can be saved and restored exactly, in the file
 * at the path or in a rotated one. A part of the chain that is gone before it was read is a
 * gap: reported on stderr and counted.
 */
#ifndef SWL_SOURCE_TAIL_H
#define SWL_SOURCE_TAIL_H

#include "position.h"

struct swl_tail;

enum swl_tail_start { SWL_TAIL_HEAD, SWL_TAIL_END };

/* Follow path (copied). saved: a saved position of this path or NULL; used when it still
 * names the same file (inode and first-line hash) and the file is not shorter than the
 * offset; when that file was rotated (found among the rotated files by its first line and
 * inode), its rest is read first, then the files rotated after it, then the path's. With
 * no saved position an existing file starts at `start` (END: after its last complete line);
 * a file that appears later is read from its start. Never fails for a missing file. */
struct swl_tail *swl_tail_open(const char *path, size_t max_line, enum swl_tail_start start,
			       const struct swl_file_pos *saved);
void swl_tail_close(struct swl_tail *t);

/* Next complete line (no newline; a trailing CR removed), borrowed until the next call.
 * Returns 1 with a line, 0 when none is available now, or a negative errno. */
int swl_tail_next(struct swl_tail *t, const char **line, size_t *len, bool *oversized);

/* The position after the last delivered line (pos->path borrowed from t). */
void swl_tail_pos(struct swl_tail *t, struct swl_file_pos *pos);
const char *swl_tail_path(const struct swl_tail *t);

/* What happened so far, for self-metrics: files switched to after a rotation or
 * re-creation, truncations detected, and gaps (parts of the chain gone before they were read). */
uint64_t swl_tail_rotations(const struct swl_tail *t);
uint64_t swl_tail_truncations(const struct swl_tail *t);
uint64_t swl_tail_gaps(const struct swl_tail *t);
/* 0 while a file is open; otherwise why the path could not be opened the last time it was
 * tried (a negative errno: -ENOENT missing, -EACCES, -EISDIR or -EINVAL not a regular file). */
int swl_tail_open_error(const struct swl_tail *t);

#endif
