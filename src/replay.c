/* replay.c - the replay mode (see replay.h): each input through the pipeline, then one
 * exposition. */
#include "replay.h"

#include <errno.h>

#include "lines.h"
#include "source_ahead.h"
#include "source_journal.h"

static int replay_journal(struct swl_pipeline *p, const char *path)
{
	struct swl_journal *j;
	const char *paths[] = { path };
	int r = swl_journal_open(SWL_JOURNAL_FILES, paths, 1, NULL, 0, false, &j);
	if (r < 0)
		return r;
	struct swl_event ev;
	while ((r = swl_journal_next(j, &ev)) > 0)
		swl_pipeline_event(p, &ev);
	swl_journal_close(j);
	return r;
}

static int replay_lines(struct swl_pipeline *p, const char *path, size_t max_line)
{
	struct swl_lines *l;
	int r = swl_lines_open(path, max_line, &l);
	if (r < 0)
		return r;
	/* a pinned year goes on from where the file before ended */
	swl_parser_next_file(&p->parser, swl_lines_mtime(l));
	/* a second thread reads and parses while this one applies the rules */
	struct swl_ahead *a;
	r = swl_ahead_start(l, &p->parser, swl_rules_line_filter, p->rules, &a);
	if (r < 0) {
		swl_lines_close(l);
		return r;
	}
	struct swl_ahead_line al;
	while ((r = swl_ahead_next(a, &al)) > 0) {
		if (al.tag)
			swl_pipeline_parsed(p, al.ev, al.parsed, al.oversized, al.tag);
		else
			swl_pipeline_unwanted(p, al.ev->time_us, al.lines, al.parsed, al.oversized);
	}
	swl_ahead_stop(a);
	swl_lines_close(l);
	return r;
}

int swl_replay_run(const struct swl_replay_opts *o, struct swl_pipeline *p, FILE *out)
{
	p->step_us = o->step_us;
	/* --year pins the first log file's year; each file then starts with swl_parser_next_file */
	swl_parser_init(&p->parser, o->year, 0);
	int status = 0;
	for (size_t i = 0; i < o->npaths; i++) {
		const char *path = o->paths[i];
		int r = swl_is_journal_path(path) ? replay_journal(p, path) : replay_lines(p, path, o->max_line);
		if (r < 0) {
			fprintf(stderr, "swanlog: %s: %s\n", path, strerror(-r));
			status = 1;
		}
	}
	bool om = o->format == SWL_FORMAT_OPENMETRICS;
	unsigned flags = om ? SWL_EXPO_TIMESTAMPS | (o->step_us ? SWL_EXPO_HISTORY : 0) : 0;
	int w = swl_expo_write(p->reg, o->format, flags, out);
	if (w < 0) {
		fprintf(stderr, "swanlog: writing the metrics: %s\n", strerror(-w));
		status = 1;
	}
	return status;
}
