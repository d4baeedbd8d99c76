/* rules_schema.c - the rule language: a rules file's metrics, limits and rules, with their
 * conditions, context memory, updates and examples, checked and read into the compiled form.
 * Every error names the node it is about (path:line:col). */
#include "rules_schema.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "rules_index.h"

bool swl_rules_valid_name(const char *s, bool metric)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (metric && *p == ':');
		bool digit = *p >= '0' && *p <= '9';
		if (!alpha && !(digit && p != s))
			return false;
	}
	return true;
}

/* A list of strings (or one string) into a NULL-free array. */
static int string_list(struct swl_yaml_doc *d, yaml_node_t *n, const char *what, char ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (swl_yaml_scalar(n)) {
		*out = swl_xcalloc(1, sizeof(char *));
		(*out)[0] = swl_xstrdup(swl_yaml_scalar(n));
		*nout = 1;
		return 0;
	}
	if (!swl_yaml_is_seq(n))
		return swl_yaml_fail(d, n, "%s must be a string or a list of strings", what);
	size_t cap = swl_yaml_seq_len(n);
	*out = swl_xcalloc(cap ? cap : 1, sizeof(char *));
	SWL_YAML_SEQ_FOR(n, it) {
		yaml_node_t *e = swl_yaml_node(d, *it);
		if (!swl_yaml_scalar(e))
			return swl_yaml_fail(d, e, "%s must be a list of strings", what);
		(*out)[(*nout)++] = swl_xstrdup(swl_yaml_scalar(e));
	}
	return 0;
}

/* ---- metrics ---- */

static struct swl_mdef *find_mdef(struct swl_schema *sc, const char *name)
{
	for (size_t i = 0; i < sc->nmdefs; i++)
		if (strcmp(sc->mdefs[i].name, name) == 0)
			return &sc->mdefs[i];
	return NULL;
}

static int load_metric(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *kn, yaml_node_t *vn)
{
	static const char *const keys[] = { "type", "help", "labels", "buckets", "max_series", NULL };
	const char *name = swl_yaml_scalar(kn);
	if (!name || !swl_rules_valid_name(name, true))
		return swl_yaml_fail(d, kn, "invalid metric name '%s'", name ? name : "");
	if (strncmp(name, "swanlog_", 8) == 0)
		return swl_yaml_fail(d, kn,
				     "metric names starting with swanlog_ are reserved for swanlog's own metrics");
	struct swl_mdef *old = find_mdef(sc, name);
	if (old)
		return swl_yaml_fail(d, kn, "metric '%s' already declared at %s:%u:%u", name, old->path, old->line,
				     old->col);
	if (!swl_yaml_is_map(vn))
		return swl_yaml_fail(d, vn, "metric '%s' must be a mapping with type, help and labels", name);
	if (sc->nmdefs == sc->capmdefs) {
		sc->capmdefs = sc->capmdefs ? sc->capmdefs * 2 : 32;
		sc->mdefs = swl_xrealloc(sc->mdefs, sc->capmdefs * sizeof(*sc->mdefs));
	}
	struct swl_mdef *m = &sc->mdefs[sc->nmdefs++];
	*m = (struct swl_mdef){
		.name = swl_xstrdup(name), .path = d->path, .line = SWL_YAML_LINE(kn), .col = SWL_YAML_COL(kn)
	};
	bool has_type = false, has_buckets = false;
	yaml_node_t *bucket_node = NULL, *le_node = NULL;
	SWL_YAML_MAP_FOR(vn, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "a metric");
		if (r < 0)
			return r;
		const char *key = swl_yaml_scalar(k), *s;
		if (strcmp(key, "type") == 0) {
			if ((r = swl_yaml_string(d, v, "type", &s)) < 0)
				return r;
			if (strcmp(s, "counter") == 0)
				m->type = SWL_COUNTER;
			else if (strcmp(s, "gauge") == 0)
				m->type = SWL_GAUGE;
			else if (strcmp(s, "histogram") == 0)
				m->type = SWL_HISTOGRAM;
			else
				return swl_yaml_fail(
					d, v, "unknown metric type '%s' (expected counter, gauge or histogram)", s);
			has_type = true;
		} else if (strcmp(key, "help") == 0) {
			if ((r = swl_yaml_string(d, v, "help", &s)) < 0)
				return r;
			free(m->help);
			m->help = swl_xstrdup(s);
		} else if (strcmp(key, "labels") == 0) {
			if (!swl_yaml_is_seq(v))
				return swl_yaml_fail(d, v, "labels must be a list of label names");
			SWL_YAML_SEQ_FOR(v, it) {
				yaml_node_t *e = swl_yaml_node(d, *it);
				const char *l = swl_yaml_scalar(e);
				if (!l || !swl_rules_valid_name(l, false) || strncmp(l, "__", 2) == 0)
					return swl_yaml_fail(d, e, "invalid label name '%s'", l ? l : "");
				if (strcmp(l, "le") == 0)
					le_node = e; /* reserved for histograms; the type may come later */
				for (size_t i = 0; i < m->nlabels; i++)
					if (strcmp(m->labels[i], l) == 0)
						return swl_yaml_fail(d, e, "label '%s' listed twice", l);
				if (m->nlabels == SWL_MAX_LABELS)
					return swl_yaml_fail(d, e, "more than %d labels", SWL_MAX_LABELS);
				m->labels[m->nlabels++] = swl_xstrdup(l);
			}
		} else if (strcmp(key, "buckets") == 0) {
			if (!swl_yaml_is_seq(v))
				return swl_yaml_fail(d, v, "buckets must be a list of numbers");
			has_buckets = true;
			bucket_node = v;
			SWL_YAML_SEQ_FOR(v, it) {
				yaml_node_t *e = swl_yaml_node(d, *it);
				const char *b = swl_yaml_scalar(e);
				char *end;
				double x = b ? strtod(b, &end) : NAN;
				if (!b || !*b || *end || !isfinite(x))
					return swl_yaml_fail(d, e, "bucket bound must be a finite number");
				if (m->nbounds && x <= m->bounds[m->nbounds - 1])
					return swl_yaml_fail(d, e, "bucket bounds must be in increasing order");
				if (m->nbounds == SWL_MAX_BUCKETS)
					return swl_yaml_fail(d, e, "more than %d buckets", SWL_MAX_BUCKETS);
				m->bounds[m->nbounds++] = x;
			}
		} else if (strcmp(key, "max_series") == 0) {
			unsigned long long x;
			if ((r = swl_yaml_uint(d, v, "max_series", 100000000ULL, &x)) < 0)
				return r;
			m->max_series = (size_t)x;
		}
	}
	if (!has_type)
		return swl_yaml_fail(d, kn, "metric '%s' has no type", name);
	if (has_buckets && m->type != SWL_HISTOGRAM)
		return swl_yaml_fail(d, bucket_node, "buckets are only for histograms");
	if (m->type == SWL_HISTOGRAM) {
		if (le_node)
			return swl_yaml_fail(d, le_node, "label 'le' is reserved for histogram buckets");
		if (!m->nbounds) {
			static const double def[] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };
			memcpy(m->bounds, def, sizeof(def));
			m->nbounds = sizeof(def) / sizeof(def[0]);
		}
	}
	if (!m->help)
		m->help = swl_xstrdup("");
	return 0;
}

