/* pipeline.c - parse, apply rules, count what happened to each entry. */
#include "pipeline.h"

#include <sys/time.h>

void swl_pipeline_init(struct swl_pipeline *p, struct swl_registry *reg, struct swl_ruleset *rules,
		       struct swl_context *ctx)
{
	*p = (struct swl_pipeline){ .reg = reg, .rules = rules, .ctx = ctx };
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
}

void swl_pipeline_event(struct swl_pipeline *p, struct swl_event *ev)
{
	if (!ev->time_us && p->wall_clock) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		ev->time_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	}
	if (ev->time_us)
		p->last_time_us = ev->time_us;
	swl_series_add(p->lines_read, 1, ev->time_us);
	/* --host-label: the registry labels the rules' series with this entry's host */
	p->reg->event_host = ev->host;
	p->reg->in_event = true;
	swl_rules_apply(p->rules, p->ctx, ev);
	p->reg->in_event = false;
}

void swl_pipeline_parsed(struct swl_pipeline *p, struct swl_event *ev, bool parsed, bool oversized)
{
	if (!parsed)
		swl_series_add(p->lines_unparsed, 1, p->last_time_us);
	if (oversized)
		swl_series_add(p->lines_oversized, 1, ev->time_us ? ev->time_us : p->last_time_us);
	swl_pipeline_event(p, ev);
}

void swl_pipeline_line(struct swl_pipeline *p, const char *line, size_t len, bool oversized)
{
	struct swl_event ev;
	bool parsed = swl_parse_line(&p->parser, line, len, &ev) == 0;
	swl_pipeline_parsed(p, &ev, parsed, oversized);
}
