/* replay.c - the replay mode (see replay.h): each input through the source that claims it
 * (source.h), then one exposition. */
#include "replay.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "source.h"

/* ---- --label ---- */

const char *swl_replay_label(struct swl_replay_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (!eq || !n)
		return "--label wants NAME=VALUE";
	if ((arg[0] >= '0' && arg[0] <= '9') ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") < n)
		return "--label: a label name is letters, digits and _, not starting with a digit";
	if (n >= 2 && arg[0] == '_' && arg[1] == '_')
		return "--label: names starting with __ are reserved for Prometheus";
	if (n == 2 && memcmp(arg, "le", 2) == 0)
		return "--label: le is a histogram's bucket label";
	const char *v = eq + 1;
	if (!*v)
		return "--label: an empty value is no label at all (Prometheus drops it)";
	char clean[SWL_LABEL_VALUE_MAX + 1];
	size_t len = strlen(v);
	if (swl_label_sanitize(clean, sizeof(clean), (struct swl_str){ v, len }) != len || memcmp(clean, v, len))
		return "--label: a value is valid UTF-8 of at most 256 bytes";
	for (size_t i = 0; i < o->nlabels; i++)
		if (strncmp(o->labels[i], arg, n + 1) == 0)
			return "--label: each name once";
	if (o->nlabels == SWL_REPLAY_MAX_LABELS)
		return "--label: at most 16";
	o->labels[o->nlabels++] = arg;
	return NULL;
}

/* The --label labels as the exposition puts them: name="value",... (values escaped).
 * Returns 0, or 2 after saying which printed metric has one of those names already: which
 * value would win is not a choice to make silently. */
static int render_labels(const struct swl_replay_opts *o, const struct swl_registry *reg, struct swl_buf *b)
{
	for (size_t i = 0; i < o->nlabels; i++) {
		const char *arg = o->labels[i];
		size_t n = (size_t)(strchr(arg, '=') - arg);
		for (size_t k = 0; k < reg->nfamilies; k++) {
			const struct swl_family *f = reg->families[k];
			if (f->retired || (swl_family_self(f) && !o->self_metrics))
				continue;
			for (size_t j = 0; j < f->nlabels; j++)
				if (strlen(f->labels[j]) == n && memcmp(f->labels[j], arg, n) == 0) {
					fprintf(stderr, "swanlog: --label %.*s: the metric %s has a label %.*s already\n",
						(int)n, arg, f->name, (int)n, arg);
					return 2;
				}
		}
		swl_buf_printf(b, "%s%.*s=\"", i ? "," : "", (int)n, arg);
		swl_expo_escape_label(b, arg + n + 1);
		swl_buf_addc(b, '"');
	}
	return 0;
}

/* ---- progress on a terminal ---- */

struct progress {
	bool on;
	size_t nfiles;
	uint64_t total;        /* bytes of the inputs whose size is known */
	bool total_known;      /* every input's size is known (not stdin or a pipe) */
	uint64_t done;         /* bytes of the inputs finished */
	int64_t start_us, last_us;
	const struct swl_series *lines;
};

#define PROGRESS_EVERY_US 250000

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t input_size(const char *path)
{
	struct stat st;
	if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return UINT64_MAX;
	return (uint64_t)st.st_size;
}

static void progress_init(struct progress *pr, const struct swl_replay_opts *o, const struct swl_pipeline *p)
{
	*pr = (struct progress){ .on = o->progress, .nfiles = o->npaths, .total_known = true, .lines = p->lines_read };
	if (!pr->on)
		return;
	for (size_t i = 0; i < o->npaths; i++) {
		uint64_t sz = input_size(o->paths[i]);
		if (sz == UINT64_MAX)
			pr->total_known = false;
		else
			pr->total += sz;
	}
	pr->start_us = pr->last_us = mono_us();
}

/* 1.5 GiB, 300.0 KiB, 12 B */
static const char *human(char *out, size_t cap, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return out;
}

/* One line, rewritten in place: file i of n, bytes, lines/s, ETA. */
static void progress_show(struct progress *pr, size_t file, uint64_t file_done, bool force)
{
	int64_t now = mono_us();
	if (!pr->on || (!force && now - pr->last_us < PROGRESS_EVERY_US))
		return;
	pr->last_us = now;
	double secs = (double)(now - pr->start_us) / 1e6;
	uint64_t done = pr->done + file_done;
	char a[32], b[32], eta[32] = "?";
	double rate = secs > 0 ? (double)done / secs : 0;
	if (pr->total_known && rate > 0 && pr->total >= done) {
		long left = (long)((double)(pr->total - done) / rate + 0.5);
		snprintf(eta, sizeof(eta), "%ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
	}
	fprintf(stderr, "\rswanlog: replay: file %zu of %zu, %s of %s, %.0f lines/s, ETA %s\033[K", file + 1,
		pr->nfiles, human(a, sizeof(a), done), pr->total_known ? human(b, sizeof(b), pr->total) : "?",
		secs > 0 ? pr->lines->value / secs : 0, eta);
}

static void progress_end(const struct progress *pr)
{
	if (!pr->on)
		return;
	double secs = (double)(mono_us() - pr->start_us) / 1e6;
	char a[32];
	fprintf(stderr, "\rswanlog: replay: %zu file%s, %s, %.0f lines in %.1f s, %.0f lines/s\033[K\n", pr->nfiles,
		pr->nfiles == 1 ? "" : "s", human(a, sizeof(a), pr->done), pr->lines->value, secs,
		secs > 0 ? pr->lines->value / secs : 0);
}

/* ---- replay ---- */

#define REPLAY_BATCH 16384 /* entries between two looks at the clock */

/* One input through the source that claims it, to its end. */
static int replay_one(const struct swl_source_conf *c, struct swl_pipeline *p, struct progress *pr, size_t file)
{
	const struct swl_source_type *t = swl_source_for_path(c->paths[0]);
	struct swl_source *s = swl_source_create(t, c, p);
	swl_pipeline_input(p);
	struct swl_err err;
	struct swl_source_read rd = { 0 };
	uint64_t done = 0, size = 0;
	progress_show(pr, file, 0, true);
	int r = t->start(s, NULL, &err);
	/* the first batch shows at once how fast this input goes; then every PROGRESS_EVERY_US */
	for (bool first = true; r >= 0 && !rd.ended; first = false) {
		r = t->read(s, REPLAY_BATCH, &rd);
		if (pr->on && t->progress) {
			t->progress(s, &done, &size);
			progress_show(pr, file, done, first);
		}
	}
	t->close(s);
	uint64_t whole = input_size(c->paths[0]);
	pr->done += whole != UINT64_MAX ? whole : done;
	return r;
}

int swl_replay_read(const struct swl_replay_opts *o, struct swl_pipeline *p)
{
	p->step_us = o->step_us;
	/* --year pins the first log file's year; each file then starts with swl_parser_next_file */
	swl_parser_init(&p->parser, o->year, 0);
	struct swl_source_conf c = { .mode = SWL_SOURCE_REPLAY, .npaths = 1, .max_line = o->max_line };
	struct progress pr;
	progress_init(&pr, o, p);
	int status = 0;
	bool nothing_parsed = false;
	for (size_t i = 0; i < o->npaths; i++) {
		c.paths[0] = o->paths[i];
		double read0 = p->lines_read->value, unparsed0 = p->lines_unparsed->value;
		int r = replay_one(&c, p, &pr, i);
		double read = p->lines_read->value - read0, unparsed = p->lines_unparsed->value - unparsed0;
		if (r < 0) {
			fprintf(stderr, "%sswanlog: %s: %s\n", pr.on ? "\r\033[K" : "", o->paths[i], strerror(-r));
			status = 1;
		} else if (read > 0 && unparsed == read) {
			/* the wrong file (a CSV export, a binary file): say so, not a quiet zero */
			fprintf(stderr, "%sswanlog: %s: none of its %.0f lines is in a log form swanlog reads\n",
				pr.on ? "\r\033[K" : "", o->paths[i], read);
			nothing_parsed = true;
		}
	}
	progress_end(&pr);
	/* a note, not an error: a quiet day's log may be empty (and the rules' families are
	 * printed all the same) */
	if (!status && p->lines_read->value == 0)
		fprintf(stderr, "swanlog: replay: the input%s held no log line or journal entry\n",
			o->npaths == 1 ? "" : "s");
	/* --step: every series ends on the same boundary, the first at or after the last entry (as
	 * one scrape holds every series), so counting a series' samples against another's tells
	 * when it first appeared, up to the end (the alert rules in dist/prometheus do) */
	if (p->next_step_us)
		swl_registry_record(p->reg, p->next_step_us);
	return status ? status : nothing_parsed ? SWL_REPLAY_NOTHING_PARSED : 0;
}

int swl_replay_run(const struct swl_replay_opts *o, struct swl_pipeline *p, FILE *out)
{
	struct swl_buf labels;
	swl_buf_init(&labels, 0);
	if (render_labels(o, p->reg, &labels)) {
		swl_buf_fini(&labels);
		return 2;
	}
	int status = swl_replay_read(o, p);
	bool om = o->format == SWL_FORMAT_OPENMETRICS;
	struct swl_expo_opts eo = {
		.flags = om ? SWL_EXPO_TIMESTAMPS | (o->step_us ? SWL_EXPO_HISTORY : 0) : 0,
		.self = o->self_metrics,
		.labels = labels.len ? labels.p : NULL,
	};
	int w = swl_expo_write_opts(p->reg, o->format, &eo, out);
	swl_buf_fini(&labels);
	if (w < 0) {
		fprintf(stderr, "swanlog: writing the metrics: %s\n", strerror(-w));
		return 1;
	}
	return status;
}
