/* source_ahead.h - replay's line source: a file read, split and parsed on a second thread.
 *
 * Reading, splitting and parsing the header of every line costs about as much as the rules
 * cost on the lines they want; on two threads the two overlap. The reader thread owns the
 * swl_lines and the parser from swl_ahead_start to swl_ahead_stop; it parses each line where
 * it was read, copies the lines the filter wants (with their events) into a few fixed batches,
 * and the calling thread takes the events in order. The second copies of charon's messages
 * (twins.h) are told on the reader thread too, which sees every line. The rules, the registry and the context
 * stay on the calling thread: nothing else is shared.
 * Memory is bounded: SWL_AHEAD_BATCHES batches of SWL_AHEAD_LINES lines, of which at most
 * SWL_AHEAD_WANTED wanted ones with SWL_AHEAD_TEXT bytes of text (or one line of up to
 * max_line bytes). Lines the filter turns down keep only their time and flags, and a run of
 * them with one time (and nothing unusual) is one record.
 */
#ifndef SWL_SOURCE_AHEAD_H
#define SWL_SOURCE_AHEAD_H

#include "lines.h"
#include "parse_syslog.h"

#define SWL_AHEAD_BATCHES 4
#define SWL_AHEAD_LINES 2048u
#define SWL_AHEAD_WANTED 512u
#define SWL_AHEAD_TEXT (64u * 1024u)

struct swl_ahead;

/* One line as the reader parsed it, or a run of lines the filter turned down: the event
 * borrows from the reader's batch. */
struct swl_ahead_line {
	struct swl_event *ev; /* valid until the next swl_ahead_next; only time_us when tag is 0 */
	size_t lines;         /* 1, or more for a run: tag 0, parsed, not oversized, one time_us */
	bool parsed;          /* a header was recognised (swl_parse_line returned 0) */
	bool oversized;       /* the line was cut at max_line */
	uint64_t tag;         /* what the filter said: 0 = turned down (1 without a filter) */
	bool twin;            /* the second copy of a charon message (twins.h): count it, apply nothing */
};

/* Which parsed lines the caller wants whole: 0 for none, else a tag handed back with the line
 * (replay: which rules may match it). The others come back as their time and flags only, so
 * that most lines cost the calling thread next to nothing. Called on the reader thread: it may
 * only read what no one changes while the reader runs. */
typedef uint64_t swl_ahead_filter(const struct swl_event *ev, const void *arg);

/* Start reading l with parser ps (both lent to the reader thread until swl_ahead_stop);
 * filter (may be NULL) with its arg. Returns 0 or a negative errno (no thread could start). */
int swl_ahead_start(struct swl_lines *l, struct swl_parser *ps, swl_ahead_filter *filter, const void *filter_arg,
		    struct swl_ahead **out);
/* The next line: 1 with *line filled, 0 at the end of the input, or a negative errno (a read
 * error, after every line read before it). */
int swl_ahead_next(struct swl_ahead *a, struct swl_ahead_line *line);
/* Stop the reader (at any point) and free the batches; l and ps are the caller's again. */
void swl_ahead_stop(struct swl_ahead *a);

#endif