/* ---- rules ---- */

static int load_conds(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re, const char *what,
		      struct swl_cond **out, size_t *nout)
{
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "%s must be a mapping of name: value", what);
	size_t cap = swl_yaml_map_len(n);
	*out = swl_xcalloc(cap ? cap : 1, sizeof(**out));
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		const char *ks = swl_yaml_scalar(k);
		if (!ks)
			return swl_yaml_fail(d, k, "%s names must be strings", what);
		/* the key is the inside of a ${...}: check its names here, so an error points into it */
		size_t nalts = 0;
		for (const char *q = ks;;) {
			const char *bar = strchr(q, '|');
			size_t len = bar ? (size_t)(bar - q) : strlen(q);
			char *name = swl_xstrndup(q, len);
			bool ok = swl_rules_valid_name(name, false) && nalts++ < SWL_MAX_ALTS;
			if (!ok) {
				int r = swl_yaml_fail_at(
					d, k, (size_t)(q - ks), "%s '%s' in ${...}",
					nalts > SWL_MAX_ALTS ? "too many alternatives at" : "invalid name", name);
				free(name);
				return r;
			}
			free(name);
			if (!bar)
				break;
			q = bar + 1;
		}
		char lhs[300];
		snprintf(lhs, sizeof(lhs), "${%s}", ks);
		struct swl_cond *c = &(*out)[(*nout)++];
		int r = swl_tpl_compile(sc->rs, d, k, lhs, re, false, &c->lhs);
		if (r < 0)
			return r;
		if ((r = swl_tpl_node(sc->rs, d, v, re, false, what, &c->rhs)) < 0)
			return r;
	}
	return 0;
}

