/* source_omprog.h - rsyslog's omprog protocol with confirmMessages="on", logged ahead.
 *
 * rsyslog writes one message a line on in_fd (stdin) and waits for a reply on out_fd
 * (stdout) before it sends the next. Each message is appended to the write-ahead log
 * (wal.h), then applied, then confirmed with "OK\n"; when the append fails the reply is
 * "Error: ...\n" and nothing is applied (rsyslog sends the message again after its resume
 * interval). A line longer than max_line is cut there (oversized) and the rest of it skipped
 * up to its newline; a last line without a newline at the end of input is a message too.
 * On open, the log's records after the saved sequence number are applied again; the first
 * message after that may be rsyslog sending the log's last record again, because a crash cut
 * off its confirmation: it is confirmed and not applied twice.
 * Replies are written with write(2) at once: rsyslog waits for each.
 */
#ifndef SWL_SOURCE_OMPROG_H
#define SWL_SOURCE_OMPROG_H

#include "util.h"

/* What becomes of the messages. arg is handed back to each. */
struct swl_omprog_ops {
	/* A message in the log (a record applied again on open, or a new one before its OK):
	 * count it. oversized: cut at max_line. */
	void (*apply)(void *arg, const char *line, size_t len, bool oversized);
	/* A message rsyslog sent again after a crash: confirmed, not applied. */
	void (*resent)(void *arg);
	/* A message answered with an error: the log could not take it. */
	void (*refused)(void *arg);
	void *arg;
};

struct swl_omprog;

/* Open the write-ahead log at wal_path and apply its records after the sequence number
 * `after` (what the last state save covers); *replayed says how many. in_fd is to be
 * non-blocking: the caller polls it. ops is copied. Returns 0 or a negative errno. */
int swl_omprog_open(int in_fd, int out_fd, const char *wal_path, size_t max_line, uint64_t after,
		    const struct swl_omprog_ops *ops, struct swl_omprog **out, long *replayed);
void swl_omprog_close(struct swl_omprog *o);

/* Tell rsyslog that messages may come: the first "OK\n". */
void swl_omprog_ready(struct swl_omprog *o);

/* Handle up to max messages: the complete ones already read, then what one read(2) of in_fd
 * brings. *handled counts the messages answered, *applied those applied; *more says that more
 * may be waiting now. Returns 0, or a negative errno when in_fd could not be read (the input
 * is over then). */
int swl_omprog_read(struct swl_omprog *o, size_t max, size_t *handled, size_t *applied, bool *more);

/* Nothing more will come: the input ended and every message in it was handled, or rsyslog
 * is gone (a reply could not be written; what it was not told it sends to the next one). */
bool swl_omprog_done(const struct swl_omprog *o);

/* The log's sequence number a state save covers; after that save, cut the log. */
uint64_t swl_omprog_seq(const struct swl_omprog *o);
int swl_omprog_checkpoint(struct swl_omprog *o);

#endif
