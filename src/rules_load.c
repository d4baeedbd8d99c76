/* rules_load.c - YAML -> validated, compiled ruleset. Every error names path:line:col.
 *
 * Loading is all-or-nothing: files are parsed and every rule compiled and checked before the
 * first family is declared in the registry, so a bad ruleset leaves the registry untouched
 * (on reload the old rules keep running on unchanged metrics).
 */
#include "rules_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "yaml_doc.h"

#define MAX_RULES_FILE (16u << 20)
#define MAX_FILES 256

/* A metric declared in YAML, waiting to be registered once everything has loaded. */
struct mdef {
	char *name, *help;
	enum swl_metric_type type;
	size_t nlabels;
	char *labels[SWL_MAX_LABELS];
	size_t nbounds;
	double bounds[SWL_MAX_BUCKETS];
	size_t max_series;
	const char *path;
	unsigned line, col;
};

/* A rules file while it loads: its text is kept for error columns inside quoted scalars. */
struct file {
	struct swl_yaml_doc doc;
	yaml_node_t *programs, *rules; /* its top-level programs: and rules:, found in pass 1 */
};

struct loader {
	struct swl_err *err;
	struct swl_ruleset *rs;
	size_t nfiles;
	struct file files[MAX_FILES];
	size_t nmdefs, capmdefs;
	struct mdef *mdefs;
	size_t caprules;
};

static bool valid_name(const char *s, bool metric)
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

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* ---- files ---- */

static int read_file(const char *path, char **data, size_t *len, struct swl_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		swl_err_set(err, path, 0, 0, "cannot open rules: %s", strerror(e));
		return -e;
	}
	struct swl_buf b;
	swl_buf_init(&b, MAX_RULES_FILE);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (swl_buf_add(&b, chunk, n) < 0) {
			fclose(f);
			swl_buf_fini(&b);
			swl_err_set(err, path, 0, 0, "rules file larger than %u bytes", MAX_RULES_FILE);
			return -EFBIG;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		swl_buf_fini(&b);
		swl_err_set(err, path, 0, 0, "cannot read rules");
		return -EIO;
	}
	*data = swl_buf_steal(&b, len);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".yaml") == 0) || (l > 4 && strcmp(n + l - 4, ".yml") == 0));
}

/* The files a path names: itself, or a directory's *.yaml and *.yml in name order. */
static int list_files(const char *path, struct swl_ruleset *rs, struct swl_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		swl_err_set(err, path, 0, 0, "cannot open rules: %s", strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		rs->paths = swl_xcalloc(1, sizeof(char *));
		rs->paths[rs->npaths++] = swl_xstrdup(path);
		return 0;
	}
	DIR *dir = opendir(path);
	if (!dir) {
		int e = errno;
		swl_err_set(err, path, 0, 0, "cannot open rules directory: %s", strerror(e));
		return -e;
	}
	rs->paths = swl_xcalloc(MAX_FILES, sizeof(char *));
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!yaml_name(de->d_name))
			continue;
		if (rs->npaths == MAX_FILES) {
			closedir(dir);
			swl_err_set(err, path, 0, 0, "more than %d rules files", MAX_FILES);
			return -E2BIG;
		}
		size_t l = strlen(path) + strlen(de->d_name) + 2;
		char *p = swl_xmalloc(l);
		snprintf(p, l, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
		rs->paths[rs->npaths++] = p;
	}
	closedir(dir);
	if (rs->npaths == 0) {
		swl_err_set(err, path, 0, 0, "no *.yaml rules files in directory");
		return -ENOENT;
	}
	qsort(rs->paths, rs->npaths, sizeof(char *), cmp_str);
	return 0;
}

static int load_doc(struct swl_yaml_doc *d)
{
	char *data;
	size_t len;
	int r = read_file(d->path, &data, &len, d->err);
	if (r < 0)
		return r;
	if ((r = swl_yaml_doc_parse(d, data, len, NULL)) < 0)
		return r;
	return swl_yaml_check_duplicates(d);
}

/* ---- metrics ---- */

static struct mdef *find_mdef(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->nmdefs; i++)
		if (strcmp(ld->mdefs[i].name, name) == 0)
			return &ld->mdefs[i];
	return NULL;
}

