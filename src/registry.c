/* registry.c - metric families and series: find-or-create by label values, caps, history. */
#include "registry.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define OVERFLOW_VALUE "__overflow__"
#define DROPPED_NAME "swanlog_series_dropped_total"
#define DROPPED_HELP "Updates that went to the overflow series because a metric reached its series cap."
#define INITIAL_TABSIZE 8 /* power of two; most families hold few series */

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (n > 0 bytes available), or 0 when it is
 * ill-formed; then *skip is the length of its maximal subpart, which one U+FFFD replaces
 * (Unicode's recommended practice). NUL counts as ill-formed: it has no place in a label. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *skip)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;

	*skip = 1;
	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0; /* shorter forms are overlong */
		else if (c == 0xED)
			hi = 0x9F; /* above are the UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0; /* NUL, stray continuation, C0/C1 overlong leads, F5..FF */
	}
	for (size_t i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		*skip = i + 1;
	}
	return len;
}

/* True when v can be used as a label value as is: short enough, valid UTF-8, no NUL. */
static bool label_ok(struct swl_str v)
{
	if (v.n > SWL_LABEL_VALUE_MAX)
		return false;
	const unsigned char *s = (const unsigned char *)v.p;
	for (size_t i = 0; i < v.n;) {
		if ((unsigned)s[i] - 1u < 0x7Fu) { /* ASCII but NUL: the common case */
			i++;
			continue;
		}
		size_t skip, len = utf8_seq(s + i, v.n - i, &skip);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

size_t swl_label_sanitize(char *dst, size_t cap, struct swl_str src)
{
	if (!cap)
		return 0;
	size_t max = cap - 1 < SWL_LABEL_VALUE_MAX ? cap - 1 : SWL_LABEL_VALUE_MAX;
	const unsigned char *s = (const unsigned char *)src.p;
	size_t i = 0, o = 0;

	while (i < src.n) {
		size_t skip, len = utf8_seq(s + i, src.n - i, &skip);
		const char *piece = len ? (const char *)s + i : "\xEF\xBF\xBD";
		size_t plen = len ? len : 3;
		if (plen > max - o)
			break; /* whole characters only: never cut a sequence in two */
		memcpy(dst + o, piece, plen);
		o += plen;
		i += len ? len : skip;
	}
	dst[o] = '\0';
	return o;
}

/* ---- series lookup ---- */

static uint64_t hash_values(const struct swl_str *v, size_t n)
{
	uint64_t h = SWL_HASH_INIT;
	for (size_t i = 0; i < n; i++) {
		h = swl_hash(h, v[i].p, v[i].n);
		h = swl_hash(h, "\xff", 1); /* 0xFF never occurs in UTF-8: keeps ("ab","c") apart from ("a","bc") */
	}
	return h;
}

static bool values_eq(const struct swl_series *s, const struct swl_str *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* v[i] holds no NUL, so a match of n bytes means s->values[i] is at least that long */
		if (strncmp(s->values[i], v[i].p ? v[i].p : "", v[i].n) != 0 || s->values[i][v[i].n] != '\0')
			return false;
	}
	return true;
}

static struct swl_series *table_find(const struct swl_family *f, const struct swl_str *v, uint64_t h)
{
	for (struct swl_series *s = f->table[h & (f->tabsize - 1)]; s; s = s->next)
		if (s->hash == h && values_eq(s, v, f->nlabels))
			return s;
	return NULL;
}

static void table_grow(struct swl_family *f)
{
	size_t size = f->tabsize * 2;
	struct swl_series **t = swl_xcalloc(size, sizeof(*t));
	for (size_t i = 0; i < f->nseries; i++) {
		struct swl_series *s = f->series[i];
		s->next = t[s->hash & (size - 1)];
		t[s->hash & (size - 1)] = s;
	}
	free(f->table);
	f->table = t;
	f->tabsize = size;
}

/* One allocation per series: the struct, the value pointers, the histogram buckets and the
 * value bytes, which keeps the per-series overhead small and lookups cache-friendly. */
static struct swl_series *series_insert(struct swl_family *f, const struct swl_str *v, uint64_t h)
{
	size_t nb = f->type == SWL_HISTOGRAM ? f->nbuckets + 1 : 0;
	size_t bytes = 0;
	for (size_t i = 0; i < f->nlabels; i++)
		bytes += v[i].n + 1;
	struct swl_series *s =
		swl_xcalloc(1, sizeof(*s) + f->nlabels * sizeof(char *) + nb * sizeof(uint64_t) + bytes);
	char **values = (char **)(s + 1);
	uint64_t *buckets = (uint64_t *)(values + f->nlabels);
	char *p = (char *)(buckets + nb);

	for (size_t i = 0; i < f->nlabels; i++) {
		values[i] = p;
		if (v[i].n)
			memcpy(p, v[i].p, v[i].n);
		p[v[i].n] = '\0';
		p += v[i].n + 1;
	}
	s->family = f;
	s->values = values;
	s->buckets = nb ? buckets : NULL;
	s->hash = h;

	if ((f->nseries & (f->nseries - 1)) == 0) /* 0, 1, 2, 4, ...: double the array */
		f->series = swl_xrealloc(f->series, (f->nseries ? f->nseries * 2 : 1) * sizeof(*f->series));
	f->series[f->nseries++] = s;
	if (f->nseries > f->tabsize) {
		table_grow(f); /* rehashes every series, the new one included */
	} else {
		s->next = f->table[h & (f->tabsize - 1)];
		f->table[h & (f->tabsize - 1)] = s;
	}
	return s;
}

static struct swl_series *overflow_series(struct swl_family *f)
{
	if (!f->overflow) {
		struct swl_str v[SWL_MAX_LABELS];
		for (size_t i = 0; i < f->nlabels; i++)
			v[i] = swl_str_c(OVERFLOW_VALUE);
		uint64_t h = hash_values(v, f->nlabels);
		/* a log line may have spelled these labels already: reuse it, never duplicate */
		struct swl_series *s = table_find(f, v, h);
		f->overflow = s ? s : series_insert(f, v, h);
	}
	return f->overflow;
}

struct swl_series *swl_family_series(struct swl_family *f, const struct swl_str *values)
{
	/* room to sanitize values that are too long or not UTF-8; rarely touched */
	char scratch[SWL_MAX_LABELS][SWL_LABEL_VALUE_MAX + 1];
	struct swl_str v[SWL_MAX_LABELS], with_host[SWL_MAX_LABELS];

	if (f->host_label && f->registry->in_event) {
		with_host[0] = f->registry->event_host;
		for (size_t i = 1; i < f->nlabels; i++)
			with_host[i] = values[i - 1];
		values = with_host;
	}

	for (size_t i = 0; i < f->nlabels; i++) {
		v[i] = values[i];
		if (!label_ok(v[i]))
			v[i] = (struct swl_str){ scratch[i], swl_label_sanitize(scratch[i], sizeof(scratch[i]), v[i]) };
	}
	uint64_t h = hash_values(v, f->nlabels);
	struct swl_series *s = table_find(f, v, h);
	if (s)
		return s;
	/* checked every time rather than latched, so a cap raised by a redeclaration takes effect */
	size_t cap = f->max_series ? f->max_series : f->registry->default_max_series;
	if (f->nseries - (f->overflow != NULL) >= cap)
		return overflow_series(f);
	return series_insert(f, v, h);
}

/* ---- updates ---- */

static void touch(struct swl_series *s, int64_t t_us)
{
	/* 0 is "time unknown" (a line without a timestamp): it must not erase the last known
	 * time, or a series changed earlier would lose its OpenMetrics timestamp */
	if (t_us)
		s->updated_us = t_us;
	s->updates++;
}

/* An update that landed on the overflow series counts once in swanlog_series_dropped_total. */
static void count_drop(struct swl_series *s, int64_t t_us)
{
	struct swl_family *f = s->family;
	struct swl_registry *r = f->registry;
	if (s != f->overflow || f == r->dropped)
		return; /* the drop counter does not count itself: no recursion */
	if (!f->dropped) {
		struct swl_str name = swl_str_c(f->name);
		f->dropped = swl_family_series(r->dropped, &name);
	}
	f->dropped->value += 1;
	touch(f->dropped, t_us);
}

void swl_series_add(struct swl_series *s, double v, int64_t t_us)
{
	switch (s->family->type) {
	case SWL_COUNTER:
		if (!(v >= 0))
			return; /* counters never go down (NaN is refused too) */
		break;
	case SWL_GAUGE:
		break;
	case SWL_HISTOGRAM:
		return;
	}
	s->value += v;
	touch(s, t_us);
	count_drop(s, t_us);
}

void swl_series_set(struct swl_series *s, double v, int64_t t_us)
{
	switch (s->family->type) {
	case SWL_COUNTER:
		if (!(v >= s->value))
			return; /* setting a counter may only move it up */
		break;
	case SWL_GAUGE:
		break;
	case SWL_HISTOGRAM:
		return;
	}
	s->value = v;
	touch(s, t_us);
	count_drop(s, t_us);
}

void swl_series_observe(struct swl_series *s, double v, int64_t t_us)
{
	const struct swl_family *f = s->family;
	if (f->type != SWL_HISTOGRAM || isnan(v))
		return; /* a NaN would poison _sum forever */
	size_t i = 0;
	while (i < f->nbuckets && v > f->bounds[i])
		i++;
	s->buckets[i]++;
	s->count++;
	s->sum += v;
	touch(s, t_us);
	count_drop(s, t_us);
}

/* ---- history ---- */

void swl_registry_record(struct swl_registry *r, int64_t t_us)
{
	for (size_t i = 0; i < r->nfamilies; i++) {
		struct swl_family *f = r->families[i];
		if (f->retired)
			continue;
		size_t nb = f->type == SWL_HISTOGRAM ? f->nbuckets + 1 : 0;
		for (size_t j = 0; j < f->nseries; j++) {
			struct swl_series *s = f->series[j];
			struct swl_point *p;
			if (s->npoints && s->points[s->npoints - 1].t_us >= t_us) {
				/* history stays strictly increasing in time, as OpenMetrics requires:
				 * the same instant again keeps the newest values, an earlier one is dropped */
				p = &s->points[s->npoints - 1];
				if (p->t_us > t_us)
					continue;
			} else {
				if (s->npoints == s->cappoints) {
					s->cappoints = s->cappoints ? s->cappoints * 2 : 4;
					s->points = swl_xrealloc(s->points, s->cappoints * sizeof(*s->points));
				}
				p = &s->points[s->npoints++];
				p->buckets = nb ? swl_xmalloc(nb * sizeof(uint64_t)) : NULL;
			}
			p->t_us = t_us;
			p->value = f->type == SWL_HISTOGRAM ? (double)s->count : s->value;
			p->sum = s->sum;
			if (nb)
				memcpy(p->buckets, s->buckets, nb * sizeof(uint64_t));
		}
	}
}

/* ---- families ---- */

static bool family_compatible(const struct swl_family *f, enum swl_metric_type type, const char *const *labels,
			      size_t nlabels, const double *bounds, size_t nbounds)
{
	if (f->type != type || f->nlabels != nlabels || f->nbuckets != nbounds)
		return false;
	for (size_t i = 0; i < nlabels; i++)
		if (strcmp(f->labels[i], labels[i]) != 0)
			return false;
	for (size_t i = 0; i < nbounds; i++)
		if (f->bounds[i] != bounds[i])
			return false;
	return true;
}

struct swl_family *swl_registry_family(struct swl_registry *r, const char *name, enum swl_metric_type type,
				       const char *help, const char *const *labels, size_t nlabels,
				       const double *bounds, size_t nbounds, size_t max_series)
{
	if (!name || nlabels > SWL_MAX_LABELS)
		return NULL;
	if (type != SWL_HISTOGRAM)
		nbounds = 0;
	while (nbounds && isinf(bounds[nbounds - 1]) && bounds[nbounds - 1] > 0)
		nbounds--; /* +Inf is always implied; spelling it out changes nothing */
	/* --host-label: the rules' families get "host" first (see registry.h) */
	const char *with_host[SWL_MAX_LABELS];
	bool host = r->host_label && strncmp(name, "swanlog_", 8) != 0 && nlabels < SWL_MAX_LABELS;
	for (size_t i = 0; host && i < nlabels; i++)
		host = strcmp(labels[i], "host") != 0;
	if (host) {
		with_host[0] = "host";
		for (size_t i = 0; i < nlabels; i++)
			with_host[i + 1] = labels[i];
		labels = with_host;
		nlabels++;
	}

	struct swl_family *old = swl_registry_find(r, name);
	if (old) {
		if (family_compatible(old, type, labels, nlabels, bounds, nbounds)) {
			free(old->help);
			old->help = swl_xstrdup(help ? help : "");
			old->max_series = max_series;
			return old;
		}
		old->retired = true; /* pointers into it stay valid; it just stops being shown */
	}

	struct swl_family *f = swl_xcalloc(1, sizeof(*f));
	f->registry = r;
	f->name = swl_xstrdup(name);
	f->help = swl_xstrdup(help ? help : "");
	f->type = type;
	f->nlabels = nlabels;
	f->labels = swl_xcalloc(nlabels, sizeof(char *));
	for (size_t i = 0; i < nlabels; i++)
		f->labels[i] = swl_xstrdup(labels[i]);
	f->nbuckets = nbounds;
	f->bounds = swl_xcalloc(nbounds, sizeof(double));
	if (nbounds)
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
	f->max_series = max_series;
	f->host_label = host;
	f->tabsize = INITIAL_TABSIZE;
	f->table = swl_xcalloc(f->tabsize, sizeof(*f->table));

	r->families = swl_xrealloc(r->families, (r->nfamilies + 1) * sizeof(*r->families));
	r->families[r->nfamilies++] = f;
	return f;
}

struct swl_family *swl_registry_find(const struct swl_registry *r, const char *name)
{
	for (size_t i = 0; i < r->nfamilies; i++)
		if (!r->families[i]->retired && strcmp(r->families[i]->name, name) == 0)
			return r->families[i];
	return NULL;
}

struct swl_registry *swl_registry_create(size_t default_max_series)
{
	struct swl_registry *r = swl_xcalloc(1, sizeof(*r));
	r->default_max_series = default_max_series ? default_max_series : SWL_DEFAULT_MAX_SERIES;
	static const char *const labels[] = { "metric" };
	/* one series per family name at most, so it needs no cap of its own */
	r->dropped = swl_registry_family(r, DROPPED_NAME, SWL_COUNTER, DROPPED_HELP, labels, 1, NULL, 0, SIZE_MAX);
	return r;
}

static void family_free(struct swl_family *f)
{
	for (size_t i = 0; i < f->nseries; i++) {
		struct swl_series *s = f->series[i];
		for (size_t j = 0; j < s->npoints; j++)
			free(s->points[j].buckets);
		free(s->points);
		free(s); /* values and buckets live in the same block */
	}
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->bounds);
	free(f->series);
	free(f->table);
	free(f->name);
	free(f->help);
	free(f);
}