static int load_remember(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re,
			 struct swl_remember *m)
{
	static const char *const keys[] = { "key", "labels", NULL };
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "remember must be a mapping with key and labels");
	bool has_key = false;
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "remember");
		if (r < 0)
			return r;
		if (strcmp(swl_yaml_scalar(k), "key") == 0) {
			if ((r = swl_tpl_node(sc->rs, d, v, re, false, "remember key", &m->key)) < 0)
				return r;
			has_key = true;
			continue;
		}
		/* labels: a list of names (each ${name}) or a mapping name: template */
		if (swl_yaml_is_seq(v)) {
			SWL_YAML_SEQ_FOR(v, it) {
				yaml_node_t *e = swl_yaml_node(d, *it);
				const char *l = swl_yaml_scalar(e);
				if (!l || !swl_rules_valid_name(l, false))
					return swl_yaml_fail(d, e, "invalid label name '%s'", l ? l : "");
				if (m->nlabels == SWL_CTX_MAX_LABELS)
					return swl_yaml_fail(d, e, "remember keeps at most %d labels",
							     SWL_CTX_MAX_LABELS);
				char ref[300];
				snprintf(ref, sizeof(ref), "${%s}", l);
				m->names[m->nlabels] = swl_xstrdup(l);
				m->namelens[m->nlabels] = strlen(l);
				if ((r = swl_tpl_compile(sc->rs, d, e, ref, re, false, &m->values[m->nlabels++])) < 0)
					return r;
			}
		} else if (swl_yaml_is_map(v)) {
			SWL_YAML_MAP_FOR(v, lp) {
				yaml_node_t *lk = swl_yaml_node(d, lp->key), *lv = swl_yaml_node(d, lp->value);
				const char *l = swl_yaml_scalar(lk);
				if (!l || !swl_rules_valid_name(l, false))
					return swl_yaml_fail(d, lk, "invalid label name '%s'", l ? l : "");
				if (m->nlabels == SWL_CTX_MAX_LABELS)
					return swl_yaml_fail(d, lk, "remember keeps at most %d labels",
							     SWL_CTX_MAX_LABELS);
				m->names[m->nlabels] = swl_xstrdup(l);
				m->namelens[m->nlabels] = strlen(l);
				if ((r = swl_tpl_node(sc->rs, d, lv, re, false, "remembered label", &m->values[m->nlabels++])) < 0)
					return r;
			}
		} else {
			return swl_yaml_fail(d, v, "remember labels must be a list of names or a mapping");
		}
	}
	if (!has_key)
		return swl_yaml_fail(d, n, "remember needs a key");
	return 0;
}

static const char *const op_names[] = { [SWL_OP_INC] = "inc",	    [SWL_OP_DEC] = "dec",
					[SWL_OP_SET] = "set",	    [SWL_OP_OBSERVE] = "observe",
					[SWL_OP_UP] = "up",	    [SWL_OP_DOWN] = "down",
					[SWL_OP_REGROUP] = "regroup", [SWL_OP_RESET] = "reset" };

static bool op_fits(enum swl_op op, enum swl_metric_type t)
{
	switch (op) {
	case SWL_OP_INC:
		return t != SWL_HISTOGRAM;
	case SWL_OP_OBSERVE:
		return t == SWL_HISTOGRAM;
	default:
		return t == SWL_GAUGE;
	}
}

static int label_index(const struct swl_mdef *m, const char *l)
{
	for (size_t i = 0; l && i < m->nlabels; i++)
		if (strcmp(m->labels[i], l) == 0)
			return (int)i;
	return -1;
}

