/* report.c - the report's model (report_int.h): fed by the registry's observer while replay
 * runs, summed up by swl_report_finish. */
#include "report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "expo.h"

const char *const rp_class_name[RP_NCLASSES] = { "up", "rekey", "down", "fail", "retransmit", "kernel", "other" };

/* The metric contract's counters (rules/README.md) as the page names them. A counter of
 * another name (a site's own rule) still counts and shows, as "other". */
static const struct rp_family_info {
	const char *name, *text;
	enum rp_class cls;
	enum rp_sum sum;
} family_info[] = {
	{ "ipsec_ike_sa_established_total", "IKE_SA established", RP_UP, SUM_NONE },
	{ "ipsec_ike_sa_rekeyed_total", "IKE_SA rekeyed", RP_REKEY, SUM_REKEYS },
	{ "ipsec_ike_sa_down_total", "IKE_SA down", RP_DOWN, SUM_DOWNS },
	{ "ipsec_ike_sa_failed_total", "IKE_SA failed", RP_FAIL, SUM_FAILURES },
	{ "ipsec_child_sa_established_total", "CHILD_SA established", RP_UP, SUM_NONE },
	{ "ipsec_child_sa_rekeyed_total", "CHILD_SA rekeyed", RP_REKEY, SUM_REKEYS },
	{ "ipsec_child_sa_down_total", "CHILD_SA down", RP_DOWN, SUM_NONE },
	{ "ipsec_child_sa_failed_total", "CHILD_SA failed", RP_FAIL, SUM_FAILURES },
	{ "ipsec_child_sa_bytes_total", "bytes", RP_OTHER, SUM_BYTES },
	{ "ipsec_rekeys_failed_total", "rekey failed", RP_FAIL, SUM_REKEY_FAILURES },
	{ "ipsec_retransmits_total", "retransmit", RP_RETRANSMIT, SUM_RETRANSMITS },
	{ "ipsec_retransmit_timeouts_total", "gave up retransmitting", RP_FAIL, SUM_NONE },
	{ "ipsec_auth_failures_total", "authentication failed", RP_FAIL, SUM_NONE },
	{ "ipsec_proposal_mismatches_total", "no proposal chosen", RP_FAIL, SUM_NONE },
	{ "ipsec_ts_mismatches_total", "traffic selectors unacceptable", RP_FAIL, SUM_NONE },
	{ "ipsec_cert_errors_total", "certificate error", RP_FAIL, SUM_NONE },
	{ "ipsec_notify_errors_total", "notify error", RP_FAIL, SUM_NONE },
	{ "ipsec_kernel_errors_total", "kernel error", RP_KERNEL, SUM_KERNEL },
	{ "ipsec_xfrm_audit_events_total", "xfrm audit event", RP_KERNEL, SUM_NONE },
	{ "ipsec_daemon_starts_total", "daemon start", RP_OTHER, SUM_DAEMON },
};

/* ---- a series' role, found once by its address ---- */

enum rp_role { ROLE_IGNORE, ROLE_COUNTER, ROLE_IKE_UP, ROLE_CHILD_UP, ROLE_LINES };

struct rp_slot {
	const struct swl_series *series; /* NULL: empty */
	enum rp_role role;
	uint32_t idx;   /* counter, or tunnel of an *_up gauge */
	uint32_t child; /* ROLE_CHILD_UP */
};

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static struct rp_slot *slot_find(struct swl_report *r, const struct swl_series *s)
{
	size_t mask = r->capslots - 1;
	for (size_t i = ptr_hash(s) & mask;; i = (i + 1) & mask)
		if (r->slots[i].series == s || !r->slots[i].series)
			return &r->slots[i];
}

static struct rp_slot *slot_add(struct swl_report *r, const struct swl_series *s)
{
	if ((r->nslots + 1) * 4 > r->capslots * 3) {
		struct rp_slot *old = r->slots;
		size_t oldcap = r->capslots;
		r->capslots = oldcap ? oldcap * 2 : 256;
		r->slots = swl_xcalloc(r->capslots, sizeof(*r->slots));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].series)
				*slot_find(r, old[i].series) = old[i];
		free(old);
	}
	struct rp_slot *sl = slot_find(r, s);
	sl->series = s;
	r->nslots++;
	return sl;
}

