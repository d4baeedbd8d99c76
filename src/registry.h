/* registry.h - metric families and their series: the one place values live.
 *
 * A family is declared once (name, type, help, label names, buckets); its series are found
 * or created by label values, hashed once per lookup, never expire, and are capped per family:
 * past the cap, updates go to one overflow series whose every label is "__overflow__", and
 * swanlog_series_dropped_total{metric} counts them, so totals stay right.
 * Label values are stored truncated to SWL_LABEL_VALUE_MAX bytes, with invalid UTF-8 replaced
 * by U+FFFD, so whatever a log line carries the exposition stays valid.
 * Families are never freed before the registry: pointers to families and series stay valid
 * for the registry's life (a family redeclared incompatibly is retired, not freed).
 * Not thread-safe: one thread (the pipeline) owns it; exposition is rendered on that thread.
 */
#ifndef SWL_REGISTRY_H
#define SWL_REGISTRY_H

#include "util.h"

#define SWL_MAX_LABELS 16
#define SWL_LABEL_VALUE_MAX 256
#define SWL_DEFAULT_MAX_SERIES 10000
#define SWL_MAX_BUCKETS 64

enum swl_metric_type { SWL_COUNTER, SWL_GAUGE, SWL_HISTOGRAM };

struct swl_point {            /* one recorded sample for --step output */
	int64_t t_us;
	double value;         /* counter/gauge value; histogram: count */
	double sum;           /* histogram only */
	uint64_t *buckets;    /* histogram only: non-cumulative counts, nbuckets + 1 (+Inf) */
};

struct swl_history {           /* --step points of one series, oldest first */
	size_t npoints, cappoints;
	struct swl_point points[];
};

/* Kept small: a counter's series is 56 bytes plus its labels. The value, or a histogram's
 * sum, count and buckets, share one union; the label values follow the struct, back to back
 * in label order, each NUL-terminated (so a series' labels form one string that sorts as they
 * do: see swl_family_sorted_series). Series live in their family's arena: never freed alone. */
struct swl_series {
	struct swl_family *family;
	struct swl_history *history; /* NULL until the registry records history */
	int64_t updated_us;       /* log time of the last change with a known time; 0 = none */
	uint64_t updates;         /* number of updates applied (examples diff this) */
	union {
		double value;     /* counter / gauge */
		struct {          /* histogram (value is not used: it shares sum's bytes) */
			double sum;
			uint64_t count;
			uint64_t *buckets; /* non-cumulative counts, nbuckets + 1 (+Inf) */
		};
	};
	char *values[];           /* nlabels NUL-terminated values */
};

static inline size_t swl_series_npoints(const struct swl_series *s)
{
	return s->history ? s->history->npoints : 0;
}

/* One open-addressing slot of a family's series table: a 32-bit hash of the label values and
 * the series' index in creation order + 1 (0: empty). A probe that misses reads slots only. */
struct swl_slot {
	uint32_t hash;
	uint32_t ref;
};

struct swl_arena_chunk;

struct swl_family {
	char *name, *help;
	enum swl_metric_type type;
	size_t nlabels;
	char **labels;
	size_t nbuckets;
	double *bounds;           /* upper bounds, ascending, +Inf implied */
	size_t max_series;        /* 0 = the registry default */
	bool retired;             /* redeclared incompatibly: kept alive, no longer rendered */
	bool transient;           /* about this process, not the logs: the state file leaves it out */
	size_t nseries;
	struct swl_series **series;   /* in creation order, nseries entries */
	size_t tabsize;               /* a power of two, at most 3/4 full */
	struct swl_slot *table;       /* linear probing */
	struct swl_arena_chunk *arena; /* where the series live; freed with the family */
	size_t arena_used, arena_cap;
	struct swl_series *overflow;  /* created when the cap is first hit */
	struct swl_registry *registry; /* owner: default cap and the drop counter */
	struct swl_series *dropped;   /* this family's series in registry->dropped, once needed */
	bool host_label;              /* labels[0] is the "host" the registry added (see below) */
};

struct swl_registry {
	size_t nfamilies;
	struct swl_family **families;  /* in declaration order */
	size_t default_max_series;
	bool record_history;
	bool recorded;                 /* swl_registry_record ran: series may hold history */
	struct swl_family *dropped;    /* swanlog_series_dropped_total{metric} */
	/* --host-label (a collector of many gateways): set before the rules declare their
	 * families. Every family not named swanlog_* then gets a first label "host" (unless it
	 * has one, or already has SWL_MAX_LABELS labels), and its family's host_label is set.
	 * Its values are given like any other's: the rules put the entry's host first. */
	bool host_label;
	/* Told of every accepted change of a counter or gauge (old: its value before), on the
	 * thread that made it; NULL: no one listens. swanlog report builds its timelines here. */
	void (*observer)(void *arg, const struct swl_series *s, double old, int64_t t_us);
	void *observer_arg;
};

/* swanlog's own metrics (names swanlog_*, which rules cannot declare), not the logs'. */
static inline bool swl_family_self(const struct swl_family *f)
{
	return strncmp(f->name, "swanlog_", 8) == 0;
}

struct swl_registry *swl_registry_create(size_t default_max_series);
void swl_registry_destroy(struct swl_registry *r);

/* Declare a family (strings are copied). Returns the existing family when name, type, labels
 * and buckets agree (help and max_series are updated); retires the old one and creates a new
 * one when they do not. labels: nlabels names; bounds: nbounds ascending upper bounds (a
 * trailing +Inf is dropped; ignored unless a histogram). NULL when nlabels > SWL_MAX_LABELS. */
struct swl_family *swl_registry_family(struct swl_registry *r, const char *name, enum swl_metric_type type,
				       const char *help, const char *const *labels, size_t nlabels,
				       const double *bounds, size_t nbounds, size_t max_series);
/* The live (not retired) family of that name, or NULL. */
struct swl_family *swl_registry_find(const struct swl_registry *r, const char *name);

/* Find or create the series with these label values (borrowed; nlabels of them).
 * Never NULL: past the cap it is the overflow series. */
struct swl_series *swl_family_series(struct swl_family *f, const struct swl_str *values);

/* The 32-bit hash the series table keys these (sanitized) label values by; for tests. */
uint32_t swl_series_hash(const struct swl_str *values, size_t nlabels);

/* Updates set updated_us (unless t_us is 0: time unknown) and count in updates; one on the
 * overflow series also counts in swanlog_series_dropped_total. Refused (no effect at all): a
 * counter going down or NaN, add/set on a histogram, observe on a non-histogram, observing NaN. */
void swl_series_add(struct swl_series *s, double v, int64_t t_us);     /* counter/gauge += v */
void swl_series_set(struct swl_series *s, double v, int64_t t_us);     /* gauge = v (counter: only up) */
void swl_series_observe(struct swl_series *s, double v, int64_t t_us); /* histogram */

/* Append every live series' current value to its history at log time t_us (for --step). */
void swl_registry_record(struct swl_registry *r, int64_t t_us);

/* Live families sorted by name and series sorted by label values, for deterministic output.
 * The caller frees the returned array (not the elements). */
struct swl_family **swl_registry_sorted_families(const struct swl_registry *r, size_t *n);
struct swl_series **swl_family_sorted_series(const struct swl_family *f, size_t *n);

/* Copy src into dst (cap bytes incl. NUL) as a valid label value: truncated to
 * SWL_LABEL_VALUE_MAX, invalid UTF-8 replaced by U+FFFD. Returns the length written. */
size_t swl_label_sanitize(char *dst, size_t cap, struct swl_str src);

#endif
