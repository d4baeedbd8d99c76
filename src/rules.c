/* rules.c - event -> updates: match, resolve templates, update the registry and context.
 *
 * The per-line path allocates nothing: captures land in the matcher's one match data,
 * templates resolve to slices of the line, the event, the context or the matcher's scratch
 * buffer, and series are found by hashing those slices.
 */
#include "rules_index.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define SCRATCH_SIZE 8192   /* bytes for rendered templates of one update */
#define MATCH_LIMIT 1000000 /* PCRE2 match limit per rule and line */
#define DEPTH_LIMIT 10000

/* A field's value in the current event (by name_id), valid while gen is the matcher's. */
struct memo {
	uint64_t gen;
	struct swl_str value;
};

/* What a recall key found: the same for every rule of the event that recalls it after the
 * same entries (and, for a key that reads captures, has the same pattern; see swl_tpl_memo),
 * while memo_holds. */
struct key_memo {
	uint64_t gen, moves, inserts;
	size_t nprev;                /* the keys looked up before it, what they found and its stamp */
	const struct swl_ctx_entry *prev[SWL_MAX_RECALL];
	uint32_t stamps[SWL_MAX_RECALL];
	const struct swl_ctx_entry *entry;
	bool missed;
};

/* A pattern's match on the current event (valid while gen is the matcher's): the rules that
 * share the pattern share it. */
struct match_memo {
	uint64_t gen;
	int rc;
	pcre2_match_data *md;
};

/* What a name that is no capture resolved to (a builtin, a field or a recalled label), valid
 * while stamp is the scope's: the same for every template of a rule that reads it while the
 * recalled entries and the memory stay the same. */
struct name_memo {
	uint64_t stamp;
	struct swl_str value;
};

struct swl_matcher {
	const struct swl_ruleset *rs;
	pcre2_match_context *mctx;   /* the match and depth limits, the JIT stack */
	pcre2_jit_stack *jit_stack;
	struct match_memo *matches;  /* per distinct pattern (rs->patterns), its match this event */
	struct memo *fields;         /* per name of rs->names, its field in the current event */
	struct name_memo *names;     /* per name of rs->names, its value under a scope's stamp */
	struct key_memo *keys;       /* per memoised recall key (rs->keys), what it found this event */
	uint64_t gen;                /* increased per event: older memo entries are stale */
	uint64_t stamps;             /* the last stamp given to a scope */
	uint64_t pid_gen;            /* pid_text holds the event's pid when pid_gen == gen */
	char pid_text[24];
	char scratch[SCRATCH_SIZE];
};

struct swl_matcher *swl_matcher_create(const struct swl_ruleset *rs)
{
	struct swl_matcher *m = swl_xcalloc(1, sizeof(*m));
	m->rs = rs;
	m->mctx = pcre2_match_context_create(NULL);
	if (!m->mctx)
		abort(); /* out of memory, as swl_xmalloc */
	pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, DEPTH_LIMIT);
	m->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
	m->matches = swl_xcalloc(rs->npatterns ? rs->npatterns : 1, sizeof(*m->matches));
	for (size_t i = 0; i < rs->npatterns; i++)
		if (!(m->matches[i].md = pcre2_match_data_create(rs->max_captures + 1, NULL)))
			abort();
	m->fields = swl_xcalloc(rs->nnames ? rs->nnames : 1, sizeof(*m->fields));
	m->names = swl_xcalloc(rs->nnames ? rs->nnames : 1, sizeof(*m->names));
	m->keys = swl_xcalloc(rs->nkeys ? rs->nkeys : 1, sizeof(*m->keys));
	return m;
}

void swl_matcher_destroy(struct swl_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->rs->npatterns; i++)
		pcre2_match_data_free(m->matches[i].md);
	free(m->matches);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit_stack);
	free(m->fields);
	free(m->names);
	free(m->keys);
	free(m);
}

/* What a template can see while one rule handles one event. */
struct scope {
	struct swl_matcher *m;       /* its per-event memo of fields and the pid's text */
	struct swl_context *ctx;
	const struct swl_event *ev;
	PCRE2_SIZE *ov;
	uint32_t ncaptures;          /* pairs in ov that the match set */
	const struct swl_ctx_entry *recalled[SWL_MAX_RECALL]; /* NULL where a key found nothing */
	size_t nrecalled;
	bool missed;                 /* a recall key named an entry that was not there */
	/* Names resolve alike while this stamp holds: a new one whenever the recalled entries or
	 * the memory may have changed. */
	uint64_t stamp;
	char *scratch;               /* rendered templates of the current step */
	size_t used, cap;
};