/* One update: a mapping with exactly one op key plus by/value/key/group/to/count/labels. */
static int load_update(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re,
		       struct swl_update *u)
{
	static const char *const keys[] = { "inc", "dec", "set", "observe", "up", "down", "regroup", "reset",
					    "by", "value", "key", "group", "to", "count", "labels", NULL };
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "an update must be a mapping such as {inc: metric_name}");
	yaml_node_t *opnode = NULL, *labels = NULL, *by = NULL, *value = NULL, *key = NULL, *group = NULL, *to = NULL,
		    *count = NULL;
	bool have_op = false;
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "an update");
		if (r < 0)
			return r;
		const char *ks = swl_yaml_scalar(k);
		for (size_t o = 0; o <= SWL_OP_RESET; o++) {
			if (strcmp(ks, op_names[o]) == 0) {
				if (have_op)
					return swl_yaml_fail(d, k, "one update has one operation ('%s' and '%s' given)",
							     op_names[u->op], ks);
				u->op = (enum swl_op)o;
				opnode = v;
				have_op = true;
			}
		}
		yaml_node_t **slot = strcmp(ks, "labels") == 0 ? &labels
				     : strcmp(ks, "by") == 0	 ? &by
				     : strcmp(ks, "value") == 0	 ? &value
				     : strcmp(ks, "key") == 0	 ? &key
				     : strcmp(ks, "group") == 0	 ? &group
				     : strcmp(ks, "to") == 0	 ? &to
				     : strcmp(ks, "count") == 0	 ? &count
								 : NULL;
		if (slot)
			*slot = v;
	}
	if (!have_op)
		return swl_yaml_fail(d, n, "an update needs one of inc, dec, set, observe, up, down, regroup, reset");
	const char *mname;
	int r = swl_yaml_string(d, opnode, "the metric of an update", &mname);
	if (r < 0)
		return r;
	struct swl_mdef *m = find_mdef(sc, mname);
	if (!m)
		return swl_yaml_fail(d, opnode, "metric '%s' is not declared", mname);
	static const char *const tnames[] = { "counter", "gauge", "histogram" };
	if (!op_fits(u->op, m->type))
		return swl_yaml_fail(d, opnode, "'%s' does not apply to %s '%s'", op_names[u->op], tnames[m->type],
				     mname);
	u->mdef = (size_t)(m - sc->mdefs);
	enum swl_op op = u->op;
	const char *opn = op_names[op];
	if (by && op != SWL_OP_INC && op != SWL_OP_DEC)
		return swl_yaml_fail(d, by, "'by' goes with inc or dec");
	if (value && op != SWL_OP_SET && op != SWL_OP_OBSERVE)
		return swl_yaml_fail(d, value, "'value' goes with set or observe");
	if (!value && (op == SWL_OP_SET || op == SWL_OP_OBSERVE))
		return swl_yaml_fail(d, n, "'%s' needs a value", opn);
	if (key && op != SWL_OP_UP && op != SWL_OP_DOWN)
		return swl_yaml_fail(d, key, "'key' goes with up or down");
	if (!key && op == SWL_OP_UP)
		return swl_yaml_fail(d, n, "'up' needs a key (what is live, e.g. '${host}|${uid}')");
	if (op == SWL_OP_DOWN && !key == !group)
		return swl_yaml_fail(d, n, "'down' needs a key or a group (not both)");
	if (group && op != SWL_OP_UP && op != SWL_OP_DOWN && op != SWL_OP_REGROUP)
		return swl_yaml_fail(d, group, "'group' goes with up, down or regroup");
	if (op == SWL_OP_REGROUP && (!group || !to))
		return swl_yaml_fail(d, n, "'regroup' needs group (from) and to");
	if (to && op != SWL_OP_REGROUP)
		return swl_yaml_fail(d, to, "'to' goes with regroup");
	if (count && op != SWL_OP_DOWN)
		return swl_yaml_fail(d, count, "'count' goes with down");
	if (labels && (op == SWL_OP_DOWN ? !count : op == SWL_OP_REGROUP || op == SWL_OP_RESET))
		return swl_yaml_fail(d, labels, "'%s' takes no labels: it acts on wherever the key is live", opn);
	if (by && (r = swl_tpl_node(sc->rs, d, by, re, false, "by", &u->value)) < 0)
		return r;
	if (value && (r = swl_tpl_node(sc->rs, d, value, re, op == SWL_OP_SET, "value", &u->value)) < 0)
		return r;
	if (key && (r = swl_tpl_node(sc->rs, d, key, re, false, "key", &u->key)) < 0)
		return r;
	if (group && (r = swl_tpl_node(sc->rs, d, group, re, false, "group", &u->group)) < 0)
		return r;
	if (to && (r = swl_tpl_node(sc->rs, d, to, re, false, "to", &u->to)) < 0)
		return r;
	/* down with count: the counter's labels come from the gauge, the rest from `labels`. */
	const struct swl_mdef *target = m;
	struct swl_tpl *tpls = u->labels;
	if (count) {
		const char *cname;
		if ((r = swl_yaml_string(d, count, "count", &cname)) < 0)
			return r;
		struct swl_mdef *cm = find_mdef(sc, cname);
		if (!cm)
			return swl_yaml_fail(d, count, "metric '%s' is not declared", cname);
		if (cm->type != SWL_COUNTER)
			return swl_yaml_fail(d, count, "'count' names a counter; '%s' is not one", cname);
		u->has_count = true;
		u->count_mdef = (size_t)(cm - sc->mdefs);
		for (size_t i = 0; i < cm->nlabels; i++)
			u->count_from[i] = label_index(m, cm->labels[i]);
		target = cm;
		tpls = u->count_labels;
	}
	if (labels) {
		if (!swl_yaml_is_map(labels))
			return swl_yaml_fail(d, labels, "labels must be a mapping of label: template");
		SWL_YAML_MAP_FOR(labels, pair) {
			yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
			const char *l = swl_yaml_scalar(k);
			int i = label_index(target, l);
			if (i < 0)
				return swl_yaml_fail(d, k, "metric '%s' has no label '%s'", target->name, l ? l : "");
			if (count && u->count_from[i] >= 0)
				return swl_yaml_fail(d, k, "label '%s' comes from the gauge '%s'", l, m->name);
			if (tpls[i].set)
				return swl_yaml_fail(d, k, "label '%s' given twice", l);
			if ((r = swl_tpl_node(sc->rs, d, v, re, false, "a label value", &tpls[i])) < 0)
				return r;
		}
	}
	if (op == SWL_OP_DOWN && !count)
		return 0;
	if (op == SWL_OP_REGROUP || op == SWL_OP_RESET)
		return 0;
	/* A label not given explicitly comes from the name it has: ${label}. */
	for (size_t i = 0; i < target->nlabels; i++) {
		if (tpls[i].set || (count && u->count_from[i] >= 0))
			continue;
		char ref[300];
		snprintf(ref, sizeof(ref), "${%s}", target->labels[i]);
		if ((r = swl_tpl_compile(sc->rs, d, opnode, ref, re, false, &tpls[i])) < 0)
			return r;
	}
	return 0;
}

