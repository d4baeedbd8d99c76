/* check.c - the check mode (see check.h). */
#include "check.h"

#include "registry.h"
#include "rules.h"

static int check_one(const char *path, bool quiet, FILE *out)
{
	struct swl_registry *reg = swl_registry_create(SWL_DEFAULT_MAX_SERIES);
	struct swl_ruleset *rs;
	struct swl_err err;
	int failures;
	if (swl_rules_load(path, reg, &rs, &err) < 0) {
		fprintf(out, "%s\n", err.msg);
		failures = 1;
	} else {
		size_t n;
		failures = swl_rules_run_examples(rs, out, &n);
		if (swl_rules_count(rs) == 0) { /* an empty file is a mistake, not a success */
			fprintf(out, "%s: no rules: a rules file needs at least one rule under 'rules:'\n", path);
			failures++;
		}
		if (!quiet)
			fprintf(out, "%s: %zu rules, %zu examples, %d failed\n", path, swl_rules_count(rs), n, failures);
		swl_rules_destroy(rs);
	}
	swl_registry_destroy(reg);
	return failures;
}

int swl_check_run(const char *const *paths, size_t npaths, bool quiet, FILE *out)
{
	int failures = 0;
	for (size_t i = 0; i < npaths; i++)
		failures += check_one(paths[i], quiet, out);
	fflush(out);
	return failures;
}
