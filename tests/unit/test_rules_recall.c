/* test_rules_recall.c - `recall: [K1, K2]`: keys are looked up in order, a later key may use
 * labels an earlier one recalled, names resolve from the first entry that has them; the
 * loader takes 1 to SWL_MAX_RECALL keys. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules_int.h"

static char path[64];

static void put(const char *text)
{
	strcpy(path, "/tmp/swanlog-recall-XXXXXX.yaml");
	int fd = mkstemps(path, 5);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert(fputs(text, f) >= 0);
	cr_assert_eq(fclose(f), 0);
}

static void teardown(void)
{
	if (path[0])
		unlink(path);
}

TestSuite(rules_recall, .fini = teardown);

#define METRICS                                                                                                \
	"metrics:\n"                                                                                           \
	"  seen_total: {type: counter, labels: [name, extra]}\n"                                              \
	"rules:\n"                                                                                             \
	"  - name: first\n"                                                                                    \
	"    match: '^sa (?<uid>\\d+) root (?<root>\\w+) name (?<name>\\w+)$'\n"                                \
	"    remember: {key: 'h|${uid}', labels: [root, name]}\n"                                              \
	"  - name: second\n"                                                                                   \
	"    match: '^lineage (?<root>\\w+) extra (?<extra>\\w+) name (?<name>\\w+)$'\n"                        \
	"    remember: {key: 'h|k|${root}', labels: [extra, name]}\n"

/* Chained lookup: the second key is built from `root`, recalled by the first. */
Test(rules_recall, chained_keys)
{
	put(METRICS "  - name: third\n"
		    "    match: '^event (?<uid>\\d+)$'\n"
		    "    recall: ['h|${uid}', 'h|k|${root}']\n"
		    "    inc: seen_total\n"
		    "    examples:\n"
		    "      - line: 'event 3'\n"
		    "        after: ['sa 3 root r7 name fromsa', 'lineage r7 extra fromlineage name fromlineage']\n"
		    "        expect: {seen_total: {name: fromsa, extra: fromlineage}}\n"
		    "      - line: 'event 3'\n"
		    "        after: ['lineage r7 extra fromlineage name x']\n"
		    "        expect: {seen_total: {}}\n"
		    "      - line: 'event 4'\n"
		    "        after: ['sa 4 root r9 name only', 'lineage r7 extra other name x']\n"
		    "        expect: {seen_total: {name: only}}\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = NULL;
	struct swl_err err = { 0 };
	cr_assert_eq(swl_rules_load(path, reg, &rs, &err), 0, "%s", err.msg);
	cr_assert_eq(rs->rules[2].nrecall, 2);
	size_t n = 0;
	cr_assert_eq(swl_rules_run_examples(rs, stderr, &n), 0);
	cr_assert_eq(n, 3);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
}

/* A wrong expectation about the chained value fails: the examples are not vacuous. */
Test(rules_recall, wrong_expectation_fails)
{
	put(METRICS "  - name: third\n"
		    "    match: '^event (?<uid>\\d+)$'\n"
		    "    recall: ['h|${uid}', 'h|k|${root}']\n"
		    "    inc: seen_total\n"
		    "    examples:\n"
		    "      - line: 'event 3'\n"
		    "        after: ['sa 3 root r7 name fromsa', 'lineage r7 extra fromlineage name fromlineage']\n"
		    "        expect: {seen_total: {name: fromlineage, extra: fromlineage}}\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = NULL;
	struct swl_err err = { 0 };
	cr_assert_eq(swl_rules_load(path, reg, &rs, &err), 0, "%s", err.msg);
	FILE *out = tmpfile();
	cr_assert_eq(swl_rules_run_examples(rs, out, NULL), 1);
	fclose(out);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
}

/* Rules of one line share what their keys found, and must still see what the rules before
 * them wrote: the second key of read-after is made of a label that write changed (the memo of
 * read-before's lookup no longer holds), and where read-before found nothing, write created
 * the entry read-after finds. */
Test(rules_recall, one_line_sees_what_earlier_rules_wrote)
{
	put("metrics:\n"
	    "  before_total: {type: counter, labels: [name]}\n"
	    "  after_total: {type: counter, labels: [name]}\n"
	    "rules:\n"
	    "  - name: lineage\n"
	    "    match: '^lineage (?<root>\\w+) name (?<kname>\\w+)$'\n"
	    "    remember: {key: 'h|k|${root}', labels: [kname]}\n"
	    "  - name: read-before\n"
	    "    match: '^go (?<uid>\\d+) (?<r>\\w+)$'\n"
	    "    recall: ['h|${uid}', 'h|k|${root}']\n"
	    "    inc: before_total\n"
	    "    labels: {name: '${kname}'}\n"
	    "  - name: write\n"
	    "    match: '^go (?<uid>\\d+) (?<r>\\w+)$'\n"
	    "    remember: {key: 'h|${uid}', labels: {root: '${r}'}}\n"
	    "  - name: read-after\n"
	    "    match: '^go (?<uid>\\d+) (?<r>\\w+)$'\n"
	    "    recall: ['h|${uid}', 'h|k|${root}']\n"
	    "    inc: after_total\n"
	    "    labels: {name: '${kname}'}\n"
	    "    examples:\n"
	    "      - line: 'go 1 r2'\n"
	    "        after: ['lineage r1 name one', 'lineage r2 name two', 'go 1 r1']\n"
	    "        expect: {before_total: {name: one}, after_total: {name: two}}\n"
	    "      - line: 'go 5 r2'\n"
	    "        after: ['lineage r2 name two']\n"
	    "        expect: {before_total: {}, after_total: {name: two}}\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = NULL;
	struct swl_err err = { 0 };
	cr_assert_eq(swl_rules_load(path, reg, &rs, &err), 0, "%s", err.msg);
	/* the three rules of one pattern share its match and their keys' memo */
	cr_assert_eq(rs->rules[1].pattern, rs->rules[3].pattern);
	cr_assert_eq(rs->rules[1].recall[1].memo, rs->rules[3].recall[1].memo);
	cr_assert_neq(rs->rules[1].recall[0].memo, rs->rules[1].recall[1].memo);
	size_t n = 0;
	cr_assert_eq(swl_rules_run_examples(rs, stderr, &n), 0);
	cr_assert_eq(n, 2);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
}

Test(rules_recall, too_many_keys)
{
	put(METRICS "  - name: third\n"
		    "    match: '^event (?<uid>\\d+)$'\n"
		    "    recall: [a, b, c, d, e]\n"
		    "    inc: seen_total\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = NULL;
	struct swl_err err = { 0 };
	cr_assert_eq(swl_rules_load(path, reg, &rs, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, ":12:13: recall takes 1 to 4 keys"), "%s", err.msg);
	swl_registry_destroy(reg);
}

Test(rules_recall, empty_list)
{
	put(METRICS "  - name: third\n"
		    "    match: '^event (?<uid>\\d+)$'\n"
		    "    recall: []\n"
		    "    inc: seen_total\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = NULL;
	struct swl_err err = { 0 };
	cr_assert_eq(swl_rules_load(path, reg, &rs, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "recall takes 1 to 4 keys"), "%s", err.msg);
	swl_registry_destroy(reg);
}