static int load_expect_labels(struct swl_yaml_doc *d, yaml_node_t *n, const struct swl_mdef *m, struct swl_expect *e)
{
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "an expected update is a mapping of label: value");
	size_t cap = swl_yaml_map_len(n);
	e->names = swl_xcalloc(cap ? cap : 1, sizeof(char *));
	e->values = swl_xcalloc(cap ? cap : 1, sizeof(char *));
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		const char *l = swl_yaml_scalar(k), *val = swl_yaml_scalar(v);
		size_t i = 0;
		while (l && i < m->nlabels && strcmp(m->labels[i], l) != 0)
			i++;
		if (!l || i == m->nlabels)
			return swl_yaml_fail(d, k, "metric '%s' has no label '%s'", m->name, l ? l : "");
		if (!val)
			return swl_yaml_fail(d, v, "expected label values must be strings");
		e->names[e->nlabels] = swl_xstrdup(l);
		e->values[e->nlabels++] = swl_xstrdup(val);
	}
	return 0;
}

static int load_example(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *n, struct swl_example *ex)
{
	static const char *const keys[] = { "line", "after", "fields", "expect", NULL };
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "an example is a mapping with line (or fields) and expect");
	ex->line = SWL_YAML_LINE(n);
	ex->col = SWL_YAML_COL(n);
	bool has_expect = false;
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "an example");
		if (r < 0)
			return r;
		const char *ks = swl_yaml_scalar(k), *s;
		if (strcmp(ks, "line") == 0) {
			if ((r = swl_yaml_string(d, v, "line", &s)) < 0)
				return r;
			ex->text = swl_xstrdup(s);
		} else if (strcmp(ks, "after") == 0) {
			if ((r = string_list(d, v, "after", &ex->after, &ex->nafter)) < 0)
				return r;
		} else if (strcmp(ks, "fields") == 0) {
			if (!swl_yaml_is_map(v))
				return swl_yaml_fail(d, v, "fields must be a mapping of journal field: value");
			size_t cap = swl_yaml_map_len(v);
			ex->fnames = swl_xcalloc(cap ? cap : 1, sizeof(char *));
			ex->fvalues = swl_xcalloc(cap ? cap : 1, sizeof(char *));
			SWL_YAML_MAP_FOR(v, fp) {
				yaml_node_t *fk = swl_yaml_node(d, fp->key), *fv = swl_yaml_node(d, fp->value);
				if (!swl_yaml_scalar(fk) || !swl_yaml_scalar(fv))
					return swl_yaml_fail(d, fk, "fields must map names to strings");
				ex->fnames[ex->nfields] = swl_xstrdup(swl_yaml_scalar(fk));
				ex->fvalues[ex->nfields++] = swl_xstrdup(swl_yaml_scalar(fv));
			}
		} else {
			has_expect = true;
			if (!swl_yaml_is_map(v))
				return swl_yaml_fail(d, v,
						     "expect must be a mapping of metric: labels (or {} for none)");
			SWL_YAML_MAP_FOR(v, ep) {
				yaml_node_t *mk = swl_yaml_node(d, ep->key), *mv = swl_yaml_node(d, ep->value);
				const char *mname = swl_yaml_scalar(mk);
				struct swl_mdef *m = mname ? find_mdef(sc, mname) : NULL;
				if (!m)
					return swl_yaml_fail(d, mk, "metric '%s' is not declared", mname ? mname : "");
				size_t count = swl_yaml_is_seq(mv) ? swl_yaml_seq_len(mv) : 1;
				ex->expect = swl_xrealloc(ex->expect, (ex->nexpect + count) * sizeof(*ex->expect));
				yaml_node_t *one[1] = { mv };
				for (size_t i = 0; i < count; i++) {
					yaml_node_t *ln = swl_yaml_is_seq(mv)
								  ? swl_yaml_node(d, mv->data.sequence.items.start[i])
								  : one[0];
					struct swl_expect *e = &ex->expect[ex->nexpect++];
					*e = (struct swl_expect){ .metric = swl_xstrdup(mname),
								  .line = SWL_YAML_LINE(ln),
								  .col = SWL_YAML_COL(ln) };
					if ((r = load_expect_labels(d, ln, m, e)) < 0)
						return r;
				}
			}
		}
	}
	if (!ex->text && !ex->nfields)
		return swl_yaml_fail(d, n, "an example needs a line or fields");
	if (ex->text && ex->nfields)
		return swl_yaml_fail(d, n, "an example has a line or fields, not both");
	if (!has_expect)
		return swl_yaml_fail(d, n, "an example needs expect (use {} when the line must cause no update)");
	return 0;
}