static int load_metric(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *kn, yaml_node_t *vn)
{
	static const char *const keys[] = { "type", "help", "labels", "buckets", "max_series", NULL };
	const char *name = swl_yaml_scalar(kn);
	if (!name || !valid_name(name, true))
		return swl_yaml_fail(d, kn, "invalid metric name '%s'", name ? name : "");
	if (strncmp(name, "swanlog_", 8) == 0)
		return swl_yaml_fail(d, kn,
				     "metric names starting with swanlog_ are reserved for swanlog's own metrics");
	struct mdef *old = find_mdef(ld, name);
	if (old)
		return swl_yaml_fail(d, kn, "metric '%s' already declared at %s:%u:%u", name, old->path, old->line,
				     old->col);
	if (!swl_yaml_is_map(vn))
		return swl_yaml_fail(d, vn, "metric '%s' must be a mapping with type, help and labels", name);
	if (ld->nmdefs == ld->capmdefs) {
		ld->capmdefs = ld->capmdefs ? ld->capmdefs * 2 : 32;
		ld->mdefs = swl_xrealloc(ld->mdefs, ld->capmdefs * sizeof(*ld->mdefs));
	}
	struct mdef *m = &ld->mdefs[ld->nmdefs++];
	*m = (struct mdef){
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
				if (!l || !valid_name(l, false) || strncmp(l, "__", 2) == 0)
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

/* ---- templates ---- */

/* The index of name in the ruleset's names, added if new: refs to one name share the
 * per-event memo of its field. */
static size_t name_intern(struct swl_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nnames; i++)
		if (strcmp(rs->names[i], name) == 0)
			return i;
	rs->names = swl_xrealloc(rs->names, (rs->nnames + 1) * sizeof(*rs->names));
	rs->names[rs->nnames] = swl_xstrdup(name);
	return rs->nnames++;
}

/* Fill a ref's capture group numbers from the pattern's name table (several with (?J)), its
 * builtin and its name's index. */
static void ref_bind(struct swl_ruleset *rs, struct swl_ref *ref, const pcre2_code *re)
{
	ref->name_id = name_intern(rs, ref->name);
	static const char *const builtins[] = { [SWL_B_HOST] = "host", [SWL_B_PROGRAM] = "program",
						[SWL_B_PID] = "pid", [SWL_B_MESSAGE] = "message" };
	for (size_t b = SWL_B_HOST; b <= SWL_B_MESSAGE; b++)
		if (strcmp(ref->name, builtins[b]) == 0)
			ref->builtin = (enum swl_builtin)b;
	if (!re)
		return;
	uint32_t count, size;
	PCRE2_SPTR table;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;
		if (strcmp((const char *)e + 2, ref->name) == 0) {
			ref->groups = swl_xrealloc(ref->groups, (ref->ngroups + 1) * sizeof(uint32_t));
			ref->groups[ref->ngroups++] = (uint32_t)(e[0] << 8 | e[1]);
		}
	}
}

void swl_tpl_fini(struct swl_tpl *t)
{
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].lit);
		for (size_t a = 0; a < t->parts[i].nalts; a++) {
			free(t->parts[i].alts[a].name);
			free(t->parts[i].alts[a].groups);
		}
	}
	free(t->parts);
	*t = (struct swl_tpl){ 0 };
}

static struct swl_part *tpl_add(struct swl_tpl *t)
{
	t->parts = swl_xrealloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
	struct swl_part *p = &t->parts[t->nparts++];
	*p = (struct swl_part){ 0 };
	return p;
}

/* Compile "text ${a|b} text" (allow_time: the word `time` means the event time). */
static int tpl_compile(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, const char *s, const pcre2_code *re,
		       bool allow_time, struct swl_tpl *t)
{
	*t = (struct swl_tpl){ .set = true };
	if (allow_time && strcmp(s, "time") == 0) {
		t->is_time = true;
		return 0;
	}
	const char *p = s;
	while (*p) {
		const char *dollar = strstr(p, "${");
		const char *end = dollar ? dollar : p + strlen(p);
		if (end > p) {
			struct swl_part *part = tpl_add(t);
			part->lit = swl_xstrndup(p, (size_t)(end - p));
			part->litlen = (size_t)(end - p);
		}
		if (!dollar)
			break;
		const char *close = strchr(dollar, '}');
		if (!close)
			return swl_yaml_fail_at(d, n, (size_t)(dollar - s), "unterminated ${ in '%s'", s);
		struct swl_part *part = tpl_add(t);
		const char *q = dollar + 2;
		const char *dflt = strstr(q, ":-");
		if (dflt && dflt < close) {
			part->lit = swl_xstrndup(dflt + 2, (size_t)(close - dflt - 2));
			part->litlen = (size_t)(close - dflt - 2);
			close = dflt;
		} else {
			dflt = NULL;
		}
		while (q <= close) {
			const char *bar = memchr(q, '|', (size_t)(close - q));
			const char *stop = bar ? bar : close;
			char *name = swl_xstrndup(q, (size_t)(stop - q));
			if (!valid_name(name, false) || part->nalts == SWL_MAX_ALTS) {
				int r = swl_yaml_fail_at(d, n, (size_t)(q - s), "%s '%s' in ${...}",
							 part->nalts == SWL_MAX_ALTS ? "too many alternatives at"
										     : "invalid name",
							 name);
				free(name);
				return r;
			}
			struct swl_ref *ref = &part->alts[part->nalts++];
			*ref = (struct swl_ref){ .name = name, .namelen = strlen(name) };
			ref_bind(ld->rs, ref, re);
			q = stop + 1;
		}
		p = (dflt ? strchr(dflt, '}') : close) + 1;
	}
	return 0;
}

