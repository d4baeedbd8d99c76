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

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* slot refs and table positions are 32-bit; no heap could hold this many series anyway */
#define SERIES_LIMIT ((size_t)UINT32_MAX / 4)
#define ARENA_FIRST 512        /* bytes; most families hold few series */
#define ARENA_MAX (64 * 1024)

struct swl_arena_chunk {
	struct swl_arena_chunk *next;
	uint64_t data[];       /* 8-byte aligned, as every series field needs */
};

/* True when none of the 8 bytes of w is NUL or above 0x7F. */
static bool word_plain(uint64_t w)
{
	return !((w | ((w - ONES) & ~w)) & HIGHS);
}

/* swl_hash_secret(), read once by swl_registry_create: every registry of the process hashes alike */
static uint64_t hash_seed;

/* Hashes the label values a word at a time into *hash and returns whether every byte was
 * plain ASCII (no NUL, nothing above 0x7F): then each value is valid as it stands. The length
 * of each value goes in too, which keeps ("ab","c") apart from ("a","bc"). */
static bool hash_values(const struct swl_str *v, size_t n, uint32_t *hash)
{
	uint64_t h = hash_seed ^ 0x243F6A8885A308D3ULL;
	bool plain = true;
	for (size_t i = 0; i < n; i++) {
		const char *p = v[i].p;
		size_t len = v[i].n, k = 0;
		if (len > SWL_LABEL_VALUE_MAX)
			plain = false;
		for (; k + 8 <= len; k += 8) {
			uint64_t w = swl_load64(p + k);
			plain &= word_plain(w);
			h = swl_hash_mix(h, w);
		}
		if (k < len) {
			uint64_t tail = 0;
			if (len >= 8) {
				/* the last 8 bytes, overlapping some already hashed: harmless */
				tail = swl_load64(p + len - 8);
				plain &= word_plain(tail);
			} else {
				for (size_t j = 0; j < len; j++)
					tail |= (uint64_t)(unsigned char)p[j] << (8 * j);
				/* the zero bytes past the value are padding, not NULs: test them as 0x01 */
				plain &= word_plain(tail | ONES << (8 * len));
			}
			h = swl_hash_mix(h, tail);
		}
		h = swl_hash_mix(h, len);
	}
	h ^= h >> 33; /* murmur3's finalizer: every output bit depends on every input bit */
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	*hash = (uint32_t)(h ^ (h >> 32));
	return plain;
}

uint32_t swl_series_hash(const struct swl_str *values, size_t nlabels)
{
	hash_seed = swl_hash_secret();
	uint32_t h;
	hash_values(values, nlabels, &h);
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

static struct swl_series *table_find(const struct swl_family *f, const struct swl_str *v, uint32_t h)
{
	size_t mask = f->tabsize - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct swl_slot *slot = &f->table[i];
		if (!slot->ref)
			return NULL; /* never full: some slot is empty */
		if (slot->hash == h) {
			struct swl_series *s = f->series[slot->ref - 1];
			if (values_eq(s, v, f->nlabels))
				return s;
		}
	}
}

static void table_put(struct swl_slot *table, size_t size, struct swl_slot slot)
{
	size_t i = slot.hash & (size - 1);
	while (table[i].ref)
		i = (i + 1) & (size - 1);
	table[i] = slot;
}

/* Rehashing needs only the slots: the hash is kept there, so no series is touched. */
static void table_grow(struct swl_family *f)
{
	size_t size = f->tabsize * 2;
	struct swl_slot *t = swl_xcalloc(size, sizeof(*t));
	for (size_t i = 0; i < f->tabsize; i++)
		if (f->table[i].ref)
			table_put(t, size, f->table[i]);
	free(f->table);
	f->table = t;
	f->tabsize = size;
}

/* Zeroed memory for a series: bump allocation in chunks that double up to ARENA_MAX, so a
 * series costs no malloc header and the family frees them all at once. */
static void *arena_alloc(struct swl_family *f, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (n > f->arena_cap - f->arena_used) {
		size_t cap = f->arena_cap ? f->arena_cap * 2 : ARENA_FIRST;
		if (cap > ARENA_MAX)
			cap = ARENA_MAX;
		if (cap < n)
			cap = n;
		struct swl_arena_chunk *c = swl_xcalloc(1, sizeof(*c) + cap);
		c->next = f->arena;
		f->arena = c;
		f->arena_cap = cap;
		f->arena_used = 0;
	}
	void *p = (char *)f->arena->data + f->arena_used;
	f->arena_used += n;
	return p;
}

/* One block per series: the struct, the value pointers, the histogram buckets and the value
 * bytes, back to back in label order (swl_family_sorted_series relies on that). */