static const char *label(const struct swl_series *s, const char *name)
{
	const struct swl_family *f = s->family;
	for (size_t i = 0; i < f->nlabels; i++)
		if (strcmp(f->labels[i], name) == 0)
			return s->values[i];
	return NULL;
}

/* ---- tunnels by conn and peer ---- */

static uint32_t tunnel_hash(const char *conn, const char *peer)
{
	uint64_t h = swl_hash(SWL_HASH_INIT, conn, strlen(conn) + 1);
	return (uint32_t)swl_hash(h, peer, strlen(peer));
}

static uint32_t tunnel_get(struct swl_report *r, const char *conn, const char *peer)
{
	if ((r->ntunnels + 1) * 4 > r->tunnel_tabsize * 3) {
		free(r->tunnel_table);
		r->tunnel_tabsize = r->tunnel_tabsize ? r->tunnel_tabsize * 2 : 64;
		r->tunnel_table = swl_xcalloc(r->tunnel_tabsize, sizeof(*r->tunnel_table));
		for (uint32_t t = 0; t < r->ntunnels; t++) {
			size_t i = tunnel_hash(r->tunnels[t].conn, r->tunnels[t].peer) & (r->tunnel_tabsize - 1);
			while (r->tunnel_table[i])
				i = (i + 1) & (r->tunnel_tabsize - 1);
			r->tunnel_table[i] = t + 1;
		}
	}
	size_t mask = r->tunnel_tabsize - 1;
	size_t i = tunnel_hash(conn, peer) & mask;
	for (; r->tunnel_table[i]; i = (i + 1) & mask) {
		const struct rp_tunnel *t = &r->tunnels[r->tunnel_table[i] - 1];
		if (strcmp(t->conn, conn) == 0 && strcmp(t->peer, peer) == 0)
			return r->tunnel_table[i] - 1;
	}
	if (r->ntunnels == r->captunnels) {
		r->captunnels = r->captunnels ? r->captunnels * 2 : 16;
		r->tunnels = swl_xrealloc(r->tunnels, r->captunnels * sizeof(*r->tunnels));
	}
	uint32_t t = (uint32_t)r->ntunnels++;
	r->tunnels[t] = (struct rp_tunnel){ .conn = swl_xstrdup(conn), .peer = swl_xstrdup(peer) };
	r->tunnel_table[i] = t + 1;
	return t;
}

static uint32_t child_get(struct rp_tunnel *t, const char *name)
{
	for (size_t i = 0; i < t->nchildren; i++)
		if (strcmp(t->children[i].name, name) == 0)
			return (uint32_t)i;
	t->children = swl_xrealloc(t->children, (t->nchildren + 1) * sizeof(*t->children));
	t->children[t->nchildren] = (struct rp_child){ .name = swl_xstrdup(name) };
	return (uint32_t)t->nchildren++;
}

/* The tunnel a series belongs to: a non-empty conn, and its peer. A metric with no peer label
 * (kernel errors charon ties to a conn) goes to the tunnel of that conn that appeared last. */
static uint32_t tunnel_of(struct swl_report *r, const struct swl_series *s)
{
	const char *conn = label(s, "conn");
	if (!conn || !*conn)
		return RP_NONE;
	const char *peer = label(s, "peer");
	if (!peer)
		for (size_t i = r->ntunnels; i-- > 0;)
			if (strcmp(r->tunnels[i].conn, conn) == 0)
				return (uint32_t)i;
	return tunnel_get(r, conn, peer ? peer : "");
}

