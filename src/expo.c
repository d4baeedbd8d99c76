/* expo.c - render the registry as Prometheus text 0.0.4 or OpenMetrics 1.0. */
#include "expo.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Output sink that remembers the first error, so the render code needs no check per append.
 * With a stream, the buffer is written out whenever it holds a chunk: memory stays bounded
 * however many series there are. */
struct sink {
	struct swl_buf *b;
	FILE *stream;
	int err;
};

#define SWL_EXPO_CHUNK (64u * 1024u)

static void drain(struct sink *o)
{
	if (o->err || !o->stream || !o->b->len)
		return;
	if (fwrite(o->b->p, 1, o->b->len, o->stream) != o->b->len)
		o->err = errno ? -errno : -EIO;
	o->b->len = 0;
}

static void put(struct sink *o, const char *p, size_t n)
{
	if (!o->err)
		o->err = swl_buf_add(o->b, p, n);
}

static void put_str(struct sink *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Copy s, replacing \ and newline (and " when quote) by their backslash escapes. */
static int escape(struct swl_buf *out, const char *s, bool quote)
{
	const char *special = quote ? "\\\n\"" : "\\\n";
	for (;;) {
		size_t n = strcspn(s, special);
		int rc = swl_buf_add(out, s, n);
		if (rc < 0 || !s[n])
			return rc;
		rc = swl_buf_add(out, s[n] == '\n' ? "\\n" : s[n] == '"' ? "\\\"" : "\\\\", 2);
		if (rc < 0)
			return rc;
		s += n + 1;
	}
}

int swl_expo_escape_label(struct swl_buf *out, const char *s)
{
	return escape(out, s, true);
}

int swl_expo_escape_help(struct swl_buf *out, const char *s, enum swl_format fmt)
{
	return escape(out, s, fmt == SWL_FORMAT_OPENMETRICS);
}

/* Unsigned decimal without printf: counts and bucket values are most of a histogram. */
static size_t fmt_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

static size_t fmt_value(char *out, size_t cap, double v)
{
	/* integral values are the usual case; same digits swl_fmt_double prints, minus snprintf */
	if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v)
		return fmt_u64(out, (uint64_t)v);
	int n = swl_fmt_double(out, cap, v);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A bucket bound as le, spelled as Go's strconv.FormatFloat(v, 'g', -1, 64) spells it (what
 * Prometheus clients emit): the fewest digits that read back to the same double, exponent form
 * below 1e-4 and from 1e6 up. le is a label: another spelling would be another series. */
static void fmt_le(char *out, size_t cap, double v)
{
	if (!isfinite(v)) {
		swl_fmt_double(out, cap, v);
		return;
	}
	int prec = 1;
	for (; prec < 17; prec++) {
		snprintf(out, cap, "%.*e", prec - 1, v);
		if (strtod(out, NULL) == v)
			break;
	}
	snprintf(out, cap, "%.*e", prec - 1, v);
	int exp = atoi(strchr(out, 'e') + 1);
	if (exp < -4 || exp >= 6)
		return;
	snprintf(out, cap, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, v);
}

/* OpenMetrics timestamp: seconds with microseconds, e.g. 1795974712.137153. */
static void fmt_ts(char *out, size_t cap, int64_t t_us)
{
	uint64_t a = t_us < 0 ? -(uint64_t)t_us : (uint64_t)t_us;
	snprintf(out, cap, "%s%" PRIu64 ".%06" PRIu64, t_us < 0 ? "-" : "", a / 1000000, a % 1000000);
}

/* What one family needs while its samples are written. */
struct fam_ctx {
	struct sink *o;
	const struct swl_family *f;
	const char *extra;    /* labels every series of this family starts with, or NULL */
	bool om;
	const char *sample;   /* counter/gauge sample name */
	char (*le)[32];       /* formatted bucket bounds */
	struct swl_buf labels; /* the current series' labels: a="x",b="y" */
};

/* name[suffix]{labels[,le="..."]} value[ ts] */
static void sample(struct fam_ctx *c, const char *name, const char *suffix, const char *le, const char *value,
		   const char *ts)
{
	struct sink *o = c->o;
	put_str(o, name);
	if (suffix)
		put_str(o, suffix);
	if (c->labels.len || le) {
		put(o, "{", 1);
		put(o, c->labels.p, c->labels.len);
		if (le) {
			if (c->labels.len)
				put(o, ",", 1);
			put(o, "le=\"", 4);
			put_str(o, le);
			put(o, "\"", 1);
		}
		put(o, "}", 1);
	}
	put(o, " ", 1);
	put_str(o, value);
	if (ts) {
		put(o, " ", 1);
		put_str(o, ts);
	}
	put(o, "\n", 1);
}

/* One point in time of a series: value (counter/gauge) or buckets, count and sum (histogram). */
static void point(struct fam_ctx *c, double value, const uint64_t *buckets, uint64_t count, double sum, int64_t t_us,
		  bool with_ts)
{
	char num[64], ts[48];
	const char *tsp = NULL;
	if (with_ts && t_us) {
		fmt_ts(ts, sizeof(ts), t_us);
		tsp = ts;
	}
	const struct swl_family *f = c->f;
	if (f->type != SWL_HISTOGRAM) {
		fmt_value(num, sizeof(num), value);
		sample(c, c->sample, NULL, NULL, num, tsp);
		return;
	}
	uint64_t cum = 0;
	for (size_t i = 0; i < f->nbuckets; i++) {
		cum += buckets[i];
		fmt_u64(num, cum);
		sample(c, f->name, "_bucket", c->le[i], num, tsp);
	}
	cum += buckets[f->nbuckets];
	fmt_u64(num, cum);
	sample(c, f->name, "_bucket", "+Inf", num, tsp);
	fmt_value(num, sizeof(num), sum);
	sample(c, f->name, "_sum", NULL, num, tsp);
	fmt_u64(num, count);
	sample(c, f->name, "_count", NULL, num, tsp);
}

static void series_labels(struct fam_ctx *c, const struct swl_series *s)
{
	struct swl_buf *b = &c->labels;
	b->len = 0;
	if (c->extra) {
		int rc = swl_buf_add(b, c->extra, strlen(c->extra));
		if (rc < 0 && !c->o->err)
			c->o->err = rc;
	}
	for (size_t i = 0; i < c->f->nlabels; i++) {
		int rc = 0;
		if (i || b->len)
			rc = swl_buf_addc(b, ',');
		if (!rc)
			rc = swl_buf_add(b, c->f->labels[i], strlen(c->f->labels[i]));
		if (!rc)
			rc = swl_buf_add(b, "=\"", 2);
		if (!rc)
			rc = swl_expo_escape_label(b, s->values[i]);
		if (!rc)
			rc = swl_buf_addc(b, '"');
		if (rc < 0 && !c->o->err)
			c->o->err = rc;
	}
}

static void render_series(struct fam_ctx *c, const struct swl_series *s, unsigned flags)
{
	bool ts = c->om && (flags & (SWL_EXPO_TIMESTAMPS | SWL_EXPO_HISTORY));
	/* never changed: it has no log time, and a sample without one is refused by backfilling
	 * (promtool tsdb create-blocks-from openmetrics), so with timestamps it is left out */
	if (ts && !s->updated_us && !swl_series_npoints(s))
		return;
	series_labels(c, s);
	bool hist = c->f->type == SWL_HISTOGRAM;
	bool history = c->om && (flags & SWL_EXPO_HISTORY);
	int64_t last = INT64_MIN;
	if (history) {
		for (size_t i = 0; i < swl_series_npoints(s); i++) {
			const struct swl_point *p = &s->history->points[i];
			point(c, p->value, p->buckets, hist ? (uint64_t)p->value : 0, p->sum, p->t_us, true);
			last = p->t_us;
		}
		/* the current value adds nothing unless it changed after the last point */
		if (swl_series_npoints(s) && !(s->updated_us && s->updated_us > last))
			return;
	}
	point(c, s->value, hist ? s->buckets : NULL, s->count, s->sum, s->updated_us, ts);
}

static const char *type_name(enum swl_metric_type t)
{
	switch (t) {
	case SWL_COUNTER:
		return "counter";
	case SWL_GAUGE:
		return "gauge";
	case SWL_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

static void render_family(struct sink *o, const struct swl_family *f, enum swl_format fmt, unsigned flags,
			  const char *extra)
{
	bool om = fmt == SWL_FORMAT_OPENMETRICS;
	/* OpenMetrics names a counter family without _total and its sample with it */
	size_t flen = strlen(f->name);
	char *family = NULL, *sample_name = NULL;
	if (om && f->type == SWL_COUNTER) {
		if (flen > 6 && strcmp(f->name + flen - 6, "_total") == 0)
			flen -= 6;
		family = swl_xstrndup(f->name, flen);
		sample_name = swl_xmalloc(flen + 7);
		memcpy(sample_name, f->name, flen);
		memcpy(sample_name + flen, "_total", 7);
	}
	const char *fname = family ? family : f->name;

	put_str(o, "# HELP ");
	put_str(o, fname);
	put(o, " ", 1);
	if (!o->err)
		o->err = swl_expo_escape_help(o->b, f->help, fmt);
	put_str(o, "\n# TYPE ");
	put_str(o, fname);
	put(o, " ", 1);
	put_str(o, type_name(f->type));
	put(o, "\n", 1);

	struct fam_ctx c = { .o = o, .f = f, .extra = extra, .om = om, .sample = sample_name ? sample_name : f->name };
	swl_buf_init(&c.labels, 0);
	if (f->type == SWL_HISTOGRAM) {
		c.le = swl_xcalloc(f->nbuckets, sizeof(*c.le));
		for (size_t i = 0; i < f->nbuckets; i++)
			fmt_le(c.le[i], sizeof(c.le[i]), f->bounds[i]);
	}
	size_t n;
	struct swl_series **series = swl_family_sorted_series(f, &n);
	for (size_t i = 0; i < n && !o->err; i++) {
		render_series(&c, series[i], flags);
		if (o->b->len >= SWL_EXPO_CHUNK)
			drain(o);
	}
	free(series);
	free(c.le);
	swl_buf_fini(&c.labels);
	free(family);
	free(sample_name);
}

static const struct swl_expo_opts all = { .self = true };

static void render_all(struct sink *o, const struct swl_registry *r, enum swl_format fmt, const struct swl_expo_opts *eo)
{
	size_t n;
	struct swl_family **fams = swl_registry_sorted_families(r, &n);
	for (size_t i = 0; i < n && !o->err; i++) {
		bool self = swl_family_self(fams[i]);
		if (self && !eo->self)
			continue;
		render_family(o, fams[i], fmt, eo->flags, eo->labels && *eo->labels ? eo->labels : NULL);
	}
	free(fams);
	if (fmt == SWL_FORMAT_OPENMETRICS)
		put_str(o, "# EOF\n");
}

int swl_expo_render(const struct swl_registry *r, enum swl_format fmt, unsigned flags, struct swl_buf *out)
{
	struct sink o = { .b = out };
	size_t start = out->len;
	struct swl_expo_opts eo = all;
	eo.flags = flags;
	render_all(&o, r, fmt, &eo);
	if (o.err) {
		/* half an exposition is worse than none: leave out as it was */
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
	}
	return o.err;
}

int swl_expo_write(const struct swl_registry *r, enum swl_format fmt, unsigned flags, FILE *out)
{
	struct swl_expo_opts eo = all;
	eo.flags = flags;
	return swl_expo_write_opts(r, fmt, &eo, out);
}

int swl_expo_write_opts(const struct swl_registry *r, enum swl_format fmt, const struct swl_expo_opts *eo, FILE *out)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	struct sink o = { .b = &b, .stream = out };
	errno = 0;
	render_all(&o, r, fmt, eo);
	drain(&o);
	swl_buf_fini(&b);
	if (!o.err && fflush(out) != 0)
		o.err = errno ? -errno : -EIO;
	return o.err;
}
