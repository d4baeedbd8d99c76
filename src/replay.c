/* replay.c - the replay mode (see replay.h): each input through the source that claims it
 * (source.h), then one exposition. */
#include "replay.h"

#include <errno.h>
#include <stdint.h>

#include "source.h"

/* One input through the source that claims it, to its end. */
static int replay_one(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	const struct swl_source_type *t = swl_source_for_path(c->paths[0]);
	struct swl_source *s = swl_source_create(t, c, p);
	swl_pipeline_input(p);
	struct swl_err err;
	struct swl_source_read rd = { 0 };
	int r = t->start(s, NULL, &err);
	while (r >= 0 && !rd.ended)
		r = t->read(s, SIZE_MAX, &rd);
	t->close(s);
	return r;
}

int swl_replay_run(const struct swl_replay_opts *o, struct swl_pipeline *p, FILE *out)
{
	p->step_us = o->step_us;
	/* --year pins the first log file's year; each file then starts with swl_parser_next_file */
	swl_parser_init(&p->parser, o->year, 0);
	struct swl_source_conf c = { .mode = SWL_SOURCE_REPLAY, .npaths = 1, .max_line = o->max_line };
	int status = 0;
	for (size_t i = 0; i < o->npaths; i++) {
		c.paths[0] = o->paths[i];
		int r = replay_one(&c, p);
		if (r < 0) {
			fprintf(stderr, "swanlog: %s: %s\n", o->paths[i], strerror(-r));
			status = 1;
		}
	}
	/* --step: every series ends on the same boundary, the first at or after the last entry (as
	 * one scrape holds every series), so counting a series' samples against another's tells
	 * when it first appeared, up to the end (the alert rules in dist/prometheus do) */
	if (p->next_step_us)
		swl_registry_record(p->reg, p->next_step_us);
	bool om = o->format == SWL_FORMAT_OPENMETRICS;
	unsigned flags = om ? SWL_EXPO_TIMESTAMPS | (o->step_us ? SWL_EXPO_HISTORY : 0) : 0;
	int w = swl_expo_write(p->reg, o->format, flags, out);
	if (w < 0) {
		fprintf(stderr, "swanlog: writing the metrics: %s\n", strerror(-w));
		status = 1;
	}
	return status;
}