/* "IKE_SA down: timeout": the family's text and the labels that say more than the tunnel. */
static char *counter_text(const struct swl_series *s, const char *text)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	swl_buf_printf(&b, "%s", text);
	const struct swl_family *f = s->family;
	bool first = true;
	for (size_t i = 0; i < f->nlabels; i++) {
		const char *n = f->labels[i];
		if (!strcmp(n, "conn") || !strcmp(n, "peer") || !strcmp(n, "child") || !strcmp(n, "host") ||
		    !*s->values[i])
			continue;
		swl_buf_printf(&b, "%s%s", first ? ": " : ", ", s->values[i]);
		first = false;
	}
	swl_buf_addc(&b, '\0');
	return swl_buf_steal(&b, NULL);
}

static void classify(struct swl_report *r, struct rp_slot *sl, const struct swl_series *s)
{
	const struct swl_family *f = s->family;
	sl->role = ROLE_IGNORE;
	if (strcmp(f->name, "swanlog_lines_read_total") == 0) {
		sl->role = ROLE_LINES;
		return;
	}
	if (swl_family_self(f))
		return;
	if (f->type == SWL_GAUGE) {
		bool ike = strcmp(f->name, "ipsec_ike_sa_up") == 0, child = strcmp(f->name, "ipsec_child_sa_up") == 0;
		const char *cname = label(s, "child");
		if (!ike && !(child && cname))
			return;
		uint32_t t = tunnel_of(r, s);
		if (t == RP_NONE)
			return;
		sl->role = ike ? ROLE_IKE_UP : ROLE_CHILD_UP;
		sl->idx = t;
		sl->child = ike ? RP_NONE : child_get(&r->tunnels[t], cname);
		return;
	}
	if (f->type != SWL_COUNTER)
		return;
	const struct rp_family_info *fi = NULL;
	for (size_t i = 0; i < sizeof(family_info) / sizeof(family_info[0]); i++)
		if (strcmp(family_info[i].name, f->name) == 0)
			fi = &family_info[i];
	if (r->ncounters == r->capcounters) {
		r->capcounters = r->capcounters ? r->capcounters * 2 : 64;
		r->counters = swl_xrealloc(r->counters, r->capcounters * sizeof(*r->counters));
	}
	struct rp_counter *c = &r->counters[r->ncounters];
	*c = (struct rp_counter){ .series = s, .cls = fi ? fi->cls : RP_OTHER, .sum = fi ? fi->sum : SUM_NONE,
				  .child = RP_NONE };
	c->text = counter_text(s, fi ? fi->text : f->name);
	c->tunnel = tunnel_of(r, s);
	if (c->tunnel != RP_NONE) {
		struct rp_tunnel *t = &r->tunnels[c->tunnel];
		const char *cname = label(s, "child");
		if (cname && *cname)
			c->child = child_get(t, cname);
		t->counters = swl_xrealloc(t->counters, (t->ncounters + 1) * sizeof(*t->counters));
		t->counters[t->ncounters++] = (uint32_t)r->ncounters;
	}
	if (c->sum == SUM_BYTES) {
		const char *dir = label(s, "direction");
		c->bytes_in = dir && strcmp(dir, "in") == 0;
		c->bytes_out = dir && strcmp(dir, "out") == 0;
	}
	sl->role = ROLE_COUNTER;
	sl->idx = (uint32_t)r->ncounters++;
}

static void event_add(struct rp_event **v, size_t *n, size_t *cap, struct rp_event e)
{
	/* increases of one counter at one time are one event */
	if (*n && (*v)[*n - 1].counter == e.counter && (*v)[*n - 1].t_us == e.t_us) {
		(*v)[*n - 1].n = (*v)[*n - 1].n > UINT32_MAX - e.n ? UINT32_MAX : (*v)[*n - 1].n + e.n;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = swl_xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = e;
}

static void span_open(struct rp_spans *s, int64_t t)
{
	if (s->n && s->v[s->n - 1].to_us == INT64_MAX)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = swl_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct rp_span){ t, INT64_MAX };
}

static void span_close(struct rp_spans *s, int64_t t)
{
	if (s->n && s->v[s->n - 1].to_us == INT64_MAX)
		s->v[s->n - 1].to_us = t < s->v[s->n - 1].from_us ? s->v[s->n - 1].from_us : t;
}