void swl_registry_destroy(struct swl_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfamilies; i++)
		family_free(r->families[i]);
	free(r->families);
	free(r);
}

/* ---- sorted views ---- */

static int cmp_family(const void *a, const void *b)
{
	const struct swl_family *x = *(const struct swl_family *const *)a, *y = *(const struct swl_family *const *)b;
	return strcmp(x->name, y->name);
}

static int cmp_series(const void *a, const void *b)
{
	const struct swl_series *x = *(const struct swl_series *const *)a, *y = *(const struct swl_series *const *)b;
	for (size_t i = 0; i < x->family->nlabels; i++) {
		int c = strcmp(x->values[i], y->values[i]);
		if (c)
			return c;
	}
	return 0;
}

struct swl_family **swl_registry_sorted_families(const struct swl_registry *r, size_t *n)
{
	struct swl_family **v = swl_xcalloc(r->nfamilies, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < r->nfamilies; i++)
		if (!r->families[i]->retired)
			v[k++] = r->families[i];
	qsort(v, k, sizeof(*v), cmp_family);
	*n = k;
	return v;
}

struct swl_series **swl_family_sorted_series(const struct swl_family *f, size_t *n)
{
	struct swl_series **v = swl_xcalloc(f->nseries, sizeof(*v));
	if (f->nseries)
		memcpy(v, f->series, f->nseries * sizeof(*v));
	qsort(v, f->nseries, sizeof(*v), cmp_series);
	*n = f->nseries;
	return v;
}