static int compile_pattern(struct swl_ruleset *rs, struct swl_yaml_doc *d, yaml_node_t *n, struct swl_rule *rule)
{
	const char *pat;
	int r = swl_yaml_string(d, n, "match", &pat);
	if (r < 0)
		return r;
	int code;
	PCRE2_SIZE off;
	/* Bytes, not UTF: log lines may hold invalid UTF-8 and must still match. (?J) allows the
	 * same capture name in alternatives. */
	rule->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_DUPNAMES, &code, &off, NULL);
	if (!rule->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		return swl_yaml_fail_at(d, n, off, "bad pattern: %s", (char *)msg);
	}
	rule->jit = pcre2_jit_compile(rule->re, PCRE2_JIT_COMPLETE) == 0;
	rule->pattern = swl_rules_intern(&rs->patterns, &rs->npatterns, pat);
	swl_rule_literal(rule, pat);
	return 0;
}

/* Build one rule from its mapping. Shortcut ops (inc: x at rule level) become one update. */
static int load_rule(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *n, struct swl_rule *rule,
		     char **file_programs, size_t nfile_programs)
{
	static const char *const keys[] = { "name", "match", "programs", "recall", "if", "unless", "remember",
					    "forget", "updates", "examples", "inc", "dec", "set", "observe",
					    "up", "down", "regroup", "reset", "by", "value", "key", "group", "to",
					    "count", "labels", NULL };
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "a rule must be a mapping with name and match");
	rule->path = d->path;
	rule->line = SWL_YAML_LINE(n);
	rule->col = SWL_YAML_COL(n);
	yaml_node_t *match = NULL, *programs = NULL, *recall = NULL, *ifs = NULL, *unless = NULL, *remember = NULL,
		    *forget = NULL, *updates = NULL, *examples = NULL;
	bool shortcut = false;
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "a rule");
		if (r < 0)
			return r;
		const char *ks = swl_yaml_scalar(k);
		if (strcmp(ks, "name") == 0) {
			const char *s;
			if ((r = swl_yaml_string(d, v, "name", &s)) < 0)
				return r;
			if (!*s)
				return swl_yaml_fail(d, v, "rule name must not be empty");
			rule->name = swl_xstrdup(s);
		} else if (strcmp(ks, "match") == 0)
			match = v;
		else if (strcmp(ks, "programs") == 0)
			programs = v;
		else if (strcmp(ks, "recall") == 0)
			recall = v;
		else if (strcmp(ks, "if") == 0)
			ifs = v;
		else if (strcmp(ks, "unless") == 0)
			unless = v;
		else if (strcmp(ks, "remember") == 0)
			remember = v;
		else if (strcmp(ks, "forget") == 0)
			forget = v;
		else if (strcmp(ks, "updates") == 0)
			updates = v;
		else if (strcmp(ks, "examples") == 0)
			examples = v;
		else
			shortcut = true;
	}
	if (!rule->name)
		return swl_yaml_fail(d, n, "rule has no name");
	for (struct swl_rule *o = sc->rs->rules; o < rule; o++)
		if (strcmp(o->name, rule->name) == 0)
			return swl_yaml_fail(d, n, "rule name '%s' already used at %s:%u:%u", rule->name, o->path,
					     o->line, o->col);
	if (!match)
		return swl_yaml_fail(d, n, "rule '%s' has no match pattern", rule->name);
	int r = compile_pattern(sc->rs, d, match, rule);
	if (r < 0)
		return r;
	if (programs) {
		if ((r = string_list(d, programs, "programs", &rule->programs, &rule->nprograms)) < 0)
			return r;
	} else if (nfile_programs) {
		rule->programs = swl_xcalloc(nfile_programs, sizeof(char *));
		for (size_t i = 0; i < nfile_programs; i++)
			rule->programs[i] = swl_xstrdup(file_programs[i]);
		rule->nprograms = nfile_programs;
	}
	if (recall && !swl_yaml_is_seq(recall)) {
		if ((r = swl_tpl_node(sc->rs, d, recall, rule->re, false, "recall", &rule->recall[0])) < 0)
			return r;
		swl_tpl_memo(sc->rs, &rule->recall[0], (const char *)recall->data.scalar.value, rule->pattern);
		rule->nrecall = 1;
	} else if (recall) { /* a list: each key may use what the keys before it recalled */
		size_t cnt = swl_yaml_seq_len(recall);
		if (cnt == 0 || cnt > SWL_MAX_RECALL)
			return swl_yaml_fail(d, recall, "recall takes 1 to %d keys", SWL_MAX_RECALL);
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *kn = swl_yaml_node(d, recall->data.sequence.items.start[i]);
			if ((r = swl_tpl_node(sc->rs, d, kn, rule->re, false, "recall", &rule->recall[i])) < 0)
				return r;
			swl_tpl_memo(sc->rs, &rule->recall[i], (const char *)kn->data.scalar.value, rule->pattern);
			rule->nrecall = i + 1;
		}
	}
	if (ifs && (r = load_conds(sc, d, ifs, rule->re, "if", &rule->ifs, &rule->nif)) < 0)
		return r;
	if (unless && (r = load_conds(sc, d, unless, rule->re, "unless", &rule->unless, &rule->nunless)) < 0)
		return r;
	if (remember) {
		size_t cnt = swl_yaml_is_seq(remember) ? swl_yaml_seq_len(remember) : 1;
		rule->remember = swl_xcalloc(cnt ? cnt : 1, sizeof(*rule->remember));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *rn = swl_yaml_is_seq(remember)
						  ? swl_yaml_node(d, remember->data.sequence.items.start[i])
						  : remember;
			rule->nremember++;
			if ((r = load_remember(sc, d, rn, rule->re, &rule->remember[i])) < 0)
				return r;
		}
	}
	if (forget) {
		const char *s = swl_yaml_scalar(forget);
		if (s && strcmp(s, "all") == 0)
			rule->forget_all = true;
		else if ((r = swl_tpl_node(sc->rs, d, forget, rule->re, false, "forget", &rule->forget)) < 0)
			return r;
	}
	if (shortcut && updates)
		return swl_yaml_fail(d, n, "rule '%s' has both updates: and an update at rule level", rule->name);
	if (shortcut) {
		rule->updates = swl_xcalloc(1, sizeof(*rule->updates));
		/* The rule mapping itself holds the update's keys; others were checked above. */
		yaml_node_t sub = *n;
		yaml_node_pair_t pairs[32];
		size_t np = 0;
		static const char *const ukeys[] = { "inc", "dec", "set", "observe", "up", "down", "regroup",
						     "reset", "by", "value", "key", "group", "to", "count", "labels", NULL };
		SWL_YAML_MAP_FOR(n, pair) {
			const char *ks = swl_yaml_scalar(swl_yaml_node(d, pair->key));
			for (size_t i = 0; ukeys[i]; i++)
				if (strcmp(ks, ukeys[i]) == 0 && np < 32)
					pairs[np++] = *pair;
		}
		sub.data.mapping.pairs.start = pairs;
		sub.data.mapping.pairs.top = pairs + np;
		rule->nupdates = 1;
		if ((r = load_update(sc, d, &sub, rule->re, &rule->updates[0])) < 0)
			return r;
	} else if (updates) {
		if (!swl_yaml_is_seq(updates))
			return swl_yaml_fail(d, updates, "updates must be a list");
		size_t cnt = swl_yaml_seq_len(updates);
		rule->updates = swl_xcalloc(cnt ? cnt : 1, sizeof(*rule->updates));
		SWL_YAML_SEQ_FOR(updates, it) {
			rule->nupdates++;
			if ((r = load_update(sc, d, swl_yaml_node(d, *it), rule->re,
					     &rule->updates[rule->nupdates - 1])) < 0)
				return r;
		}
	}
	if (!rule->nupdates && !rule->nremember && !rule->forget.set && !rule->forget_all)
		return swl_yaml_fail(d, n, "rule '%s' does nothing: give it updates, remember or forget", rule->name);
	if (examples) {
		if (!swl_yaml_is_seq(examples))
			return swl_yaml_fail(d, examples, "examples must be a list");
		size_t cnt = swl_yaml_seq_len(examples);
		rule->examples = swl_xcalloc(cnt ? cnt : 1, sizeof(*rule->examples));
		SWL_YAML_SEQ_FOR(examples, it) {
			rule->nexamples++;
			if ((r = load_example(sc, d, swl_yaml_node(d, *it), &rule->examples[rule->nexamples - 1])) < 0)
				return r;
		}
	}
	return 0;
}

