/* source_ahead.h - replay's line source: a file read, split and parsed on a second thread.
 *
 * Reading, splitting and parsing the header of every line costs about as much as the rules
 * cost on the lines they want; on two threads the two overlap. The reader thread owns the
 * swl_lines and the parser from swl_ahead_start to swl_ahead_stop; it copies lines into a few
 * fixed batches and parses them there, and the calling thread takes the events in order. The
 * rules, the registry and the context stay on the calling thread: nothing else is shared.
 * Memory is bounded: SWL_AHEAD_BATCHES batches of SWL_AHEAD_TEXT bytes of text (or one line of
 * up to max_line bytes) and SWL_AHEAD_LINES events.
 */
#ifndef SWL_SOURCE_AHEAD_H
#define SWL_SOURCE_AHEAD_H

#include "parse.h"
#include "source.h"

#define SWL_AHEAD_BATCHES 4
#define SWL_AHEAD_TEXT (128u * 1024u)
#define SWL_AHEAD_LINES 1024u

struct swl_ahead;

/* One line as the reader parsed it: the event borrows from the reader's batch. */
struct swl_ahead_line {
	struct swl_event *ev; /* valid until the next swl_ahead_next */
	bool parsed;          /* a header was recognised (swl_parse_line returned 0) */
	bool oversized;       /* the line was cut at max_line */
};

/* Start reading l with parser ps (both lent to the reader thread until swl_ahead_stop).
 * Returns 0 or a negative errno (no thread could be started). */
int swl_ahead_start(struct swl_lines *l, struct swl_parser *ps, struct swl_ahead **out);
/* The next line: 1 with *line filled, 0 at the end of the input, or a negative errno (a read
 * error, after every line read before it). */
int swl_ahead_next(struct swl_ahead *a, struct swl_ahead_line *line);
/* Stop the reader (at any point) and free the batches; l and ps are the caller's again. */
void swl_ahead_stop(struct swl_ahead *a);

#endif