static int tpl_node(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re, bool allow_time,
		    const char *what, struct swl_tpl *t)
{
	const char *s;
	int r = swl_yaml_string(d, n, what, &s);
	return r < 0 ? r : tpl_compile(ld, d, n, s, re, allow_time, t);
}

/* ---- rules ---- */

static int load_conds(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re, const char *what,
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
			bool ok = valid_name(name, false) && nalts++ < SWL_MAX_ALTS;
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
		int r = tpl_compile(ld, d, k, lhs, re, false, &c->lhs);
		if (r < 0)
			return r;
		if ((r = tpl_node(ld, d, v, re, false, what, &c->rhs)) < 0)
			return r;
	}
	return 0;
}

static int load_remember(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re,
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
			if ((r = tpl_node(ld, d, v, re, false, "remember key", &m->key)) < 0)
				return r;
			has_key = true;
			continue;
		}
		/* labels: a list of names (each ${name}) or a mapping name: template */
		if (swl_yaml_is_seq(v)) {
			SWL_YAML_SEQ_FOR(v, it) {
				yaml_node_t *e = swl_yaml_node(d, *it);
				const char *l = swl_yaml_scalar(e);
				if (!l || !valid_name(l, false))
					return swl_yaml_fail(d, e, "invalid label name '%s'", l ? l : "");
				if (m->nlabels == SWL_CTX_MAX_LABELS)
					return swl_yaml_fail(d, e, "remember keeps at most %d labels",
							     SWL_CTX_MAX_LABELS);
				char ref[300];
				snprintf(ref, sizeof(ref), "${%s}", l);
				m->names[m->nlabels] = swl_xstrdup(l);
				m->namelens[m->nlabels] = strlen(l);
				if ((r = tpl_compile(ld, d, e, ref, re, false, &m->values[m->nlabels++])) < 0)
					return r;
			}
		} else if (swl_yaml_is_map(v)) {
			SWL_YAML_MAP_FOR(v, lp) {
				yaml_node_t *lk = swl_yaml_node(d, lp->key), *lv = swl_yaml_node(d, lp->value);
				const char *l = swl_yaml_scalar(lk);
				if (!l || !valid_name(l, false))
					return swl_yaml_fail(d, lk, "invalid label name '%s'", l ? l : "");
				if (m->nlabels == SWL_CTX_MAX_LABELS)
					return swl_yaml_fail(d, lk, "remember keeps at most %d labels",
							     SWL_CTX_MAX_LABELS);
				m->names[m->nlabels] = swl_xstrdup(l);
				m->namelens[m->nlabels] = strlen(l);
				if ((r = tpl_node(ld, d, lv, re, false, "remembered label", &m->values[m->nlabels++])) < 0)
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

static int label_index(const struct mdef *m, const char *l)
{
	for (size_t i = 0; l && i < m->nlabels; i++)
		if (strcmp(m->labels[i], l) == 0)
			return (int)i;
	return -1;
}

/* One update: a mapping with exactly one op key plus by/value/key/group/to/count/labels. */
static int load_update(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, const pcre2_code *re,
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
	struct mdef *m = find_mdef(ld, mname);
	if (!m)
		return swl_yaml_fail(d, opnode, "metric '%s' is not declared", mname);
	static const char *const tnames[] = { "counter", "gauge", "histogram" };
	if (!op_fits(u->op, m->type))
		return swl_yaml_fail(d, opnode, "'%s' does not apply to %s '%s'", op_names[u->op], tnames[m->type],
				     mname);
	u->mdef = (size_t)(m - ld->mdefs);
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
	if (by && (r = tpl_node(ld, d, by, re, false, "by", &u->value)) < 0)
		return r;
	if (value && (r = tpl_node(ld, d, value, re, op == SWL_OP_SET, "value", &u->value)) < 0)
		return r;
	if (key && (r = tpl_node(ld, d, key, re, false, "key", &u->key)) < 0)
		return r;
	if (group && (r = tpl_node(ld, d, group, re, false, "group", &u->group)) < 0)
		return r;
	if (to && (r = tpl_node(ld, d, to, re, false, "to", &u->to)) < 0)
		return r;
	/* down with count: the counter's labels come from the gauge, the rest from `labels`. */
	const struct mdef *target = m;
	struct swl_tpl *tpls = u->labels;
	if (count) {
		const char *cname;
		if ((r = swl_yaml_string(d, count, "count", &cname)) < 0)
			return r;
		struct mdef *cm = find_mdef(ld, cname);
		if (!cm)
			return swl_yaml_fail(d, count, "metric '%s' is not declared", cname);
		if (cm->type != SWL_COUNTER)
			return swl_yaml_fail(d, count, "'count' names a counter; '%s' is not one", cname);
		u->has_count = true;
		u->count_mdef = (size_t)(cm - ld->mdefs);
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
			if ((r = tpl_node(ld, d, v, re, false, "a label value", &tpls[i])) < 0)
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
		if ((r = tpl_compile(ld, d, opnode, ref, re, false, &tpls[i])) < 0)
			return r;
	}
	return 0;
}

static int load_expect_labels(struct swl_yaml_doc *d, yaml_node_t *n, const struct mdef *m, struct swl_expect *e)
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

static int load_example(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, struct swl_example *ex)
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
				struct mdef *m = mname ? find_mdef(ld, mname) : NULL;
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

/* The prefilter's literal: the longest text that every match of pattern s contains, when s
 * says so plainly. Only runs of ordinary characters (and backslash-escaped punctuation) at the
 * top level count, and only in a pattern without top-level alternation; a quantifier after a
 * run takes the run's last byte. Anything this scanner does not fully follow ((?# comments,
 * \Q, (*VERBS), inline options, conditionals, an unterminated class or brace) gives no literal,
 * and the rule simply runs its regex on every message its first byte admits. */
static bool lit_plain(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(" _-,:;'\"=<>/@%&!~#`", c));
}

static bool lit_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* How common a byte is in log text (lower is rarer). memchr looks for the rarest byte of a
 * literal, so that it stops at few false candidates: in "audit: type=1415 audit(" that is
 * '(', not the ':' or '=' a kernel firewall line has a dozen of. The order is the printable
 * bytes' frequency in the real charon logs of tests/corpus (those absent first); bytes outside
 * it (control, non-ASCII) count as rarest, the space as the most common. */
static int lit_rarity(char c)
{
	static const char by_frequency[] = "!#$&*+?@WZ\\^`z~%JjV{}X;QYxwBq'-U,()ybLPM/O|Rk<H>guD=mKhFf3GplT\"S6AICd8v.E[]47r_"
					   "iasN59c0tn2e:o1 ";
	const char *at = c ? strchr(by_frequency, c) : NULL;
	return at ? 1 + (int)(at - by_frequency) : 0;
}

static void rule_literal(struct swl_rule *rule, const char *s)
{
	char run[SWL_LIT_MAX];
	size_t rn = 0, rtotal = 0, depth = 0;
	bool anchored = *s == '^', run_at_start = anchored;
	const char *p = s + anchored;
	rule->litlen = 0;
	for (;;) {
		char c = *p;
		/* a literal byte at the top level extends the run */
		if (depth == 0 && (lit_plain(c) || (c == '\\' && p[1] && (unsigned char)p[1] < 0x80 && !lit_alnum(p[1])))) {
			char v = c == '\\' ? p[1] : c;
			p += c == '\\' ? 2 : 1;
			if (rn < SWL_LIT_MAX)
				run[rn++] = v;
			rtotal++;
			continue;
		}
		/* the run ended: a quantifier here applies to its last byte */
		if (rtotal && (c == '?' || c == '*' || c == '+' || c == '{')) {
			if (rn == rtotal)
				rn--;
			rtotal--;
		}
		if (rn > rule->litlen) {
			memcpy(rule->lit, run, rn);
			rule->litlen = rn;
			rule->lit_at_start = run_at_start;
			rule->litpick = 0;
			for (size_t i = 1; i < rn; i++)
				if (lit_rarity(run[i]) < lit_rarity(run[rule->litpick]))
					rule->litpick = i;
		}
		rn = rtotal = 0;
		run_at_start = false;
		if (!c)
			return;
		if (c == '\\') {
			if (p[1] == 'Q' || !p[1] || (p[1] == 'c' && !p[2]))
				goto none;
			if (p[1] == 'c') { /* \cX: a control character, X may be any printable byte */
				p += 3;
				continue;
			}
			/* \d, \x41, \x{41}, \k<n>, \g-1, \pL ...: skip what may follow, never a literal */
			p += 2;
			while (lit_alnum(*p) || *p == '_' || *p == '-' || *p == '+')
				p++;
			char close = *p == '{' ? '}' : *p == '<' ? '>' : *p == '\'' ? '\'' : 0;
			if (close) {
				const char *e = strchr(p + 1, close);
				if (!e)
					goto none;
				p = e + 1;
			}
			continue;
		}
		if (c == '[') { /* a class: skip to its end */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != ']') {
				if (!*p || (p[0] == '\\' && (p[1] == 'Q' || !p[1])))
					goto none;
				if (p[0] == '[' && p[1] == ':') {
					/* [:name:] only if ":]" ends it before any other "]", as PCRE2 reads it */
					const char *e = strchr(p + 2, ']');
					if (e && e > p + 2 && e[-1] == ':') {
						p = e + 1;
						continue;
					}
				}
				p += p[0] == '\\' ? 2 : 1;
			}
			p++;
			continue;
		}
		if (c == '{') { /* a quantifier's bounds */
			const char *e = strchr(p, '}');
			if (!e)
				goto none;
			p = e + 1;
			continue;
		}
		if (c == '(') {
			if (p[1] == '*' || (p[1] == '?' && !strchr(":<'P=!>|", p[2] ? p[2] : 'x')))
				goto none;
			depth++;
		} else if (c == ')') {
			if (depth == 0)
				goto none;
			depth--;
		} else if (c == '|' && depth == 0) {
			goto none;
		}
		p++;
	}
none:
	rule->litlen = 0;
}