static void gauge_changed(struct rp_spans *s, double old, double now, int64_t t)
{
	if (!(old > 0) && now > 0)
		span_open(s, t);
	else if (old > 0 && !(now > 0))
		span_close(s, t);
}

/* --from/--to are known from the start: a counter's total grows as the entries pass */
static bool in_window(const struct swl_report *r, int64_t t)
{
	return (!r->o.from_us || t >= r->o.from_us) && (!r->o.to_us || t <= r->o.to_us);
}

static void observe(void *arg, const struct swl_series *s, double old, int64_t t_us)
{
	struct swl_report *r = arg;
	if (t_us) {
		if (!r->first_us || t_us < r->first_us)
			r->first_us = t_us;
		if (t_us > r->last_us)
			r->last_us = t_us;
	} else {
		t_us = r->last_us; /* a line without a time: where the logs were */
	}
	struct rp_slot *sl = r->capslots ? slot_find(r, s) : NULL;
	if (!sl || !sl->series) {
		sl = slot_add(r, s);
		classify(r, sl, s);
	}
	switch (sl->role) {
	case ROLE_IGNORE:
		return;
	case ROLE_LINES:
		r->lines = s->value;
		return;
	case ROLE_IKE_UP:
		gauge_changed(&r->tunnels[sl->idx].up, old, s->value, t_us);
		return;
	case ROLE_CHILD_UP:
		gauge_changed(&r->tunnels[sl->idx].children[sl->child].up, old, s->value, t_us);
		return;
	case ROLE_COUNTER:
		break;
	}
	double d = s->value - old;
	if (!(d > 0))
		return;
	struct rp_counter *c = &r->counters[sl->idx];
	if (in_window(r, t_us))
		c->total += d;
	if (c->bytes_in || c->bytes_out)
		return; /* bytes are summed, not drawn */
	/* a marker's count: whole increases (a rule may add fractions; at least one) */
	struct rp_event e = { .t_us = t_us, .n = d >= UINT32_MAX ? UINT32_MAX : d < 1 ? 1 : (uint32_t)d,
			      .counter = sl->idx };
	uint32_t t = c->tunnel;
	if (t == RP_NONE)
		event_add(&r->gw_events, &r->ngw_events, &r->capgw_events, e);
	else
		event_add(&r->tunnels[t].events, &r->tunnels[t].nevents, &r->tunnels[t].capevents, e);
}

/* ---- lifecycle ---- */

struct swl_report *swl_report_create(struct swl_registry *reg, const struct swl_report_opts *o)
{
	struct swl_report *r = swl_xcalloc(1, sizeof(*r));
	r->reg = reg;
	r->o = *o;
	if (!r->o.top)
		r->o.top = SWL_REPORT_DEFAULT_TOP;
	reg->observer = observe;
	reg->observer_arg = r;
	return r;
}

static int span_cmp(const void *a, const void *b)
{
	const struct rp_span *x = a, *y = b;
	return x->from_us < y->from_us ? -1 : x->from_us > y->from_us;
}

/* Cut the spans to the window, close the open ones at its end, sort and merge them. */
static void spans_clip(struct rp_spans *s, int64_t start, int64_t end)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct rp_span v = s->v[i];
		if (v.from_us < start)
			v.from_us = start;
		if (v.to_us > end)
			v.to_us = end;
		if (v.to_us > v.from_us)
			s->v[k++] = v;
	}
	s->n = k;
	if (s->n > 1) /* qsort wants an array, even of none */
		qsort(s->v, s->n, sizeof(*s->v), span_cmp);
	k = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (k && s->v[i].from_us <= s->v[k - 1].to_us) {
			if (s->v[i].to_us > s->v[k - 1].to_us)
				s->v[k - 1].to_us = s->v[i].to_us;
		} else {
			s->v[k++] = s->v[i];
		}
	}
	s->n = k;
}

/* Time up, and outages: the time not up after the tunnel first shows in the window, each
 * ended by the next up (recovered) or by the window's end (still down). */