static int load_limits(struct swl_schema *sc, struct swl_yaml_doc *d, yaml_node_t *n)
{
	static const char *const keys[] = { "context_entries", "context_age", NULL };
	if (!swl_yaml_is_map(n))
		return swl_yaml_fail(d, n, "limits must be a mapping");
	SWL_YAML_MAP_FOR(n, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "limits");
		if (r < 0)
			return r;
		unsigned long long x;
		if (strcmp(swl_yaml_scalar(k), "context_entries") == 0) {
			if ((r = swl_yaml_uint(d, v, "context_entries", 10000000ULL, &x)) < 0)
				return r;
			sc->rs->context_entries = (size_t)x;
		} else {
			if ((r = swl_yaml_uint(d, v, "context_age (seconds)", 100ULL * 365 * 86400, &x)) < 0)
				return r;
			sc->rs->context_age_us = (int64_t)x * 1000000;
		}
	}
	return 0;
}

/* Pass 1 over a file: top-level keys, metrics, limits; rules are compiled in pass 2. */
int swl_schema_read_top(struct swl_schema *sc, struct swl_rules_file *f)
{
	struct swl_yaml_doc *d = &f->doc;
	static const char *const keys[] = { "programs", "metrics", "rules", "limits", NULL };
	yaml_node_t *root = yaml_document_get_root_node(&d->y);
	if (!root)
		return 0; /* an empty file declares nothing */
	if (!swl_yaml_is_map(root))
		return swl_yaml_fail(d, root, "a rules file is a mapping with metrics and rules");
	SWL_YAML_MAP_FOR(root, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key), *v = swl_yaml_node(d, pair->value);
		int r = swl_yaml_check_key(d, k, keys, "a rules file");
		if (r < 0)
			return r;
		const char *ks = swl_yaml_scalar(k);
		if (strcmp(ks, "programs") == 0) {
			f->programs = v;
		} else if (strcmp(ks, "rules") == 0) {
			if (!swl_yaml_is_seq(v))
				return swl_yaml_fail(d, v, "rules must be a list");
			f->rules = v;
		} else if (strcmp(ks, "limits") == 0) {
			if ((r = load_limits(sc, d, v)) < 0)
				return r;
		} else {
			if (!swl_yaml_is_map(v))
				return swl_yaml_fail(d, v, "metrics must be a mapping of name: definition");
			SWL_YAML_MAP_FOR(v, mp) {
				if ((r = load_metric(sc, d, swl_yaml_node(d, mp->key), swl_yaml_node(d, mp->value))) <
				    0)
					return r;
			}
		}
	}
	return 0;
}