static int compile_pattern(struct swl_yaml_doc *d, yaml_node_t *n, struct swl_rule *rule)
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
	rule_literal(rule, pat);
	return 0;
}

/* Build one rule from its mapping. Shortcut ops (inc: x at rule level) become one update. */
static int load_rule(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n, struct swl_rule *rule,
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
	for (struct swl_rule *o = ld->rs->rules; o < rule; o++)
		if (strcmp(o->name, rule->name) == 0)
			return swl_yaml_fail(d, n, "rule name '%s' already used at %s:%u:%u", rule->name, o->path,
					     o->line, o->col);
	if (!match)
		return swl_yaml_fail(d, n, "rule '%s' has no match pattern", rule->name);
	int r = compile_pattern(d, match, rule);
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
		if ((r = tpl_node(ld, d, recall, rule->re, false, "recall", &rule->recall[0])) < 0)
			return r;
		rule->nrecall = 1;
	} else if (recall) { /* a list: each key may use what the keys before it recalled */
		size_t cnt = swl_yaml_seq_len(recall);
		if (cnt == 0 || cnt > SWL_MAX_RECALL)
			return swl_yaml_fail(d, recall, "recall takes 1 to %d keys", SWL_MAX_RECALL);
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *kn = swl_yaml_node(d, recall->data.sequence.items.start[i]);
			if ((r = tpl_node(ld, d, kn, rule->re, false, "recall", &rule->recall[i])) < 0)
				return r;
			rule->nrecall = i + 1;
		}
	}
	if (ifs && (r = load_conds(ld, d, ifs, rule->re, "if", &rule->ifs, &rule->nif)) < 0)
		return r;
	if (unless && (r = load_conds(ld, d, unless, rule->re, "unless", &rule->unless, &rule->nunless)) < 0)
		return r;
	if (remember) {
		size_t cnt = swl_yaml_is_seq(remember) ? swl_yaml_seq_len(remember) : 1;
		rule->remember = swl_xcalloc(cnt ? cnt : 1, sizeof(*rule->remember));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *rn = swl_yaml_is_seq(remember)
						  ? swl_yaml_node(d, remember->data.sequence.items.start[i])
						  : remember;
			rule->nremember++;
			if ((r = load_remember(ld, d, rn, rule->re, &rule->remember[i])) < 0)
				return r;
		}
	}
	if (forget) {
		const char *s = swl_yaml_scalar(forget);
		if (s && strcmp(s, "all") == 0)
			rule->forget_all = true;
		else if ((r = tpl_node(ld, d, forget, rule->re, false, "forget", &rule->forget)) < 0)
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
		if ((r = load_update(ld, d, &sub, rule->re, &rule->updates[0])) < 0)
			return r;
	} else if (updates) {
		if (!swl_yaml_is_seq(updates))
			return swl_yaml_fail(d, updates, "updates must be a list");
		size_t cnt = swl_yaml_seq_len(updates);
		rule->updates = swl_xcalloc(cnt ? cnt : 1, sizeof(*rule->updates));
		SWL_YAML_SEQ_FOR(updates, it) {
			rule->nupdates++;
			if ((r = load_update(ld, d, swl_yaml_node(d, *it), rule->re,
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
			if ((r = load_example(ld, d, swl_yaml_node(d, *it), &rule->examples[rule->nexamples - 1])) < 0)
				return r;
		}
	}
	return 0;
}

static int load_limits(struct loader *ld, struct swl_yaml_doc *d, yaml_node_t *n)
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
			ld->rs->context_entries = (size_t)x;
		} else {
			if ((r = swl_yaml_uint(d, v, "context_age (seconds)", 100ULL * 365 * 86400, &x)) < 0)
				return r;
			ld->rs->context_age_us = (int64_t)x * 1000000;
		}
	}
	return 0;
}

