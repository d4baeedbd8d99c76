/* state.h - what follow mode must keep across restarts, saved atomically in one file.
 *
 * One file holds the source position (a journal cursor, or per followed file its inode,
 * offset, a hash of its first line and its mtime) together with every value of the registry and the
 * context memory and live keys. Both are written together, between entries, so a restart
 * neither loses an entry nor counts one twice.
 *
 * Format (text, versioned, one record a line, strings escaped so they hold no space):
 *   swanlog-state 1
 *   cursor CURSOR
 *   file PATH INODE OFFSET SKIPPING HEADLEN HEADHASH MTIME_NS   (MTIME_NS may be missing)
 *   family NAME TYPE NLABELS LABEL... NBOUNDS BOUND...
 *   series UPDATED_US VALUE SUM COUNT NBUCKETS BUCKET... LABELVALUE...   (belongs to the family above)
 *   ctx KEY SEEN_US NLABELS NAME VALUE ...
 *   live FAMILY KEY GROUP LABELVALUE...
 *   checksum HEX        (FNV-1a 64 of every byte before this line; always the last line)
 * Doubles are written as C99 hex floats, so they read back exactly. A string is escaped as
 * \xHH for bytes <= 0x20, 0x7f and backslash; the empty string is written "\-".
 */
#ifndef SWL_STATE_H
#define SWL_STATE_H

#include "context.h"
#include "position.h"
#include "registry.h"

#define SWL_STATE_MAGIC "swanlog-state 1"
#define SWL_STATE_MAX_BYTES (512u << 20) /* refuse to read (or write) more than this */

/* Write pos, every live family's series and the context to path atomically (a temporary
 * file in the same directory, fsync, rename, fsync of the directory). All borrowed.
 * Returns 0 or a negative errno with err set ("path: message"). */
int swl_state_save(const char *path, const struct swl_state_pos *pos, const struct swl_registry *reg,
		   const struct swl_context *ctx, struct swl_err *err);

/* Read path and restore into reg and ctx (both fresh, with the current rules declared):
 * counters and histograms are added, gauges set; families that are gone from the registry,
 * or changed type, labels or buckets, are dropped (*dropped counts their series). The whole
 * file is verified before anything is applied. pos receives the position (caller finis it).
 * Returns 0; -ENOENT when there is no state file; -EBADMSG when the file is corrupt,
 * truncated or not a state file (err says which and why); another negative errno when it
 * cannot be read. */
int swl_state_load(const char *path, struct swl_state_pos *pos, struct swl_registry *reg, struct swl_context *ctx,
		   size_t *dropped, struct swl_err *err);

#endif