/* What names resolved to may have changed (entries recalled, the memory written). */
static inline void scope_changed(struct scope *sc)
{
	sc->stamp = ++sc->m->stamps;
}

/* The event's field of that name, looked up once per event whatever the number of refs. */
static struct swl_str field_value(struct scope *sc, const struct swl_ref *ref)
{
	struct memo *mo = &sc->m->fields[ref->name_id];
	if (mo->gen != sc->m->gen) {
		mo->value = swl_event_field(sc->ev, (struct swl_str){ ref->name, ref->namelen });
		mo->gen = sc->m->gen;
	}
	return mo->value;
}

/* The pid as text, formatted once per event. */
static struct swl_str pid_value(struct scope *sc)
{
	struct swl_matcher *m = sc->m;
	if (sc->ev->pid < 0)
		return SWL_STR_NULL;
	if (m->pid_gen != m->gen) {
		snprintf(m->pid_text, sizeof(m->pid_text), "%ld", sc->ev->pid);
		m->pid_gen = m->gen;
	}
	return swl_str_c(m->pid_text);
}

static struct swl_str builtin_value(struct scope *sc, enum swl_builtin b)
{
	switch (b) {
	case SWL_B_HOST:
		return sc->ev->host;
	case SWL_B_PROGRAM:
		return sc->ev->program;
	case SWL_B_MESSAGE:
		return sc->ev->msg;
	case SWL_B_PID:
		return pid_value(sc);
	case SWL_B_NONE:
		break;
	}
	return SWL_STR_NULL;
}

/* A name's value: a capture, a builtin, a field or a recalled label. Inlined into part_value,
 * which calls it for every name of every template. */
static inline __attribute__((always_inline)) struct swl_str ref_value(struct scope *sc, const struct swl_ref *ref)
{
	for (size_t g = 0; g < ref->ngroups; g++) {
		uint32_t n = ref->groups[g];
		/* the first non-empty source wins: a group that matched nothing is no value */
		if (n < sc->ncaptures && sc->ov[2 * n] != PCRE2_UNSET && sc->ov[2 * n + 1] > sc->ov[2 * n])
			return (struct swl_str){ sc->ev->msg.p + sc->ov[2 * n], sc->ov[2 * n + 1] - sc->ov[2 * n] };
	}
	struct swl_str v;
	if (ref->builtin != SWL_B_NONE && (v = builtin_value(sc, ref->builtin)).n)
		return v;
	v = field_value(sc, ref);
	if (v.n || !sc->nrecalled)
		return v;
	/* a recalled label: looked up once while the scope's stamp holds */
	struct name_memo *nm = &sc->m->names[ref->name_id];
	if (nm->stamp == sc->stamp)
		return nm->value;
	for (size_t i = 0; !v.n && i < sc->nrecalled; i++)
		if (sc->recalled[i])
			v = swl_ctx_entry_label(sc->recalled[i], (struct swl_str){ ref->name, ref->namelen });
	*nm = (struct name_memo){ .stamp = sc->stamp, .value = v };
	return v;
}

static struct swl_str part_value(struct scope *sc, const struct swl_part *p)
{
	for (size_t a = 0; a < p->nalts; a++) {
		struct swl_str v = ref_value(sc, &p->alts[a]);
		if (v.n)
			return v;
	}
	return (struct swl_str){ p->lit ? p->lit : "", p->litlen };
}

/* memcpy for the few bytes of a template's part, without a call: two overlapping loads and
 * stores read and write only [s, s + n) and [d, d + n). */