/* Pass 1 over a file: top-level keys, metrics, limits; rules are compiled in pass 2. */
static int load_top(struct loader *ld, struct file *f)
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
			if ((r = load_limits(ld, d, v)) < 0)
				return r;
		} else {
			if (!swl_yaml_is_map(v))
				return swl_yaml_fail(d, v, "metrics must be a mapping of name: definition");
			SWL_YAML_MAP_FOR(v, mp) {
				if ((r = load_metric(ld, d, swl_yaml_node(d, mp->key), swl_yaml_node(d, mp->value))) <
				    0)
					return r;
			}
		}
	}
	return 0;
}

static int load_rules_of(struct loader *ld, struct file *f)
{
	struct swl_yaml_doc *d = &f->doc;
	if (!f->rules)
		return 0;
	char **progs = NULL;
	size_t nprogs = 0;
	int r = 0;
	if (f->programs && (r = string_list(d, f->programs, "programs", &progs, &nprogs)) < 0) {
		free_list(progs, nprogs);
		return r;
	}
	SWL_YAML_SEQ_FOR(f->rules, it) {
		if (ld->rs->nrules == ld->caprules) {
			ld->caprules = ld->caprules ? ld->caprules * 2 : 64;
			ld->rs->rules = swl_xrealloc(ld->rs->rules, ld->caprules * sizeof(*ld->rs->rules));
		}
		struct swl_rule *rule = &ld->rs->rules[ld->rs->nrules++];
		*rule = (struct swl_rule){ 0 };
		if ((r = load_rule(ld, d, swl_yaml_node(d, *it), rule, progs, nprogs)) < 0)
			break;
	}
	free_list(progs, nprogs);
	return r;
}