static void tunnel_times(const struct swl_report *r, struct rp_tunnel *t, int64_t first_event)
{
	int64_t life = first_event;
	if (t->up.n && t->up.v[0].from_us < life)
		life = t->up.v[0].from_us;
	if (life > r->end_us)
		return; /* seen only outside the window */
	t->seen = true;
	int64_t cursor = life;
	for (size_t i = 0; i < t->up.n; i++) {
		int64_t gap = t->up.v[i].from_us - cursor;
		if (gap > 0) {
			t->recoveries++;
			t->recovered_us += gap;
			if (gap > t->longest_outage_us)
				t->longest_outage_us = gap;
		}
		t->up_us += t->up.v[i].to_us - t->up.v[i].from_us;
		cursor = t->up.v[i].to_us;
	}
	if (!t->up_at_end && r->end_us - cursor > t->longest_outage_us)
		t->longest_outage_us = r->end_us - cursor;
	t->down_us = r->end_us - life - t->up_us;
}

static void tunnel_sums(struct swl_report *r, struct rp_tunnel *t)
{
	int64_t first_event = INT64_MAX;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct rp_event *e = &t->events[i];
		if (!in_window(r, e->t_us))
			continue;
		const struct rp_counter *c = &r->counters[e->counter];
		if (e->t_us < first_event)
			first_event = e->t_us;
		if (c->cls == RP_FAIL || c->cls == RP_KERNEL) {
			if (!t->first_error_us || e->t_us < t->first_error_us)
				t->first_error_us = e->t_us;
			if (e->t_us > t->last_error_us)
				t->last_error_us = e->t_us;
		}
	}
	for (size_t i = 0; i < t->ncounters; i++) {
		const struct rp_counter *c = &r->counters[t->counters[i]];
		switch (c->sum) {
		case SUM_DOWNS: t->downs += c->total; break;
		case SUM_FAILURES: t->failures += c->total; break;
		case SUM_REKEYS: t->rekeys += c->total; break;
		case SUM_REKEY_FAILURES: t->rekey_failures += c->total; break;
		case SUM_RETRANSMITS: t->retransmits += c->total; break;
		case SUM_KERNEL: t->kernel_errors += c->total; break;
		case SUM_BYTES:
			if (c->bytes_in)
				t->bytes_in += c->total;
			if (c->bytes_out)
				t->bytes_out += c->total;
			break;
		case SUM_NONE: case SUM_DAEMON: break;
		}
		if (c->cls == RP_FAIL || c->cls == RP_DOWN || c->cls == RP_KERNEL)
			t->problems += c->total;
	}
	/* up at the end: a span goes past it (one still open, say), not one that ends on it */
	for (size_t i = 0; i < t->up.n; i++)
		if (t->up.v[i].from_us <= r->end_us && t->up.v[i].to_us > r->end_us)
			t->up_at_end = true;
	spans_clip(&t->up, r->start_us, r->end_us);
	for (size_t i = 0; i < t->nchildren; i++)
		spans_clip(&t->children[i].up, r->start_us, r->end_us);
	tunnel_times(r, t, first_event);
}

struct order_key {
	const struct rp_tunnel *t;
	uint32_t idx;
};

/* Worst first: tunnels with trouble, the longest down, the most trouble; then by name. */
static int worst_first(const void *a, const void *b)
{
	const struct rp_tunnel *x = ((const struct order_key *)a)->t, *y = ((const struct order_key *)b)->t;
	if (x->seen != y->seen)
		return x->seen ? -1 : 1;
	bool tx = x->problems > 0, ty = y->problems > 0;
	if (tx != ty)
		return tx ? -1 : 1;
	if (x->down_us != y->down_us)
		return x->down_us > y->down_us ? -1 : 1;
	if (x->problems != y->problems)
		return x->problems > y->problems ? -1 : 1;
	int c = strcmp(x->conn, y->conn);
	return c ? c : strcmp(x->peer, y->peer);
}