static struct swl_series *series_insert(struct swl_family *f, const struct swl_str *v, uint32_t h)
{
	size_t nb = f->type == SWL_HISTOGRAM ? f->nbuckets + 1 : 0;
	size_t bytes = 0;
	for (size_t i = 0; i < f->nlabels; i++)
		bytes += v[i].n + 1;
	struct swl_series *s =
		arena_alloc(f, sizeof(*s) + f->nlabels * sizeof(char *) + nb * sizeof(uint64_t) + bytes);
	uint64_t *buckets = (uint64_t *)(s->values + f->nlabels);
	char *p = (char *)(buckets + nb);

	for (size_t i = 0; i < f->nlabels; i++) {
		s->values[i] = p;
		if (v[i].n)
			memcpy(p, v[i].p, v[i].n);
		p[v[i].n] = '\0';
		p += v[i].n + 1;
	}
	s->family = f;
	if (nb)
		s->buckets = buckets;

	if ((f->nseries & (f->nseries - 1)) == 0) /* 0, 1, 2, 4, ...: double the array */
		f->series = swl_xrealloc(f->series, (f->nseries ? f->nseries * 2 : 1) * sizeof(*f->series));
	f->series[f->nseries++] = s;
	if (f->nseries * 4 > f->tabsize * 3)
		table_grow(f); /* at most 3/4 full: misses stay short */
	table_put(f->table, f->tabsize, (struct swl_slot){ h, (uint32_t)f->nseries });
	return s;
}