/* ---- binding: declare families, self-metrics, dispatch ---- */

/* Which first bytes of a message can a rule's pattern match? Only an anchored pattern tells
 * (a match starts at the message's first byte); PCRE2 computed the answer for its own start
 * optimisation: one first code unit, or a 256-bit map. A caseless first unit is not flagged
 * by pcre2_pattern_info, so an ASCII letter also admits its other case; a non-ASCII first
 * unit (UTF or locale case folding) admits everything. */
static void rule_first_bytes(struct swl_rule *rule)
{
	uint32_t opts = 0, type = 0, cu = 0;
	const uint8_t *map = NULL;
	memset(rule->first, 0xff, sizeof(rule->first));
	rule->first_known = false;
	pcre2_pattern_info(rule->re, PCRE2_INFO_ALLOPTIONS, &opts);
	if (!(opts & PCRE2_ANCHORED))
		return;
	pcre2_pattern_info(rule->re, PCRE2_INFO_FIRSTCODETYPE, &type);
	pcre2_pattern_info(rule->re, PCRE2_INFO_FIRSTCODEUNIT, &cu);
	pcre2_pattern_info(rule->re, PCRE2_INFO_FIRSTBITMAP, &map);
	if (type == 1 && cu < 0x80) {
		memset(rule->first, 0, sizeof(rule->first));
		rule->first[cu / 8] |= (uint8_t)(1u << (cu % 8));
		if ((cu | 0x20) >= 'a' && (cu | 0x20) <= 'z')
			rule->first[(cu ^ 0x20) / 8] |= (uint8_t)(1u << ((cu ^ 0x20) % 8));
		rule->first_known = true;
	} else if (type == 0 && map) {
		memcpy(rule->first, map, sizeof(rule->first));
		rule->first_known = true;
	}
}

/* The prefilter's precomputed parts: a leading literal's first word, and an index for each
 * literal that several rules share, so that an event is searched for it once. */
static void rule_prefilters(struct swl_ruleset *rs)
{
	for (size_t i = 0; i < rs->nrules; i++) {
		struct swl_rule *r = &rs->rules[i];
		uint8_t word[8] = { 0 }, mask[8] = { 0 };
		size_t n = r->litlen < 8 ? r->litlen : 8;
		memcpy(word, r->lit, n);
		memset(mask, 0xff, n);
		memcpy(&r->litword, word, 8);
		memcpy(&r->litmask, mask, 8);
		r->lit_shared = SIZE_MAX;
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		struct swl_rule *r = &rs->rules[i];
		if (!r->litlen || r->lit_shared != SIZE_MAX)
			continue;
		for (size_t j = i + 1; j < rs->nrules; j++) {
			struct swl_rule *o = &rs->rules[j];
			if (o->litlen == r->litlen && o->lit_at_start == r->lit_at_start &&
			    memcmp(o->lit, r->lit, r->litlen) == 0) {
				if (r->lit_shared == SIZE_MAX)
					r->lit_shared = rs->nshared++;
				o->lit_shared = r->lit_shared;
			}
		}
	}
	rs->literals = swl_xcalloc(rs->nshared ? rs->nshared : 1, sizeof(*rs->literals));
	rs->fields = swl_xcalloc(rs->nnames ? rs->nnames : 1, sizeof(*rs->fields));
}

