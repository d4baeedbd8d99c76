/* wal.h - the write-ahead log of omprog mode: every message rsyslog hands over is appended
 * here (one write(2), O_APPEND) before it is applied and confirmed, so a message confirmed
 * to rsyslog is never lost when swanlog dies before its next state save.
 *
 * A record is "SEQ LINE\n": SEQ counts up from the state's saved sequence number, so a
 * restart re-applies exactly the records after the last save (the state file holds
 * "wal:SEQ" as its position), whether or not the log was cut after that save. After a save,
 * the log is cut down to its last record, which is kept only to recognise rsyslog sending
 * that same message again (see swl_wal_is_last).
 *
 * Durability: the records are in the page cache once write(2) returns, which survives a crash
 * of swanlog (SIGKILL, abort), not of the machine: there is no fsync per message.
 */
#ifndef SWL_WAL_H
#define SWL_WAL_H

#include "util.h"

struct swl_wal;

/* Open (create, mode 0600) path; max_line bounds a record's line. Returns 0 or -errno: -ELOOP
 * for a symlink, -EINVAL for a FIFO. */
int swl_wal_open(const char *path, size_t max_line, struct swl_wal **out);
void swl_wal_close(struct swl_wal *w);

/* Read every record; call fn(arg, line, len) for those with SEQ > after, in order. A torn
 * last record (no newline: a write cut short) is dropped. Afterwards the next append uses
 * max(after, highest SEQ seen) + 1. Returns the number of records applied or -errno. */
long swl_wal_replay(struct swl_wal *w, uint64_t after, void (*fn)(void *arg, const char *line, size_t len),
		    void *arg);

/* Append line (no newline in it) as the next record in one write. On failure (-ENOSPC, -EIO...)
 * whatever part was written is cut off again and the sequence number is not used. */
int swl_wal_append(struct swl_wal *w, const char *line, size_t len);

/* The sequence number of the last record appended or replayed (what a save covers). */
uint64_t swl_wal_seq(const struct swl_wal *w);

/* After a state save covering swl_wal_seq(): cut the log down to its last record, or to
 * nothing when !keep_last (no resend of it can come: the next start takes none for one). */
int swl_wal_checkpoint(struct swl_wal *w, bool keep_last);

/* Whether line is the newest record's line: rsyslog resends a message whose confirmation a
 * crash cut off, and it is then the first one the restarted swanlog reads. */
bool swl_wal_is_last(const struct swl_wal *w, const char *line, size_t len);

/* "wal:SEQ" for the state file's position, and back (-EINVAL when s is not one). */
void swl_wal_pos_format(uint64_t seq, char *out, size_t cap);
int swl_wal_pos_parse(const char *s, uint64_t *seq);

#endif