static void reason_add(struct rp_reason **v, size_t *n, const char *text, double k)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].text, text) == 0) {
			(*v)[i].n += k;
			return;
		}
	*v = swl_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = (struct rp_reason){ swl_xstrdup(text), k };
}

static int most_first(const void *a, const void *b)
{
	const struct rp_reason *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->text, y->text);
}

static void bucket_add(struct swl_report *r, const struct rp_event *e)
{
	if (e->t_us < r->start_us || e->t_us > r->end_us || r->counters[e->counter].cls == RP_OTHER)
		return;
	size_t b = (size_t)((e->t_us - r->start_us) / r->bucket_us);
	if (b < r->nbuckets)
		r->per_bucket[b] += (uint64_t)e->n;
}

void swl_report_finish(struct swl_report *r)
{
	r->reg->observer = NULL;
	r->timeless = !r->first_us && !r->o.from_us;
	r->start_us = r->o.from_us ? r->o.from_us : r->first_us;
	r->end_us = r->o.to_us ? r->o.to_us : r->last_us;
	if (r->end_us <= r->start_us)
		r->end_us = r->start_us + 1000000; /* one moment: a window of one second */
	for (size_t i = 0; i < r->ntunnels; i++)
		tunnel_sums(r, &r->tunnels[i]);

	struct order_key *keys = swl_xmalloc((r->ntunnels + 1) * sizeof(*keys));
	for (size_t i = 0; i < r->ntunnels; i++)
		keys[i] = (struct order_key){ &r->tunnels[i], (uint32_t)i };
	qsort(keys, r->ntunnels, sizeof(*keys), worst_first);
	r->order = swl_xmalloc((r->ntunnels + 1) * sizeof(*r->order));
	for (size_t i = 0; i < r->ntunnels; i++) {
		r->order[i] = keys[i].idx;
		r->nlisted += keys[i].t->seen;
	}
	free(keys);

	for (size_t i = 0; i < r->ncounters; i++) {
		const struct rp_counter *c = &r->counters[i];
		const char *name = c->series->family->name;
		if (c->total <= 0)
			continue;
		if (!strcmp(name, "ipsec_ike_sa_failed_total") || !strcmp(name, "ipsec_child_sa_failed_total"))
			reason_add(&r->reasons, &r->nreasons, c->text, c->total);
		else if (!strcmp(name, "ipsec_auth_failures_total")) {
			const char *peer = label(c->series, "peer");
			reason_add(&r->auth_peers, &r->nauth_peers, peer && *peer ? peer : "(unknown)", c->total);
		} else if (!strcmp(name, "ipsec_daemon_starts_total"))
			r->daemon_starts += c->total;
	}
	if (r->nreasons > 1)
		qsort(r->reasons, r->nreasons, sizeof(*r->reasons), most_first);
	if (r->nauth_peers > 1)
		qsort(r->auth_peers, r->nauth_peers, sizeof(*r->auth_peers), most_first);

	/* the finest of a minute, five, an hour, a day that gives at most 300 bars */
	int64_t span = r->end_us - r->start_us;
	static const int64_t widths[] = { 60, 300, 3600, 86400 };
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		r->bucket_us = widths[i] * 1000000;
		if (span / r->bucket_us < 300)
			break;
	}
	r->nbuckets = (size_t)(span / r->bucket_us) + 1;
	r->per_bucket = swl_xcalloc(r->nbuckets, sizeof(*r->per_bucket));
	for (size_t i = 0; i < r->ngw_events; i++)
		bucket_add(r, &r->gw_events[i]);
	for (size_t i = 0; i < r->ntunnels; i++)
		for (size_t k = 0; k < r->tunnels[i].nevents; k++)
			bucket_add(r, &r->tunnels[i].events[k]);
}

