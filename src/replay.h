/* replay.h - the replay mode: archived logs read in the order given, through the pipeline,
 * and the final values (with a step, also their history) written out once at the end. Times
 * come from the logs, never from the wall clock.
 */
#ifndef SWL_REPLAY_H
#define SWL_REPLAY_H

#include <stdio.h>

#include "expo.h"
#include "pipeline.h"

struct swl_replay_opts {
	const char *const *paths;  /* log files, journal files, "-" for stdin; in this order */
	size_t npaths;
	int year;                  /* year of the first classic syslog line, or 0: each file's mtime's */
	size_t max_line;
	enum swl_format format;
	int64_t step_us;           /* with OpenMetrics: a sample per series every step_us of log time */
};

/* Replay every path into p (wired: registry, rules, context; borrowed) and write the
 * exposition to out. An input that cannot be read is reported on stderr and the next one
 * read. Returns 0, or 1 when an input could not be read or the output not written. */
int swl_replay_run(const struct swl_replay_opts *o, struct swl_pipeline *p, FILE *out);

#endif