int swl_schema_read_rules(struct swl_schema *sc, struct swl_rules_file *f)
{
	struct swl_yaml_doc *d = &f->doc;
	if (!f->rules)
		return 0;
	char **progs = NULL;
	size_t nprogs = 0;
	int r = 0;
	if (f->programs && (r = string_list(d, f->programs, "programs", &progs, &nprogs)) < 0) {
		swl_rules_free_strings(progs, nprogs);
		return r;
	}
	SWL_YAML_SEQ_FOR(f->rules, it) {
		if (sc->rs->nrules == sc->caprules) {
			sc->caprules = sc->caprules ? sc->caprules * 2 : 64;
			sc->rs->rules = swl_xrealloc(sc->rs->rules, sc->caprules * sizeof(*sc->rs->rules));
		}
		struct swl_rule *rule = &sc->rs->rules[sc->rs->nrules++];
		*rule = (struct swl_rule){ 0 };
		if ((r = load_rule(sc, d, swl_yaml_node(d, *it), rule, progs, nprogs)) < 0)
			break;
	}
	swl_rules_free_strings(progs, nprogs);
	return r;
}

void swl_schema_fini(struct swl_schema *sc)
{
	for (size_t i = 0; i < sc->nmdefs; i++) {
		free(sc->mdefs[i].name);
		free(sc->mdefs[i].help);
		for (size_t l = 0; l < sc->mdefs[i].nlabels; l++)
			free(sc->mdefs[i].labels[l]);
	}
	free(sc->mdefs);
	sc->mdefs = NULL;
	sc->nmdefs = sc->capmdefs = 0;
}