void swl_report_destroy(struct swl_report *r)
{
	if (!r)
		return;
	if (r->reg->observer_arg == r)
		r->reg->observer = NULL;
	for (size_t i = 0; i < r->ntunnels; i++) {
		struct rp_tunnel *t = &r->tunnels[i];
		free(t->conn);
		free(t->peer);
		free(t->up.v);
		for (size_t k = 0; k < t->nchildren; k++) {
			free(t->children[k].name);
			free(t->children[k].up.v);
		}
		free(t->children);
		free(t->events);
		free(t->counters);
	}
	for (size_t i = 0; i < r->ncounters; i++)
		free(r->counters[i].text);
	for (size_t i = 0; i < r->nreasons; i++)
		free(r->reasons[i].text);
	for (size_t i = 0; i < r->nauth_peers; i++)
		free(r->auth_peers[i].text);
	free(r->reasons);
	free(r->auth_peers);
	free(r->tunnels);
	free(r->counters);
	free(r->gw_events);
	free(r->slots);
	free(r->tunnel_table);
	free(r->order);
	free(r->per_bucket);
	free(r);
}

/* ---- shared by the renderers ---- */

void rp_time_as(char *out, size_t cap, int64_t t_us, const char *fmt)
{
	time_t t = (time_t)(t_us / 1000000);
	struct tm tm;
	if (!t_us || !localtime_r(&t, &tm) || !strftime(out, cap, fmt, &tm))
		swl_strf(out, cap, "-");
}

void rp_time(char *out, size_t cap, int64_t t_us)
{
	rp_time_as(out, cap, t_us, "%Y-%m-%d %H:%M:%S");
}

void rp_duration(char *out, size_t cap, int64_t us)
{
	int64_t s = us / 1000000;
	if (s >= 86400)
		swl_strf(out, cap, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		swl_strf(out, cap, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		swl_strf(out, cap, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
	else
		swl_strf(out, cap, "%lld s", (long long)s);
}

double rp_up_share(const struct swl_report *r, const struct rp_tunnel *t)
{
	return (double)t->up_us / (double)(r->end_us - r->start_us);
}

int swl_report_parse_time(const char *s, int64_t *t_us)
{
	struct tm tm = { 0 };
	int n = 0, k = sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n);
	if (k != 3)
		return -EINVAL;
	if (s[n] == ' ' || s[n] == 'T') {
		int m = 0;
		const char *rest = s + n + 1;
		k = sscanf(rest, "%2d:%2d%n:%2d%n", &tm.tm_hour, &tm.tm_min, &m, &tm.tm_sec, &m);
		if (k < 2)
			return -EINVAL;
		n += 1 + m;
	}
	if (s[n] || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*t_us = (int64_t)t * 1000000;
	return 0;
}

void rp_series_text(struct swl_buf *b, const struct swl_series *s)
{
	const struct swl_family *f = s->family;
	swl_buf_printf(b, "%s", f->name);
	for (size_t i = 0; i < f->nlabels; i++) {
		swl_buf_printf(b, "%s%s=\"", i ? "," : "{", f->labels[i]);
		swl_expo_escape_label(b, s->values[i]);
		swl_buf_addc(b, '"');
	}
	if (f->nlabels)
		swl_buf_addc(b, '}');
}

void rp_value(char *out, size_t cap, double v)
{
	if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v)
		swl_strf(out, cap, "%llu", (unsigned long long)v);
	else
		swl_fmt_double(out, cap, v);
}

/* As the exposition orders series: by metric name, then by label values. */
static int counter_order(const void *a, const void *b, void *arg)
{
	const struct swl_report *r = arg;
	const struct swl_series *x = r->counters[*(const uint32_t *)a].series;
	const struct swl_series *y = r->counters[*(const uint32_t *)b].series;
	int c = strcmp(x->family->name, y->family->name);
	for (size_t i = 0; !c && i < x->family->nlabels; i++)
		c = strcmp(x->values[i], y->values[i]);
	return c;
}

size_t rp_sorted_counters(const struct swl_report *r, const uint32_t *idx, size_t n, uint32_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (r->counters[idx[i]].total > 0)
			out[k++] = idx[i];
	qsort_r(out, k, sizeof(*out), counter_order, (void *)r);
	return k;
}
