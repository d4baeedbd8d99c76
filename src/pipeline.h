/* pipeline.h - one entry through the stages: parse -> rules -> registry, with self-metrics.
 * Every mode (replay, follow, omprog, examples aside) feeds entries through here. */
#ifndef SWL_PIPELINE_H
#define SWL_PIPELINE_H

#include "context.h"
#include "parse_syslog.h"
#include "registry.h"
#include "rules.h"
#include "twins.h"

struct swl_pipeline {
	struct swl_registry *reg;    /* borrowed */
	struct swl_ruleset *rules;   /* borrowed; swapped on reload (swl_pipeline_set_rules) */
	struct swl_matcher *matcher; /* owned: applies rules on the pipeline's thread */
	struct swl_context *ctx;     /* borrowed */
	struct swl_parser parser;    /* per file or stream: reinitialise with swl_parser_init */
	bool wall_clock;             /* stamp entries that carry no time with now (never in replay) */
	int64_t last_time_us;        /* log time of the latest entry seen */
	int64_t input_time_us;       /* replay: the time of the latest entry of this input, which an
				      * entry with no time takes (swl_pipeline_input starts an input) */
	int64_t step_us;             /* replay --step: before an entry, the registry records every
				      * series at each multiple of step_us its log time passed (0: never) */
	int64_t next_step_us;
	struct swl_series *lines_read, *lines_unparsed, *lines_oversized, *lines_twin;
	struct swl_twins twins;      /* the second copies of charon's messages (twins.h) */
};

/* An entry without a time (charon's stdout, swanctl's output, a pasted line) still counts: in
 * follow and omprog (wall_clock) it takes the time it is read, in replay the time of the entry
 * before it in the same input, or none when it is the first. */

/* reg, rules and ctx are borrowed and must outlive the pipeline. */
void swl_pipeline_init(struct swl_pipeline *p, struct swl_registry *reg, struct swl_ruleset *rules,
		       struct swl_context *ctx);
/* replay: a new input starts; its entries without a time take no time from the one before. */
void swl_pipeline_input(struct swl_pipeline *p);
/* Free what the pipeline owns (not what it borrows). */
void swl_pipeline_fini(struct swl_pipeline *p);
/* Apply rules from the next entry on (a reload); returns the rules replaced, the caller's to
 * destroy. */
struct swl_ruleset *swl_pipeline_set_rules(struct swl_pipeline *p, struct swl_ruleset *rules);
/* A raw syslog line (no newline); oversized: the source cut it. */
void swl_pipeline_line(struct swl_pipeline *p, const char *line, size_t len, bool oversized);
/* A line parsed elsewhere (replay's reader thread): parsed is swl_parse_line's success, and
 * candidates what swl_rules_candidates said of it there (not 0). */
void swl_pipeline_parsed(struct swl_pipeline *p, struct swl_event *ev, bool parsed, bool oversized,
			 uint64_t candidates);
/* n lines at log time t_us (0: unknown) that no rule can match (swl_rules_candidates said 0):
 * counted as read, as swl_pipeline_parsed would, without applying the rules. n > 1 only for
 * lines that parsed and were not cut. */
void swl_pipeline_unwanted(struct swl_pipeline *p, int64_t t_us, size_t n, bool parsed, bool oversized);
/* A line found elsewhere to be the second copy of a charon message (replay's reader thread
 * keeps its own twins): counted as read and as a twin, no rule applied. */
void swl_pipeline_twin(struct swl_pipeline *p, int64_t t_us);
/* An entry a source already parsed (journal). The event may be completed (time). */
void swl_pipeline_event(struct swl_pipeline *p, struct swl_event *ev);
/* swl_pipeline_line, swl_pipeline_event: a second copy of a charon message (twins.h) counts
 * as read and as a twin, and meets no rule. */

#endif