static struct swl_series *overflow_series(struct swl_family *f)
{
	if (!f->overflow) {
		struct swl_str v[SWL_MAX_LABELS];
		for (size_t i = 0; i < f->nlabels; i++)
			v[i] = swl_str_c(OVERFLOW_VALUE);
		uint32_t h;
		hash_values(v, f->nlabels, &h);
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
	struct swl_str v[SWL_MAX_LABELS];
	uint32_t h;
	if (!hash_values(values, f->nlabels, &h)) { /* some value needs a closer look */
		for (size_t i = 0; i < f->nlabels; i++) {
			v[i] = values[i];
			if (!label_ok(v[i]))
				v[i] = (struct swl_str){ scratch[i],
							 swl_label_sanitize(scratch[i], sizeof(scratch[i]), v[i]) };
		}
		values = v;
		hash_values(values, f->nlabels, &h);
	}
	struct swl_series *s = table_find(f, values, h);
	if (s)
		return s;
	/* checked every time rather than latched, so a cap raised by a redeclaration takes effect */
	size_t cap = f->max_series ? f->max_series : f->registry->default_max_series;
	if (cap > SERIES_LIMIT)
		cap = SERIES_LIMIT;
	if (f->nseries - (f->overflow != NULL) >= cap)
		return overflow_series(f);
	return series_insert(f, values, h);
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

static inline void notify(const struct swl_series *s, double old, int64_t t_us)
{
	const struct swl_registry *r = s->family->registry;
	if (r->observer)
		r->observer(r->observer_arg, s, old, t_us);
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
	double old = s->value;
	s->value += v;
	touch(s, t_us);
	count_drop(s, t_us);
	notify(s, old, t_us);
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
	double old = s->value;
	s->value = v;
	touch(s, t_us);
	count_drop(s, t_us);
	notify(s, old, t_us);
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
	r->recorded = true;
	for (size_t i = 0; i < r->nfamilies; i++) {
		struct swl_family *f = r->families[i];
		if (f->retired)
			continue;
		bool hist = f->type == SWL_HISTOGRAM;
		size_t nb = hist ? f->nbuckets + 1 : 0;
		for (size_t j = 0; j < f->nseries; j++) {
			struct swl_series *s = f->series[j];
			struct swl_history *hs = s->history;
			struct swl_point *p;
			if (hs && hs->npoints && hs->points[hs->npoints - 1].t_us >= t_us) {
				/* history stays strictly increasing in time, as OpenMetrics requires:
				 * the same instant again keeps the newest values, an earlier one is dropped */
				p = &hs->points[hs->npoints - 1];
				if (p->t_us > t_us)
					continue;
			} else {
				if (!hs || hs->npoints == hs->cappoints) {
					size_t cap = hs ? hs->cappoints * 2 : 4;
					hs = swl_xrealloc(hs, sizeof(*hs) + cap * sizeof(hs->points[0]));
					if (!s->history)
						hs->npoints = 0;
					hs->cappoints = cap;
					s->history = hs;
				}
				p = &hs->points[hs->npoints++];
				p->buckets = nb ? swl_xmalloc(nb * sizeof(uint64_t)) : NULL;
			}
			p->t_us = t_us;
			p->value = hist ? (double)s->count : s->value;
			p->sum = hist ? s->sum : 0;
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
	hash_seed = swl_hash_secret();
	struct swl_registry *r = swl_xcalloc(1, sizeof(*r));
	r->default_max_series = default_max_series ? default_max_series : SWL_DEFAULT_MAX_SERIES;
	static const char *const labels[] = { "metric" };
	/* one series per family name at most, so it needs no cap of its own */
	r->dropped = swl_registry_family(r, DROPPED_NAME, SWL_COUNTER, DROPPED_HELP, labels, 1, NULL, 0, SIZE_MAX);
	return r;
}

static void family_free(struct swl_family *f)
{
	/* the series live in the arena: only their histories, if any, are separate blocks */
	for (size_t i = 0; f->registry->recorded && i < f->nseries; i++) {
		struct swl_history *hs = f->series[i]->history;
		for (size_t j = 0; hs && j < hs->npoints; j++)
			free(hs->points[j].buckets);
		free(hs);
	}
	for (struct swl_arena_chunk *c = f->arena, *next; c; c = next) {
		next = c->next;
		free(c);
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

/* Sorting series by label values, label by label as strcmp orders them, is sorting their keys:
 * the values back to back with their NULs (each key has nlabels NULs, so none is a prefix of
 * another). Keys are sorted 8 bytes at a time: past the prefix they all share, by the chunk at
 * off, then each run that shares it by the chunks after, so comparisons read the entries only,
 * never a series. */
struct sort_entry {
	uint64_t chunk;    /* key bytes [off, off + 8), big-endian, zero past the end */
	const char *key;
	uint32_t len;
	uint32_t index;    /* in f->series */
};

static uint64_t key_chunk(const struct sort_entry *e, size_t off)
{
	uint64_t c = 0;
	for (size_t i = off; i < off + 8; i++)
		c = c << 8 | (i < e->len ? (unsigned char)e->key[i] : 0);
	return c;
}

/* Stable sort of e by chunk: insertion sort when short, else LSD radix sort a byte at a time,
 * skipping the bytes all chunks share. tmp has room for n entries. */
static void sort_by_chunk(struct sort_entry *e, struct sort_entry *tmp, size_t n)
{
	if (n < 64) {
		for (size_t i = 1; i < n; i++) {
			struct sort_entry x = e[i];
			size_t j = i;
			for (; j && e[j - 1].chunk > x.chunk; j--)
				e[j] = e[j - 1];
			e[j] = x;
		}
		return;
	}
	struct sort_entry *from = e, *to = tmp;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t start[256] = { 0 };
		for (size_t i = 0; i < n; i++)
			start[from[i].chunk >> shift & 0xFF]++;
		if (start[from[0].chunk >> shift & 0xFF] == n)
			continue; /* the same byte everywhere: nothing to reorder */
		for (size_t b = 0, sum = 0; b < 256; b++) {
			size_t c = start[b];
			start[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[start[from[i].chunk >> shift & 0xFF]++] = from[i];
		struct sort_entry *t = from;
		from = to;
		to = t;
	}
	if (from != e)
		memcpy(e, from, n * sizeof(*e));
}

/* Where the keys of e first differ, from off on: the bytes before are the same in all. */
static size_t common_prefix(const struct sort_entry *e, size_t n, size_t off)
{
	size_t end = e[0].len;
	for (size_t i = 1; i < n && end > off; i++) {
		size_t k = off, lim = end < e[i].len ? end : e[i].len;
		while (k < lim && e[i].key[k] == e[0].key[k])
			k++;
		end = k;
	}
	return end > off ? end : off;
}

static void sort_keys(struct sort_entry *e, struct sort_entry *tmp, size_t n, size_t off)
{
	if (n < 2)
		return;
	off = common_prefix(e, n, off); /* a shared prefix would tie every comparison */
	for (size_t i = 0; i < n; i++)
		e[i].chunk = key_chunk(&e[i], off);
	sort_by_chunk(e, tmp, n);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && e[j].chunk == e[i].chunk; j++)
			;
		/* equal chunks: both keys go on past it (or they would be equal keys) */
		if (j - i > 1 && e[i].len > off + 8)
			sort_keys(e + i, tmp, j - i, off + 8);
	}
}

struct swl_series **swl_family_sorted_series(const struct swl_family *f, size_t *n)
{
	struct swl_series **v = swl_xcalloc(f->nseries, sizeof(*v));
	struct sort_entry *e = swl_xcalloc(f->nseries, sizeof(*e));
	for (size_t i = 0; i < f->nseries; i++) {
		const struct swl_series *s = f->series[i];
		e[i].index = (uint32_t)i;
		if (f->nlabels) {
			const char *last = s->values[f->nlabels - 1];
			e[i].key = s->values[0];
			e[i].len = (uint32_t)(last + strlen(last) + 1 - e[i].key);
		}
	}
	struct sort_entry *tmp = swl_xcalloc(f->nseries, sizeof(*tmp));
	sort_keys(e, tmp, f->nseries, 0);
	free(tmp);
	for (size_t i = 0; i < f->nseries; i++)
		v[i] = f->series[e[i].index];
	free(e);
	*n = f->nseries;
	return v;
}
