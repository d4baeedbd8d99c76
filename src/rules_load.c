/* rules_load.c - YAML -> validated, compiled ruleset. Every error names path:line:col.
 *
 * Loading is all-or-nothing: files are parsed and every rule compiled and checked before the
 * first family is declared in the registry, so a bad ruleset leaves the registry untouched
 * (on reload the old rules keep running on unchanged metrics). Here: which files, their
 * parsing, and binding what the schema read (rules_schema.c) to the registry and the index.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "rules_index.h"
#include "rules_schema.h"

#define MAX_RULES_FILE (16u << 20)
#define MAX_FILES 256

struct loader {
	struct swl_schema sc;
	size_t nfiles;
	struct swl_rules_file files[MAX_FILES];
};

void swl_rules_free_strings(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

size_t swl_rules_intern(char ***l, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*l)[i], s) == 0)
			return i;
	*l = swl_xrealloc(*l, (*n + 1) * sizeof(**l));
	(*l)[*n] = swl_xstrdup(s);
	return (*n)++;
}

/* ---- files ---- */

static int read_file(const char *path, char **data, size_t *len, struct swl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		swl_err_set(err, path, 0, 0, "cannot open rules: %s", strerror(e));
		return -e;
	}
	int r = swl_read_all(fd, MAX_RULES_FILE, data, len);
	close(fd);
	if (r == -EFBIG)
		swl_err_set(err, path, 0, 0, "rules file larger than %u bytes", MAX_RULES_FILE);
	else if (r < 0)
		swl_err_set(err, path, 0, 0, "cannot read rules");
	return r == -EFBIG || r == 0 ? r : -EIO;
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

/* ---- binding: declare families and self-metrics, build the index ---- */

static void bind(const struct swl_schema *sc, struct swl_registry *reg)
{
	struct swl_ruleset *rs = sc->rs;
	struct swl_family **fams = swl_xcalloc(sc->nmdefs ? sc->nmdefs : 1, sizeof(*fams));
	for (size_t i = 0; i < sc->nmdefs; i++) {
		const struct swl_mdef *m = &sc->mdefs[i];
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
	swl_rules_index_build(rs);
	for (size_t i = 0; i < rs->nrules; i++) {
		uint32_t c;
		pcre2_pattern_info(rs->rules[i].re, PCRE2_INFO_CAPTURECOUNT, &c);
		if (c > rs->max_captures)
			rs->max_captures = c;
	}
}

static void free_rule(struct swl_rule *r)
{
	free(r->name);
	swl_rules_free_strings(r->programs, r->nprograms);
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
		swl_rules_free_strings(ex->after, ex->nafter);
		free(ex->text);
		swl_rules_free_strings(ex->fnames, ex->nfields);
		swl_rules_free_strings(ex->fvalues, ex->nfields);
		for (size_t e = 0; e < ex->nexpect; e++) {
			free(ex->expect[e].metric);
			swl_rules_free_strings(ex->expect[e].names, ex->expect[e].nlabels);
			swl_rules_free_strings(ex->expect[e].values, ex->expect[e].nlabels);
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
	swl_rules_free_strings(rs->paths, rs->npaths);
	for (size_t k = 0; k < rs->ndispatch; k++) {
		free(rs->dispatch[k].program);
		free(rs->dispatch[k].rules);
		free(rs->dispatch[k].byfirst);
	}
	free(rs->dispatch);
	swl_rules_free_strings(rs->names, rs->nnames);
	swl_rules_free_strings(rs->keys, rs->nkeys);
	swl_rules_free_strings(rs->patterns, rs->npatterns);
	free(rs);
}

int swl_rules_load(const char *path, struct swl_registry *reg, struct swl_ruleset **out, struct swl_err *err)
{
	struct loader *ld = swl_xcalloc(1, sizeof(*ld));
	struct swl_ruleset *rs = swl_xcalloc(1, sizeof(*rs));
	rs->reg = reg;
	ld->sc.rs = rs;
	int r = list_files(path, rs, err);
	for (size_t i = 0; r == 0 && i < rs->npaths; i++) {
		struct swl_rules_file *f = &ld->files[ld->nfiles++];
		f->doc = (struct swl_yaml_doc){ .path = rs->paths[i], .err = err };
		if ((r = load_doc(&f->doc)) == 0)
			r = swl_schema_read_top(&ld->sc, f);
	}
	/* every file's metrics are known before the first rule is read */
	for (size_t i = 0; r == 0 && i < ld->nfiles; i++)
		r = swl_schema_read_rules(&ld->sc, &ld->files[i]);
	if (r == 0)
		bind(&ld->sc, reg);
	for (size_t i = 0; i < ld->nfiles; i++)
		swl_yaml_doc_fini(&ld->files[i].doc);
	swl_schema_fini(&ld->sc);
	if (r < 0) {
		swl_rules_destroy(rs);
		rs = NULL;
	}
	*out = rs;
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