/* Index dp's rules by first byte (see struct swl_dispatch); file order is kept per slot. */
static void build_first_index(struct swl_dispatch *dp)
{
	size_t n = 0;
	for (unsigned b = 0; b <= 256; b++) {
		dp->slot[b] = n;
		for (size_t i = 0; i < dp->nrules; i++) {
			const struct swl_rule *r = dp->rules[i];
			n += b < 256 ? (r->first[b / 8] >> (b % 8)) & 1 : !r->first_known;
		}
	}
	dp->slot[257] = n;
	dp->byfirst = swl_xcalloc(n ? n : 1, sizeof(*dp->byfirst));
	size_t k = 0;
	for (unsigned b = 0; b <= 256; b++) {
		for (size_t i = 0; i < dp->nrules; i++) {
			struct swl_rule *r = dp->rules[i];
			if (b < 256 ? (r->first[b / 8] >> (b % 8)) & 1 : !r->first_known)
				dp->byfirst[k++] = r;
		}
	}
}

static void build_dispatch(struct swl_ruleset *rs)
{
	/* distinct program names, then per name the rules that see it (file order kept) */
	size_t cap = 1;
	for (size_t i = 0; i < rs->nrules; i++) {
		cap += rs->rules[i].nprograms;
		rule_first_bytes(&rs->rules[i]);
	}
	rs->dispatch = swl_xcalloc(cap, sizeof(*rs->dispatch));
	for (size_t i = 0; i < rs->nrules; i++) {
		for (size_t p = 0; p < rs->rules[i].nprograms; p++) {
			const char *prog = rs->rules[i].programs[p];
			size_t k = 0;
			while (k < rs->ndispatch && strcmp(rs->dispatch[k].program, prog) != 0)
				k++;
			if (k == rs->ndispatch)
				rs->dispatch[rs->ndispatch++].program = swl_xstrdup(prog);
		}
	}
	rs->ndispatch++; /* the last entry: programs no rule names */
	rule_prefilters(rs);
	for (size_t k = 0; k < rs->ndispatch; k++) {
		struct swl_dispatch *dp = &rs->dispatch[k];
		dp->rules = swl_xcalloc(rs->nrules ? rs->nrules : 1, sizeof(*dp->rules));
		for (size_t i = 0; i < rs->nrules; i++) {
			struct swl_rule *rule = &rs->rules[i];
			bool sees = rule->nprograms == 0;
			for (size_t p = 0; !sees && dp->program && p < rule->nprograms; p++)
				sees = strcmp(rule->programs[p], dp->program) == 0;
			if (sees)
				dp->rules[dp->nrules++] = rule;
		}
		dp->programlen = dp->program ? strlen(dp->program) : 0;
		build_first_index(dp);
	}
}

static void bind(struct loader *ld, struct swl_registry *reg)
{
	struct swl_ruleset *rs = ld->rs;
	struct swl_family **fams = swl_xcalloc(ld->nmdefs ? ld->nmdefs : 1, sizeof(*fams));
	for (size_t i = 0; i < ld->nmdefs; i++) {
		struct mdef *m = &ld->mdefs[i];
		fams[i] = swl_registry_family(reg, m->name, m->type, m->help, (const char *const *)m->labels, m->nlabels,
					      m->bounds, m->type == SWL_HISTOGRAM ? m->nbounds : 0, m->max_series);
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		for (size_t j = 0; j < rs->rules[i].nupdates; j++) {
			struct swl_update *u = &rs->rules[i].updates[j];
			u->family = fams[u->mdef];
			if (u->has_count)
				u->count = fams[u->count_mdef];
		}
	}
	free(fams);
	static const char *const rule_label[] = { "rule" };
	struct swl_family *matches = swl_registry_family(reg, "swanlog_rule_matches_total", SWL_COUNTER,
							 "Lines matched, per rule.", rule_label, 1, NULL, 0, 0);
	struct swl_family *errors = swl_registry_family(
		reg, "swanlog_rule_errors_total", SWL_COUNTER,
		"Rule evaluations that failed (regex match or depth limit, a value that is not a number).", rule_label, 1,
		NULL, 0, 0);
	for (size_t i = 0; i < rs->nrules; i++) {
		struct swl_str v = swl_str_c(rs->rules[i].name);
		rs->rules[i].matches = swl_family_series(matches, &v);
		rs->rules[i].errors = swl_family_series(errors, &v);
	}
	build_dispatch(rs);
	uint32_t maxgroups = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		uint32_t c;
		pcre2_pattern_info(rs->rules[i].re, PCRE2_INFO_CAPTURECOUNT, &c);
		if (c > maxgroups)
			maxgroups = c;
	}
	rs->md = pcre2_match_data_create(maxgroups + 1, NULL);
	rs->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rs->mctx, SWL_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, SWL_DEPTH_LIMIT);
	rs->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	pcre2_jit_stack_assign(rs->mctx, NULL, rs->jit_stack);
}