static inline void copy_small(char *d, const char *s, size_t n)
{
	if (n >= 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n) {
		char a = s[0], b = s[n / 2], c = s[n - 1];
		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
}

/* Resolve a template. A one-part template is a slice of its source (no copy); longer ones
 * are rendered into the scratch buffer, cut short when it is full. A key (strict) in which
 * any ${...} is empty is empty as a whole: "moon|" names no SA. */
static struct swl_str tpl_render(struct scope *sc, const struct swl_tpl *t, bool strict)
{
	if (t->nparts == 0)
		return (struct swl_str){ "", 0 };
	if (t->nparts == 1)
		return part_value(sc, &t->parts[0]);
	char *start = sc->scratch + sc->used;
	for (size_t i = 0; i < t->nparts; i++) {
		const struct swl_part *p = &t->parts[i];
		struct swl_str v = p->nalts ? part_value(sc, p) : (struct swl_str){ p->lit, p->litlen };
		if (strict && p->nalts && !v.n) {
			sc->used = (size_t)(start - sc->scratch);
			return (struct swl_str){ "", 0 };
		}
		size_t room = sc->cap - sc->used;
		size_t n = v.n < room ? v.n : room;
		copy_small(sc->scratch + sc->used, v.p, n);
		sc->used += n;
	}
	return (struct swl_str){ start, (size_t)(sc->scratch + sc->used - start) };
}

static struct swl_str tpl_eval(struct scope *sc, const struct swl_tpl *t)
{
	return tpl_render(sc, t, false);
}

static struct swl_str key_eval(struct scope *sc, const struct swl_tpl *t)
{
	return tpl_render(sc, t, true);
}

static bool tpl_number(struct scope *sc, const struct swl_tpl *t, double *out)
{
	if (t->is_time) {
		if (!sc->ev->time_us)
			return false;
		*out = (double)sc->ev->time_us / 1e6;
		return true;
	}
	struct swl_str v = tpl_eval(sc, t);
	char buf[64];
	if (v.n == 0 || v.n >= sizeof(buf))
		return false;
	memcpy(buf, v.p, v.n);
	buf[v.n] = '\0';
	char *end;
	errno = 0;
	double x = strtod(buf, &end);
	if (*end || errno || !isfinite(x))
		return false;
	*out = x;
	return true;
}

static bool conds_hold(struct scope *sc, const struct swl_cond *c, size_t n, bool all)
{
	for (size_t i = 0; i < n; i++) {
		sc->used = 0;
		struct swl_str a = tpl_eval(sc, &c[i].lhs);
		struct swl_str b = tpl_eval(sc, &c[i].rhs);
		bool eq = swl_str_eq(a, b);
		if (all && !eq)
			return false;
		if (!all && eq)
			return true;
	}
	return all;
}

/* A key went down: count it on the counter with the labels of the series it was live in. */
struct count_arg {
	struct scope *sc;
	const struct swl_update *u;
};

static void count_down(struct swl_series *gauge_series, void *arg)
{
	struct count_arg *ca = arg;
	const struct swl_update *u = ca->u;
	struct swl_str values[SWL_MAX_LABELS];
	ca->sc->used = 0;
	/* with --host-label both families carry "host" first: the entry's on the counter */
	size_t gh = gauge_series->family->host_label, ch = u->count->host_label;
	if (ch)
		values[0] = ca->sc->ev->host;
	for (size_t i = 0; i < u->count->nlabels - ch; i++)
		values[ch + i] = u->count_from[i] >= 0 ? swl_str_c(gauge_series->values[u->count_from[i] + gh])
						       : tpl_eval(ca->sc, &u->count_labels[i]);
	swl_series_add(swl_family_series(u->count, values), 1, ca->sc->ev->time_us);
}

/* Apply one update. Returns false when a value was not a number. */
static bool apply_update(struct scope *sc, struct swl_context *ctx, const struct swl_update *u)
{
	struct swl_family *f = u->family;
	int64_t t = sc->ev->time_us;
	sc->used = 0;
	switch (u->op) {
	case SWL_OP_RESET:
		swl_context_reset(ctx, f, t);
		return true;
	case SWL_OP_REGROUP: {
		struct swl_str from = key_eval(sc, &u->group);
		/* keep `from` out of the scratch area `to` is rendered into */
		char buf[SWL_CTX_KEY_MAX];
		size_t n = from.n < sizeof(buf) ? from.n : sizeof(buf);
		memcpy(buf, from.p, n);
		swl_context_regroup(ctx, f, (struct swl_str){ buf, n }, key_eval(sc, &u->to));
		return true;
	}
	case SWL_OP_DOWN: {
		struct count_arg ca = { sc, u };
		void (*fn)(struct swl_series *, void *) = u->count ? count_down : NULL;
		if (u->group.set) {
			char buf[SWL_CTX_KEY_MAX];
			struct swl_str g = key_eval(sc, &u->group);
			size_t n = g.n < sizeof(buf) ? g.n : sizeof(buf);
			memcpy(buf, g.p, n);
			swl_context_down_group(ctx, f, (struct swl_str){ buf, n }, t, fn, &ca);
		} else {
			struct swl_series *was = swl_context_down(ctx, f, key_eval(sc, &u->key), t);
			if (was && fn)
				fn(was, &ca);
		}
		return true;
	}
	default:
		break;
	}
	double v = 1;
	if (u->value.set && !tpl_number(sc, &u->value, &v))
		return false;
	struct swl_str values[SWL_MAX_LABELS];
	size_t h = f->host_label; /* --host-label: the entry's host first */
	if (h)
		values[0] = sc->ev->host;
	for (size_t i = 0; i < f->nlabels - h; i++)
		values[h + i] = tpl_eval(sc, &u->labels[i]);
	struct swl_str key = SWL_STR_NULL;
	if (u->op == SWL_OP_UP) {
		key = key_eval(sc, &u->key);
		if (!key.n)
			return true; /* names nothing: no update, not even a new series at 0 */
	}
	struct swl_series *s = swl_family_series(f, values);
	switch (u->op) {
	case SWL_OP_INC:
		swl_series_add(s, v, t);
		break;
	case SWL_OP_DEC:
		swl_series_add(s, -v, t);
		break;
	case SWL_OP_SET:
		swl_series_set(s, v, t);
		break;
	case SWL_OP_OBSERVE:
		swl_series_observe(s, v, t);
		break;
	case SWL_OP_UP:
		swl_context_up(ctx, f, key, key_eval(sc, &u->group), s, t);
		break;
	default:
		break;
	}
	return true;
}

/* Does what key i found in this event still hold, after the keys before it found what the
 * scope holds? When no entry moved or went, the entries its text was made of kept their
 * stamps, and (if it found nothing) no entry came since. */
static bool memo_holds(const struct key_memo *km, const struct scope *sc, size_t i, uint64_t moves, uint64_t inserts)
{
	if (km->gen != sc->m->gen || km->moves != moves || km->nprev != i || (!km->entry && km->inserts != inserts))
		return false;
	for (size_t j = 0; j < i; j++)
		if (km->prev[j] != sc->recalled[j] || (km->prev[j] && km->prev[j]->stamp != km->stamps[j]))
			return false;
	return true;
}

/* Look up the rule's recall keys, in order (a later key may use what an earlier one found). */
static void recall(struct scope *sc, const struct swl_rule *rule, struct swl_context *ctx)
{
	sc->nrecalled = 0;
	scope_changed(sc);
	sc->missed = false;
	uint64_t moves = swl_context_moves(ctx), inserts = swl_context_inserts(ctx);
	for (size_t i = 0; i < rule->nrecall; i++) {
		const struct swl_tpl *t = &rule->recall[i];
		struct key_memo *km = &sc->m->keys[t->memo - 1];
		if (!memo_holds(km, sc, i, moves, inserts)) {
			sc->used = 0;
			struct swl_str key = key_eval(sc, t);
			const struct swl_ctx_entry *e = key.n ? swl_context_get(ctx, key, sc->ev->time_us) : NULL;
			*km = (struct key_memo){ .gen = sc->m->gen, .moves = moves, .inserts = inserts, .nprev = i,
						 .entry = e, .missed = key.n && !e };
			for (size_t j = 0; j < i; j++) {
				km->prev[j] = sc->recalled[j];
				km->stamps[j] = sc->recalled[j] ? sc->recalled[j]->stamp : 0;
			}
		}
		sc->recalled[i] = km->entry;
		sc->missed |= km->missed;
		sc->nrecalled = i + 1;
		scope_changed(sc);
	}
}

/* Must the rule's keys be looked up again after it remembered under key? When an entry moved
 * or went (moves changed), when a key found nothing (it may name the new entry now), or when
 * the entry written is one a later key or template reads. Otherwise what was found stands. */
static bool recall_stale(const struct scope *sc, uint64_t moves, struct swl_context *ctx, struct swl_str key)
{
	if (sc->missed || swl_context_moves(ctx) != moves)
		return true;
	for (size_t i = 0; i < sc->nrecalled; i++)
		if (sc->recalled[i] && swl_str_eq((struct swl_str){ sc->recalled[i]->key, sc->recalled[i]->keylen }, key))
			return true;
	return false;
}

static void apply_rule(struct swl_matcher *matcher, const struct swl_rule *rule, struct swl_context *ctx,
		       const struct swl_event *ev)
{
	struct match_memo *mm = &matcher->matches[rule->pattern];
	if (mm->gen != matcher->gen) {
		mm->gen = matcher->gen;
		mm->rc = rule->jit ? pcre2_jit_match(rule->re, (PCRE2_SPTR)ev->msg.p, ev->msg.n, 0, 0, mm->md, matcher->mctx)
				   : pcre2_match(rule->re, (PCRE2_SPTR)ev->msg.p, ev->msg.n, 0, 0, mm->md, matcher->mctx);
	}
	int rc = mm->rc;
	if (rc == PCRE2_ERROR_NOMATCH)
		return;
	if (rc < 0) { /* match or depth limit: the line costs no more than this */
		swl_series_add(rule->errors, 1, ev->time_us);
		return;
	}
	struct scope sc = { .m = matcher, .ctx = ctx, .ev = ev, .ov = pcre2_get_ovector_pointer(mm->md),
			    .ncaptures = (uint32_t)rc, .scratch = matcher->scratch, .cap = sizeof(matcher->scratch) };
	scope_changed(&sc);
	if (rule->nrecall)
		recall(&sc, rule, ctx);
	if ((rule->nif && !conds_hold(&sc, rule->ifs, rule->nif, true)) ||
	    (rule->nunless && conds_hold(&sc, rule->unless, rule->nunless, false)))
		return;
	swl_series_add(rule->matches, 1, ev->time_us);
	bool ok = true;
	for (size_t i = 0; i < rule->nupdates; i++)
		ok &= apply_update(&sc, ctx, &rule->updates[i]);
	/* Remember after the updates, and from a copy: a recalled entry may be the one written. */
	uint64_t moves = swl_context_moves(ctx);
	for (size_t i = 0; i < rule->nremember; i++) {
		const struct swl_remember *m = &rule->remember[i];
		char key[SWL_CTX_KEY_MAX], vals[SWL_CTX_MAX_LABELS][SWL_LABEL_VALUE_MAX];
		size_t vlen[SWL_CTX_MAX_LABELS];
		sc.used = 0;
		struct swl_str k = key_eval(&sc, &m->key);
		size_t kn = k.n < sizeof(key) ? k.n : sizeof(key);
		memcpy(key, k.p, kn);
		if (!kn)
			continue; /* nothing to key on: the line did not name its SA */
		for (size_t l = 0; l < m->nlabels; l++) {
			sc.used = 0;
			struct swl_str v = tpl_eval(&sc, &m->values[l]);
			vlen[l] = v.n < SWL_LABEL_VALUE_MAX ? v.n : SWL_LABEL_VALUE_MAX;
			memcpy(vals[l], v.p, vlen[l]);
		}
		struct swl_str names[SWL_CTX_MAX_LABELS], values[SWL_CTX_MAX_LABELS];
		for (size_t l = 0; l < m->nlabels; l++) {
			names[l] = (struct swl_str){ m->names[l], m->namelens[l] };
			values[l] = (struct swl_str){ vals[l], vlen[l] };
		}
		swl_context_remember_labels(ctx, (struct swl_str){ key, kn }, names, values, m->nlabels, ev->time_us);
		scope_changed(&sc);
		if ((i + 1 < rule->nremember || rule->forget.set) &&
		    recall_stale(&sc, moves, ctx, (struct swl_str){ key, kn })) {
			recall(&sc, rule, ctx);
			moves = swl_context_moves(ctx);
		}
	}
	if (rule->forget_all) {
		swl_context_forget_all(ctx);
	} else if (rule->forget.set) {
		sc.used = 0;
		struct swl_str k = key_eval(&sc, &rule->forget);
		if (k.n)
			swl_context_forget(ctx, k);
	}
	if (!ok)
		swl_series_add(rule->errors, 1, ev->time_us);
}

/* Run the regex of each rule of ev's swl_rules_for that holds its required literal (checking it
 * first spares most regex calls), or, for the rules a candidates mask covers, that it names. */
static void apply_rules(struct swl_matcher *m, struct swl_context *ctx, const struct swl_event *ev,
			const uint64_t *candidates)
{
	size_t n;
	const struct swl_rule *const *rules = swl_rules_for(m->rs, ev, &n);
	m->gen++; /* a new event: what the memo knows is of the last one */
	size_t i = 0;
	if (candidates) { /* only the rules it names, in order: a few of the many of a first byte */
		for (uint64_t mask = *candidates & ((UINT64_C(1) << SWL_CANDIDATE_BITS) - 1); mask; mask &= mask - 1) {
			size_t k = (size_t)__builtin_ctzll(mask);
			if (k < n)
				apply_rule(m, rules[k], ctx, ev);
		}
		i = SWL_CANDIDATE_BITS;
	}
	struct swl_lit_scan ls = swl_lit_scan_start(ev->msg);
	for (; i < n; i++)
		if (!rules[i]->litlen || swl_literal_in(rules[i], &ls))
			apply_rule(m, rules[i], ctx, ev);
}

void swl_rules_apply(struct swl_matcher *m, struct swl_context *ctx, const struct swl_event *ev)
{
	apply_rules(m, ctx, ev, NULL);
}

void swl_rules_apply_candidates(struct swl_matcher *m, struct swl_context *ctx, const struct swl_event *ev,
				uint64_t candidates)
{
	apply_rules(m, ctx, ev, &candidates);
}
