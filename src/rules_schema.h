/* rules_schema.h - reading the rule language: a rules file's YAML into the compiled form of
 * rules_int.h. rules_schema.c reads metrics, limits, rules and examples; rules_template.c
 * compiles ${...} templates. rules_load.c lists and parses the files, then binds what was read.
 * Not for other modules. */
#ifndef SWL_RULES_SCHEMA_H
#define SWL_RULES_SCHEMA_H

#include "rules_int.h"
#include "yaml_doc.h"

/* A metric declared in YAML, waiting to be registered once everything has loaded. */
struct swl_mdef {
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

/* A rules file while it loads (its text is kept: error columns inside quoted scalars). */
struct swl_rules_file {
	struct swl_yaml_doc doc;
	yaml_node_t *programs, *rules; /* its top-level programs: and rules:, found by the first pass */
};

/* What the files read so far declare. */
struct swl_schema {
	struct swl_ruleset *rs; /* borrowed: rules, template names and limits are read into it */
	size_t nmdefs, capmdefs;
	struct swl_mdef *mdefs; /* owned; update and count name theirs by index (mdef, count_mdef) */
	size_t caprules;
};

/* First pass over a file: its top-level keys, metrics and limits. Second pass, once every file
 * had its first: its rules, which may use any file's metrics. Both return 0 or -EINVAL with
 * the error in the file's err. */
int swl_schema_read_top(struct swl_schema *sc, struct swl_rules_file *f);
int swl_schema_read_rules(struct swl_schema *sc, struct swl_rules_file *f);
/* Free the metric declarations (the ruleset is the caller's). */
void swl_schema_fini(struct swl_schema *sc);

/* A metric (metric: true, ':' allowed) or label name: [a-zA-Z_][a-zA-Z0-9_]*. */
bool swl_rules_valid_name(const char *s, bool metric);

/* Compile template s, the value of node n (errors point into it), into t. Names are bound to
 * re's capture groups (re may be NULL) and interned in rs. allow_time: the word `time` alone
 * means the event's time. Returns 0 or -EINVAL. */
int swl_tpl_compile(struct swl_ruleset *rs, struct swl_yaml_doc *d, const yaml_node_t *n, const char *s,
		    const pcre2_code *re, bool allow_time, struct swl_tpl *t);
/* The same for node n's string ("WHAT must be a string" when it is none). */
int swl_tpl_node(struct swl_ruleset *rs, struct swl_yaml_doc *d, const yaml_node_t *n, const pcre2_code *re,
		 bool allow_time, const char *what, struct swl_tpl *t);
/* A recall key t (compiled from text, in a rule whose pattern is rs->patterns[pattern]) gets
 * its memo id: keys of one text share it, and so do keys that read captures where the rules
 * also share their pattern. */
void swl_tpl_memo(struct swl_ruleset *rs, struct swl_tpl *t, const char *text, size_t pattern);

#endif
