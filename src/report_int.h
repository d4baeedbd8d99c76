/* report_int.h - the report's model, built by report.c and read by report_html.c and
 * report_text.c. Strings from the logs are kept as the registry stores them (valid UTF-8, at
 * most SWL_LABEL_VALUE_MAX bytes); each renderer escapes them for its output. */
#ifndef SWL_REPORT_INT_H
#define SWL_REPORT_INT_H
#include "report.h"
#include "util.h"

/* What a marker on a timeline stands for, one colour and shape each. */
enum rp_class { RP_UP, RP_REKEY, RP_DOWN, RP_FAIL, RP_RETRANSMIT, RP_KERNEL, RP_OTHER, RP_NCLASSES };
extern const char *const rp_class_name[RP_NCLASSES];

#define RP_NONE UINT32_MAX

/* What the summary adds a counter to. */
enum rp_sum { SUM_NONE, SUM_DOWNS, SUM_FAILURES, SUM_REKEYS, SUM_REKEY_FAILURES, SUM_RETRANSMITS, SUM_KERNEL,
	      SUM_BYTES, SUM_DAEMON };

/* One counter series the report saw grow: its increases within the window. */
struct rp_counter {
	const struct swl_series *series;
	uint32_t tunnel;          /* RP_NONE: the gateway's (no conn) */
	uint32_t child;           /* RP_NONE: the IKE_SA's row */
	enum rp_class cls;
	enum rp_sum sum;
	bool bytes_in, bytes_out; /* ipsec_child_sa_bytes_total by direction */
	double total;
	char *text;               /* "IKE_SA down: timeout", for markers and lists */
};

struct rp_event {             /* one increase (not of bytes), at its log time: 16 bytes */
	int64_t t_us;
	uint32_t counter;
	uint32_t n;               /* how many, for the marker (the total is the counter's) */
};

struct rp_span {              /* up from .. to (INT64_MAX: still up) */
	int64_t from_us, to_us;
};

struct rp_spans {
	struct rp_span *v;
	size_t n, cap;
};

struct rp_child {
	char *name;
	struct rp_spans up;
};

struct rp_tunnel {
	char *conn, *peer;
	struct rp_spans up;       /* the IKE_SA's */
	struct rp_child *children;
	size_t nchildren;
	struct rp_event *events;  /* in log order */
	size_t nevents, capevents;
	uint32_t *counters;       /* its counters, as they appeared */
	size_t ncounters;
	/* finish(): */
	int64_t up_us, down_us, longest_outage_us, recovered_us;
	size_t recoveries;
	bool up_at_end;
	bool seen;                /* an event in the window, or up in it */
	double problems, downs, failures, rekeys, rekey_failures, kernel_errors, retransmits, bytes_in, bytes_out;
	int64_t first_error_us, last_error_us; /* 0: none */
};

/* Gateway level: what is not one tunnel's. */
struct rp_reason {
	char *text;
	double n;
};

struct swl_report {
	struct swl_registry *reg;
	struct swl_report_opts o;
	struct rp_tunnel *tunnels;
	size_t ntunnels, captunnels;
	struct rp_counter *counters;
	size_t ncounters, capcounters;
	struct rp_event *gw_events;   /* counters of no tunnel (daemon starts, unlabelled ones) */
	size_t ngw_events, capgw_events;
	/* series -> counter or gauge role, by the series' address */
	struct rp_slot *slots;
	size_t nslots, capslots;
	/* tunnels by conn and peer */
	uint32_t *tunnel_table;
	size_t tunnel_tabsize;
	int64_t first_us, last_us;    /* the logs' first and last known time */
	double lines;
	/* finish(): */
	int64_t start_us, end_us;     /* the window */
	bool timeless;                /* no entry had a time, and no --from: there is no window */
	uint32_t *order;              /* tunnels, worst first; those seen in the window first */
	size_t nlisted;               /* tunnels seen in the window (an event, or up) */
	struct rp_reason *reasons;    /* failures by reason, most first */
	size_t nreasons;
	struct rp_reason *auth_peers; /* peers by authentication failures, most first */
	size_t nauth_peers;
	uint64_t *per_bucket;         /* events per minute, 5 minutes, hour or day (bucket_us) */
	size_t nbuckets;
	int64_t bucket_us;
	double daemon_starts;
};

/* helpers the renderers share */
/* "2026-11-29 17:55:43" in the local zone (TZ); rp_time_as: in an strftime format. "-" for 0. */
void rp_time(char *out, size_t cap, int64_t t_us);
void rp_time_as(char *out, size_t cap, int64_t t_us, const char *fmt);
/* "3 d 4 h", "12 min 5 s", "45 s" */
void rp_duration(char *out, size_t cap, int64_t us);
/* the share of the window a tunnel was up, 0..1 */
double rp_up_share(const struct swl_report *r, const struct rp_tunnel *t);

/* name{label="value",...} as the exposition writes it (values escaped there, not for HTML) */
void rp_series_text(struct swl_buf *b, const struct swl_series *s);
/* Of the counters idx[0..n), those that grew in the window, into out (n entries of room),
 * ordered as the exposition orders series; returns how many. */
size_t rp_sorted_counters(const struct swl_report *r, const uint32_t *idx, size_t n, uint32_t *out);
/* a value as the exposition writes it */
void rp_value(char *out, size_t cap, double v);

#endif
