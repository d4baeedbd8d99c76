/* lines.h - a bounded line reader over a plain or gzip file, or stdin ("-"): replay's log
 * files (source_ahead.h) and the write-ahead log (wal.h) are read with it. */
#ifndef SWL_LINES_H
#define SWL_LINES_H

#include <sys/types.h>
#include <time.h>

#include "util.h"

#define SWL_DEFAULT_MAX_LINE 65536

struct swl_lines;

/* Open path ("-" = stdin); gzip is detected by content, not name. Lines longer than max_line
 * are cut to max_line bytes (the rest is skipped) and flagged oversized.
 * Returns 0 or a negative errno. */
int swl_lines_open(const char *path, size_t max_line, struct swl_lines **out);
/* Next line, without its newline (a final line without one counts too). The line is borrowed
 * until the next call. Returns 1 with a line, 0 at end of input, or a negative errno. */
int swl_lines_next(struct swl_lines *l, const char **line, size_t *len, bool *oversized);
/* The next n bytes as they are, newlines included, after the line last returned (which is no
 * longer valid then): copied to buf, or skipped when buf is NULL (the journal export format's
 * binary field values). Returns how many were there (fewer than n at the end of input), or a
 * negative errno. */
ssize_t swl_lines_read(struct swl_lines *l, void *buf, size_t n);
/* The file's mtime (now for stdin): the reference for classic syslog's missing year. */
time_t swl_lines_mtime(const struct swl_lines *l);
/* The file's size in bytes, 0 when unknown (stdin, a pipe); and how many of them were read so
 * far (compressed bytes for gzip: the part of the file done). swl_lines_consumed may be called
 * from another thread than the reader's. */
uint64_t swl_lines_size(const struct swl_lines *l);
uint64_t swl_lines_consumed(struct swl_lines *l);
void swl_lines_close(struct swl_lines *l);

#endif