static void free_rule(struct swl_rule *r)
{
	free(r->name);
	free_list(r->programs, r->nprograms);
	pcre2_code_free(r->re);
	for (size_t i = 0; i < SWL_MAX_RECALL; i++) /* all: a failed load may leave one half-built */
		swl_tpl_fini(&r->recall[i]);
	for (size_t i = 0; i < r->nif; i++) {
		swl_tpl_fini(&r->ifs[i].lhs);
		swl_tpl_fini(&r->ifs[i].rhs);
	}
	free(r->ifs);
	for (size_t i = 0; i < r->nunless; i++) {
		swl_tpl_fini(&r->unless[i].lhs);
		swl_tpl_fini(&r->unless[i].rhs);
	}
	free(r->unless);
	for (size_t i = 0; i < r->nupdates; i++) {
		for (size_t l = 0; l < SWL_MAX_LABELS; l++)
			swl_tpl_fini(&r->updates[i].labels[l]);
		swl_tpl_fini(&r->updates[i].value);
		swl_tpl_fini(&r->updates[i].key);
		swl_tpl_fini(&r->updates[i].group);
		swl_tpl_fini(&r->updates[i].to);
		for (size_t l = 0; l < SWL_MAX_LABELS; l++)
			swl_tpl_fini(&r->updates[i].count_labels[l]);
	}
	free(r->updates);
	for (size_t i = 0; i < r->nremember; i++) {
		swl_tpl_fini(&r->remember[i].key);
		for (size_t l = 0; l < r->remember[i].nlabels; l++) {
			free(r->remember[i].names[l]);
			swl_tpl_fini(&r->remember[i].values[l]);
		}
	}
	free(r->remember);
	swl_tpl_fini(&r->forget);
	for (size_t i = 0; i < r->nexamples; i++) {
		struct swl_example *ex = &r->examples[i];
		free_list(ex->after, ex->nafter);
		free(ex->text);
		free_list(ex->fnames, ex->nfields);
		free_list(ex->fvalues, ex->nfields);
		for (size_t e = 0; e < ex->nexpect; e++) {
			free(ex->expect[e].metric);
			free_list(ex->expect[e].names, ex->expect[e].nlabels);
			free_list(ex->expect[e].values, ex->expect[e].nlabels);
		}
		free(ex->expect);
	}
	free(r->examples);
}

void swl_rules_destroy(struct swl_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		free_rule(&rs->rules[i]);
	free(rs->rules);
	free_list(rs->paths, rs->npaths);
	for (size_t k = 0; k < rs->ndispatch; k++) {
		free(rs->dispatch[k].program);
		free(rs->dispatch[k].rules);
		free(rs->dispatch[k].byfirst);
	}
	free(rs->dispatch);
	free_list(rs->names, rs->nnames);
	free(rs->fields);
	free(rs->literals);
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mctx);
	pcre2_jit_stack_free(rs->jit_stack);
	free(rs);
}

int swl_rules_load(const char *path, struct swl_registry *reg, struct swl_ruleset **out, struct swl_err *err)
{
	struct loader *ld = swl_xcalloc(1, sizeof(*ld));
	ld->err = err;
	ld->rs = swl_xcalloc(1, sizeof(*ld->rs));
	ld->rs->reg = reg;
	int r = list_files(path, ld->rs, err);
	for (size_t i = 0; r == 0 && i < ld->rs->npaths; i++) {
		struct file *f = &ld->files[ld->nfiles++];
		f->doc = (struct swl_yaml_doc){ .path = ld->rs->paths[i], .err = err };
		if ((r = load_doc(&f->doc)) == 0)
			r = load_top(ld, f);
	}
	for (size_t i = 0; r == 0 && i < ld->nfiles; i++)
		r = load_rules_of(ld, &ld->files[i]);
	if (r == 0)
		bind(ld, reg);
	for (size_t i = 0; i < ld->nfiles; i++)
		swl_yaml_doc_fini(&ld->files[i].doc);
	for (size_t i = 0; i < ld->nmdefs; i++) {
		free(ld->mdefs[i].name);
		free(ld->mdefs[i].help);
		for (size_t l = 0; l < ld->mdefs[i].nlabels; l++)
			free(ld->mdefs[i].labels[l]);
	}
	free(ld->mdefs);
	if (r < 0) {
		swl_rules_destroy(ld->rs);
		ld->rs = NULL;
	}
	*out = ld->rs;
	free(ld);
	return r;
}

size_t swl_rules_count(const struct swl_ruleset *rs)
{
	return rs->nrules;
}

size_t swl_rules_context_entries(const struct swl_ruleset *rs)
{
	return rs->context_entries;
}

int64_t swl_rules_context_age_us(const struct swl_ruleset *rs)
{
	return rs->context_age_us;
}
