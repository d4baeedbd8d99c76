/* replay.h - the replay mode: archived logs read in the order given, through the pipeline,
 * and the final values (with a step, also their history) written out once at the end. Times
 * come from the logs, never from the wall clock.
 */
#ifndef SWL_REPLAY_H
#define SWL_REPLAY_H

#include <stdio.h>

#include "expo.h"
#include "pipeline.h"

#define SWL_REPLAY_MAX_LABELS 16
#define SWL_REPLAY_NOTHING_PARSED 3 /* swl_replay_run's status when an input held nothing to read */

struct swl_replay_opts {
	const char *const *paths;  /* log files, journal files, "-" for stdin; in this order */
	size_t npaths;
	int year;                  /* year of the first classic syslog line, or 0: each file's mtime's */
	size_t max_line;
	enum swl_format format;
	int64_t step_us;           /* with OpenMetrics: a sample per series every step_us of log time */
	bool self_metrics;         /* also swanlog's own metrics (swanlog_*) */
	const char *labels[SWL_REPLAY_MAX_LABELS]; /* --label NAME=VALUE, checked by swl_replay_label */
	size_t nlabels;
	bool progress;             /* progress lines on stderr (a terminal) */
};

/* Check one --label NAME=VALUE (borrowed) and add it to o. NAME: [a-zA-Z_][a-zA-Z0-9_]*, not
 * starting with __ (reserved) and not le (a histogram's); given once. VALUE: not empty, valid
 * UTF-8, at most SWL_LABEL_VALUE_MAX bytes (escaped in the output). Returns NULL, or why not. */
const char *swl_replay_label(struct swl_replay_opts *o, const char *arg);

/* Replay every path into p (wired: registry, rules, context; borrowed) and write the
 * exposition to out: the rules' metrics, with o->self_metrics swanlog's own too, each series
 * with the --label labels first. An input that cannot be read is reported on stderr and the
 * next one read. Returns 0; 1 when an input could not be read or the output not written;
 * 2 when a --label names a label a printed metric has already (nothing is read); or
 * SWL_REPLAY_NOTHING_PARSED when an input had lines but none in a form swanlog reads (said on
 * stderr; the output is written all the same). Inputs with no line at all are noted on stderr. */
/* Replay every path into p, in order, and return: 0; 1 when an input could not be read; or
 * SWL_REPLAY_NOTHING_PARSED (both said on stderr). swl_replay_run and swanlog report use it;
 * o->format, labels and self_metrics are not read here. */
int swl_replay_read(const struct swl_replay_opts *o, struct swl_pipeline *p);
int swl_replay_run(const struct swl_replay_opts *o, struct swl_pipeline *p, FILE *out);

#endif
