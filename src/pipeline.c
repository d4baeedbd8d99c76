/* pipeline.c - parse, apply rules, count what happened to each entry. */
#include "pipeline.h"

#include <sys/time.h>

void swl_pipeline_init(struct swl_pipeline *p, struct swl_registry *reg, struct swl_ruleset *rules,
		       struct swl_context *ctx)
{
	*p = (struct swl_pipeline){ .reg = reg, .rules = rules, .ctx = ctx };
	p->matcher = swl_matcher_create(rules);
	swl_parser_init(&p->parser, 0, 0);
	struct swl_family *f;
	f = swl_registry_family(reg, "swanlog_lines_read_total", SWL_COUNTER, "Log lines and journal entries read.",
				NULL, 0, NULL, 0, 0);
	p->lines_read = swl_family_series(f, NULL);
	f = swl_registry_family(reg, "swanlog_lines_unparsed_total", SWL_COUNTER,
				"Lines with no recognised syslog header (they still reach rules without a program filter).",
				NULL, 0, NULL, 0, 0);
	p->lines_unparsed = swl_family_series(f, NULL);
	f = swl_registry_family(reg, "swanlog_lines_oversized_total", SWL_COUNTER,
				"Lines longer than the maximum line length, cut before matching.", NULL, 0, NULL, 0, 0);
	p->lines_oversized = swl_family_series(f, NULL);
	f = swl_registry_family(reg, "swanlog_lines_twin_total", SWL_COUNTER,
				"Second copies of charon messages that two of its loggers wrote (syslog's daemon and "
				"auth facilities, syslog and the journal), counted once.",
				NULL, 0, NULL, 0, 0);
	p->lines_twin = swl_family_series(f, NULL);
	swl_twins_init(&p->twins);
}

void swl_pipeline_input(struct swl_pipeline *p)
{
	p->input_time_us = 0;
}

void swl_pipeline_fini(struct swl_pipeline *p)
{
	swl_matcher_destroy(p->matcher);
	p->matcher = NULL;
}

struct swl_ruleset *swl_pipeline_set_rules(struct swl_pipeline *p, struct swl_ruleset *rules)
{
	struct swl_ruleset *old = p->rules;
	swl_matcher_destroy(p->matcher);
	p->rules = rules;
	p->matcher = swl_matcher_create(rules);
	return old;
}

/* Boundaries recorded in one gap between entries, at most. A forged or broken timestamp (2099
 * after 2026) would otherwise record every boundary of a 73-year gap: gigabytes from one line.
 * Nothing changes between two entries, so the rest of a longer gap is skipped (the series have
 * no samples there, as the log says nothing): one entry costs at most this many. */
#define STEP_GAP_MAX 10000

/* Before an entry at t: record every series at each step boundary passed. */
static __attribute__((noinline)) void record_steps(struct swl_pipeline *p, int64_t t)
{
	if (!t)
		return;
	/* a sample at boundary B shows every entry up to and including B */
	if (!p->next_step_us)
		p->next_step_us = (t + p->step_us - 1) / p->step_us * p->step_us;
	for (int n = 0; t > p->next_step_us; n++) {
		if (n == STEP_GAP_MAX) { /* on to the first boundary at or after t */
			p->next_step_us += (t - p->next_step_us + p->step_us - 1) / p->step_us * p->step_us;
			break;
		}
		swl_registry_record(p->reg, p->next_step_us);
		p->next_step_us += p->step_us;
	}
}

static inline void step(struct swl_pipeline *p, int64_t t)
{
	if (__builtin_expect(p->step_us != 0, 0))
		record_steps(p, t);
}

/* An entry with no time: now in follow and omprog, the time of the entry before it in replay. */
static __attribute__((noinline)) int64_t time_for_untimed(struct swl_pipeline *p)
{
	if (!p->wall_clock)
		return p->input_time_us;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* n entries read at *t_us: given a time if they have none (see pipeline.h), counted. */
static void count_read(struct swl_pipeline *p, int64_t *t_us, size_t n)
{
	if (!*t_us)
		*t_us = time_for_untimed(p);
	if (*t_us)
		p->last_time_us = p->input_time_us = *t_us;
	swl_series_add(p->lines_read, (double)n, *t_us);
}

/* Apply the rules: all of them, or only candidates (from swl_rules_candidates) when known. */
static void apply(struct swl_pipeline *p, struct swl_event *ev, const uint64_t *candidates)
{
	count_read(p, &ev->time_us, 1);
	if (candidates)
		swl_rules_apply_candidates(p->matcher, p->ctx, ev, *candidates);
	else
		swl_rules_apply(p->matcher, p->ctx, ev);
}

void swl_pipeline_event(struct swl_pipeline *p, struct swl_event *ev)
{
	if (swl_twins_check(&p->twins, ev)) {
		swl_pipeline_twin(p, ev->time_us);
		return;
	}
	step(p, ev->time_us);
	apply(p, ev, NULL);
}

/* A line without a recognised header, or one cut at the maximum length, counts apart too. */
static void count_odd(struct swl_pipeline *p, int64_t t_us, bool parsed, bool oversized)
{
	if (!parsed)
		swl_series_add(p->lines_unparsed, 1, p->last_time_us);
	if (oversized)
		swl_series_add(p->lines_oversized, 1, t_us ? t_us : p->last_time_us);
}

void swl_pipeline_parsed(struct swl_pipeline *p, struct swl_event *ev, bool parsed, bool oversized,
			 uint64_t candidates)
{
	step(p, ev->time_us);
	count_odd(p, ev->time_us, parsed, oversized);
	apply(p, ev, &candidates);
}

void swl_pipeline_unwanted(struct swl_pipeline *p, int64_t t_us, size_t n, bool parsed, bool oversized)
{
	step(p, t_us);
	count_odd(p, t_us, parsed, oversized);
	count_read(p, &t_us, n);
}

void swl_pipeline_twin(struct swl_pipeline *p, int64_t t_us)
{
	step(p, t_us);
	count_read(p, &t_us, 1);
	swl_series_add(p->lines_twin, 1, t_us);
}

void swl_pipeline_line(struct swl_pipeline *p, const char *line, size_t len, bool oversized)
{
	struct swl_event ev;
	bool parsed = swl_parse_line(&p->parser, line, len, &ev) == 0;
	if (swl_twins_check(&p->twins, &ev)) {
		swl_pipeline_twin(p, ev.time_us);
		return;
	}
	step(p, ev.time_us);
	count_odd(p, ev.time_us, parsed, oversized);
	apply(p, &ev, NULL);
}
