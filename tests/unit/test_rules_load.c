/* test_rules_load.c - the rules loader: every error names path:line:col (checked against where
 * the offending text sits in the YAML, found by searching the input), fails with a negative
 * errno and declares nothing; successful loads of directories and file-level defaults. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "rules_int.h"

#define SWL_SCRATCH_TAG "rules_load"
#include "scratch.h"

/* Under ASan: nothing allocated is unreachable now. (A leak report at exit, or an assertion in
 * .fini, does not fail a criterion test, so tests check while they run.) */
static void assert_no_leaks(void)
{
#ifdef __SANITIZE_ADDRESS__
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked: see the report above");
#endif
}

TestSuite(rules_load, .init = scratch_init, .fini = scratch_fini);

/* Write text to name in the scratch directory; the path is returned in a static buffer (one
 * at a time). */
static const char *put(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot create %s", path);
	cr_assert(fputs(text, f) >= 0);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/* 1-based column of the nth (from 1) occurrence of needle in line `line` of text. */
static unsigned col_of(const char *text, unsigned line, const char *needle, int nth)
{
	const char *p = text;
	for (unsigned l = 1; l < line; l++) {
		p = strchr(p, '\n');
		cr_assert_not_null(p, "test bug: no line %u", line);
		p++;
	}
	const char *eol = strchr(p, '\n');
	size_t len = eol ? (size_t)(eol - p) : strlen(p);
	const char *at = p;
	for (int i = 0; i < nth; i++) {
		const char *hit = NULL;
		for (const char *q = at; q + strlen(needle) <= p + len; q++) {
			if (strncmp(q, needle, strlen(needle)) == 0) {
				hit = q;
				break;
			}
		}
		cr_assert_not_null(hit, "test bug: '%s' not %d times in line %u", needle, nth, line);
		at = hit + 1;
	}
	return (unsigned)(at - 1 - p) + 1;
}

/* Load path, expecting failure with exactly want_msg (whole) and an untouched registry. */
static void expect_fail_path(const char *path, const char *want_msg, int want_rc)
{
	struct swl_registry *reg = swl_registry_create(0);
	size_t before = reg->nfamilies;
	struct swl_ruleset *rs = (struct swl_ruleset *)1;
	struct swl_err err = { "" };
	int rc = swl_rules_load(path, reg, &rs, &err);
	cr_assert_lt(rc, 0, "load succeeded; wanted: %s", want_msg);
	if (want_rc)
		cr_assert_eq(rc, want_rc, "rc %d, want %d (%s)", rc, want_rc, err.msg);
	cr_assert_null(rs);
	cr_assert_str_eq(err.msg, want_msg);
	cr_assert_eq(reg->nfamilies, before, "a failed load declared %zu families", reg->nfamilies - before);
	swl_registry_destroy(reg);
	assert_no_leaks();
}

/* The YAML text as r.yaml must fail at (line, column of the nth needle) with msg. */
static void expect_fail_nth(const char *yaml, unsigned line, const char *needle, int nth, const char *msg)
{
	const char *path = put("r.yaml", yaml);
	char want[1024];
	snprintf(want, sizeof(want), "%s:%u:%u: %s", path, line, col_of(yaml, line, needle, nth), msg);
	expect_fail_path(path, want, -EINVAL);
}

static void expect_fail(const char *yaml, unsigned line, const char *needle, const char *msg)
{
	expect_fail_nth(yaml, line, needle, 1, msg);
}

/* Three metrics every rule below may use. */
#define METRICS                                                      \
	"metrics:\n"                                                 \
	"  c_total: {type: counter, help: C., labels: [conn]}\n"     \
	"  g: {type: gauge, labels: [conn]}\n"                       \
	"  h: {type: histogram, buckets: [1, 2]}\n"                  \
	"rules:\n"
/* the first line of a rule written after METRICS */
#define R 6

static struct swl_ruleset *load_ok(const char *path, struct swl_registry *reg)
{
	struct swl_ruleset *rs = NULL;
	struct swl_err err = { "" };
	int rc = swl_rules_load(path, reg, &rs, &err);
	cr_assert_eq(rc, 0, "load failed: %s", err.msg);
	cr_assert_not_null(rs);
	return rs;
}

/* ---- files ---- */

Test(rules_load, missing_file)
{
	char path[128], want[256];
	snprintf(path, sizeof(path), "%s/nope.yaml", scratch);
	snprintf(want, sizeof(want), "%s: cannot open rules: %s", path, strerror(ENOENT));
	expect_fail_path(path, want, -ENOENT);
}

Test(rules_load, directory_without_yaml)
{
	put("README.txt", "metrics: {}\n");
	put(".hidden.yaml", "metrics: {}\n");
	char want[256];
	snprintf(want, sizeof(want), "%s: no *.yaml rules files in directory", scratch);
	expect_fail_path(scratch, want, -ENOENT);
}

Test(rules_load, yaml_syntax_error)
{
	const char *y = "metrics:\n"
			"  c_total: {type: counter, labels: [conn}\n";
	expect_fail(y, 2, "}", "YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
}

Test(rules_load, yaml_syntax_error_tab)
{
	const char *y = "metrics:\n"
			"\tc_total: {type: counter}\n";
	expect_fail(y, 2, "\t",
		    "YAML syntax error: found character that cannot start any token while scanning for the next token");
}

Test(rules_load, root_not_a_mapping)
{
	expect_fail("- a\n- b\n", 1, "-", "a rules file is a mapping with metrics and rules");
	expect_fail("just text\n", 1, "just", "a rules file is a mapping with metrics and rules");
}

Test(rules_load, unknown_top_level_key)
{
	const char *y = "metrics: {}\n"
			"rulez: []\n";
	expect_fail(y, 2, "rulez",
		    "unknown key 'rulez' in a rules file (expected one of: programs, metrics, rules, limits)");
}

Test(rules_load, top_level_shapes)
{
	expect_fail("metrics: [a]\n", 1, "[", "metrics must be a mapping of name: definition");
	expect_fail("rules: {a: b}\n", 1, "{", "rules must be a list");
	expect_fail("limits: 5\n", 1, "5", "limits must be a mapping");
	expect_fail("programs: {a: b}\n" METRICS "  - name: r\n    match: x\n    inc: c_total\n", 1, "{",
		    "programs must be a string or a list of strings");
	expect_fail("programs: [charon, [x]]\n" METRICS "  - name: r\n    match: x\n    inc: c_total\n", 1, "[x",
		    "programs must be a list of strings");
	expect_fail("limits:\n  context_entries: -1\n", 2, "-1",
		    "context_entries must be a whole number from 0 to 10000000");
	expect_fail("limits:\n  context_age: 1h\n", 2, "1h",
		    "context_age (seconds) must be a whole number from 0 to 3153600000");
	expect_fail("limits:\n  entries: 1\n", 2, "entries",
		    "unknown key 'entries' in limits (expected one of: context_entries, context_age)");
}

Test(rules_load, duplicate_key_in_a_mapping)
{
	/* YAML forbids it; libyaml does not check, so the loader must (the second would win silently) */
	const char *y = METRICS "  - name: r\n"
				"    match: x\n"
				"    inc: c_total\n"
				"    name: s\n";
	expect_fail(y, R + 3, "name", "key 'name' given twice in one mapping (first at line 6)");
	const char *y2 = "metrics:\n"
			 "  m: {type: counter}\n"
			 "  m: {type: gauge}\n";
	expect_fail(y2, 3, "m", "key 'm' given twice in one mapping (first at line 2)");
}

/* ---- metrics ---- */

Test(rules_load, unknown_metric_key)
{
	const char *y = "metrics:\n"
			"  c_total: {type: counter, hlep: x}\n";
	expect_fail(y, 2, "hlep",
		    "unknown key 'hlep' in a metric (expected one of: type, help, labels, buckets, max_series)");
}

Test(rules_load, bad_metric_name)
{
	expect_fail("metrics:\n  1bad: {type: counter}\n", 2, "1bad", "invalid metric name '1bad'");
	expect_fail("metrics:\n  a-b: {type: counter}\n", 2, "a-b", "invalid metric name 'a-b'");
	expect_fail("metrics:\n  '': {type: counter}\n", 2, "''", "invalid metric name ''");
}

Test(rules_load, reserved_prefix)
{
	expect_fail("metrics:\n  swanlog_x_total: {type: counter}\n", 2, "swanlog_",
		    "metric names starting with swanlog_ are reserved for swanlog's own metrics");
}

Test(rules_load, metric_shape_and_type)
{
	expect_fail("metrics:\n  m: counter\n", 2, "counter", "metric 'm' must be a mapping with type, help and labels");
	expect_fail("metrics:\n  m: {help: x}\n", 2, "m", "metric 'm' has no type");
	expect_fail("metrics:\n  m: {type: summary}\n", 2, "summary",
		    "unknown metric type 'summary' (expected counter, gauge or histogram)");
	expect_fail("metrics:\n  m: {type: [counter]}\n", 2, "[", "type must be a string");
	expect_fail("metrics:\n  m: {type: counter, max_series: lots}\n", 2, "lots",
		    "max_series must be a whole number from 0 to 100000000");
}

Test(rules_load, duplicate_metric_across_files)
{
	put("a.yaml", "metrics:\n  m: {type: counter}\n");
	char first[128], want[512];
	snprintf(first, sizeof(first), "%s/a.yaml", scratch);
	const char *b = put("b.yaml", "# second\nmetrics:\n  other: {type: gauge}\n  m: {type: gauge}\n");
	snprintf(want, sizeof(want), "%s:4:3: metric 'm' already declared at %s:2:3", b, first);
	expect_fail_path(scratch, want, -EINVAL);
}

Test(rules_load, labels)
{
	expect_fail("metrics:\n  m: {type: counter, labels: conn}\n", 2, "conn", "labels must be a list of label names");
	expect_fail("metrics:\n  m: {type: counter, labels: [ok, b-ad]}\n", 2, "b-ad", "invalid label name 'b-ad'");
	expect_fail("metrics:\n  m: {type: counter, labels: [ok, 9a]}\n", 2, "9a", "invalid label name '9a'");
	expect_fail("metrics:\n  m: {type: counter, labels: [ok, [x]]}\n", 2, "[x]", "invalid label name ''");
	expect_fail("metrics:\n  m:\n    type: counter\n    labels:\n      - a\n      - a\n", 6, "a",
		    "label 'a' listed twice");
	expect_fail("metrics:\n  m: {type: counter, labels: [__x]}\n", 2, "__x", "invalid label name '__x'");
	expect_fail("metrics:\n  m: {type: histogram, labels: [conn, le]}\n", 2, "le",
		    "label 'le' is reserved for histogram buckets");
	/* labels before type: still pointed at the label */
	expect_fail("metrics:\n  m: {labels: [conn, le], type: histogram}\n", 2, "le]",
		    "label 'le' is reserved for histogram buckets");
	expect_fail("metrics:\n  m:\n    type: counter\n    labels: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
		    4, "q", "more than 16 labels");
}

Test(rules_load, le_is_fine_on_a_counter)
{
	const char *path = put("r.yaml", "metrics:\n  m: {type: counter, labels: [le]}\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = load_ok(path, reg);
	cr_assert_not_null(swl_registry_find(reg, "m"));
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	assert_no_leaks();
}

Test(rules_load, buckets)
{
	expect_fail("metrics:\n  m: {type: counter, buckets: [1, 2]}\n", 2, "[1", "buckets are only for histograms");
	expect_fail("metrics:\n  m: {buckets: [1, 2], type: gauge}\n", 2, "[1", "buckets are only for histograms");
	expect_fail("metrics:\n  m: {type: histogram, buckets: [1, 0.5]}\n", 2, "0.5",
		    "bucket bounds must be in increasing order");
	expect_fail("metrics:\n  m: {type: histogram, buckets: [1, 1]}\n", 2, "1]",
		    "bucket bounds must be in increasing order");
	expect_fail("metrics:\n  m: {type: histogram, buckets: [1, x]}\n", 2, "x]", "bucket bound must be a finite number");
	expect_fail("metrics:\n  m: {type: histogram, buckets: [1, .inf]}\n", 2, ".inf",
		    "bucket bound must be a finite number");
	expect_fail("metrics:\n  m: {type: histogram, buckets: 1}\n", 2, "1}", "buckets must be a list of numbers");
}

/* ---- rules ---- */

Test(rules_load, rule_keys)
{
	expect_fail(METRICS "  - name: r\n    matsch: x\n    inc: c_total\n", R + 1, "matsch",
		    "unknown key 'matsch' in a rule (expected one of: name, match, programs, recall, if, unless, "
		    "remember, forget, updates, examples, inc, dec, set, observe, up, down, regroup, reset, by, "
		    "value, key, group, to, count, labels)");
	expect_fail(METRICS "  - name: r\n    match: x\n    updates:\n      - {inc: c_total, bye: 2}\n", R + 3, "bye",
		    "unknown key 'bye' in an update (expected one of: inc, dec, set, observe, up, down, regroup, "
		    "reset, by, value, key, group, to, count, labels)");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    examples:\n"
			    "      - {line: x, expekt: {}}\n",
		    R + 4, "expekt", "unknown key 'expekt' in an example (expected one of: line, after, fields, expect)");
	expect_fail(METRICS "  - name: r\n    match: x\n    remember: {key: k, labelz: [conn]}\n", R + 2, "labelz",
		    "unknown key 'labelz' in remember (expected one of: key, labels)");
}

Test(rules_load, rule_names)
{
	expect_fail(METRICS "  - match: x\n    inc: c_total\n", R, "match", "rule has no name");
	expect_fail(METRICS "  - name: ''\n    match: x\n    inc: c_total\n", R, "''", "rule name must not be empty");
	expect_fail(METRICS "  - not a mapping\n", R, "not", "a rule must be a mapping with name and match");
	char path[128], want[512];
	snprintf(path, sizeof(path), "%s/r.yaml", scratch);
	const char *y = METRICS "  - name: r\n    match: x\n    inc: c_total\n"
				"  - name: r\n    match: y\n    inc: c_total\n";
	snprintf(want, sizeof(want), "rule name 'r' already used at %s:%u:5", path, R);
	expect_fail(y, R + 3, "name", want);
}

Test(rules_load, duplicate_rule_name_across_files)
{
	put("a.yaml", METRICS "  - name: r\n    match: x\n    inc: c_total\n");
	const char *b = put("b.yaml", "rules:\n  - name: r\n    match: y\n    inc: c_total\n");
	char want[512];
	snprintf(want, sizeof(want), "%s:2:5: rule name 'r' already used at %s/a.yaml:%u:5", b, scratch, R);
	expect_fail_path(scratch, want, -EINVAL);
}

Test(rules_load, rule_without_match_or_effect)
{
	expect_fail(METRICS "  - name: r\n    inc: c_total\n", R, "name", "rule 'r' has no match pattern");
	expect_fail(METRICS "  - name: r\n    match: x\n", R, "name",
		    "rule 'r' does nothing: give it updates, remember or forget");
	expect_fail(METRICS "  - name: r\n    match: x\n    updates: []\n", R, "name",
		    "rule 'r' does nothing: give it updates, remember or forget");
	expect_fail(METRICS "  - name: r\n    match: x\n    updates: {inc: c_total}\n", R + 2, "{",
		    "updates must be a list");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    updates: [{inc: c_total}]\n", R, "name",
		    "rule 'r' has both updates: and an update at rule level");
}

Test(rules_load, bad_pattern_column_points_into_it)
{
	/* PCRE2 reports the offset of the stray ')' : 3 into the pattern */
	const char *y = METRICS "  - name: r\n    match: '^ab)c'\n    inc: c_total\n";
	expect_fail(y, R + 1, ")", "bad pattern: unmatched closing parenthesis");
	const char *y2 = METRICS "  - name: r\n    match: ^ab)c\n    inc: c_total\n";
	expect_fail(y2, R + 1, ")", "bad pattern: unmatched closing parenthesis");
	const char *y3 = METRICS "  - name: r\n    match: 'x{2,1}'\n    inc: c_total\n";
	expect_fail(y3, R + 1, "}", "bad pattern: numbers out of order in {} quantifier");
	expect_fail(METRICS "  - name: r\n    match: [x]\n    inc: c_total\n", R + 1, "[", "match must be a string");
}

Test(rules_load, error_columns_in_quoted_and_non_ascii_scalars)
{
	/* escapes make the value shorter than its source: the column is still that of the ')' */
	expect_fail(METRICS "  - name: r\n    match: \"^a\\\\d)\"\n    inc: c_total\n", R + 1, ")",
		    "bad pattern: unmatched closing parenthesis");
	expect_fail(METRICS "  - name: r\n    match: 'it''s)'\n    inc: c_total\n", R + 1, ")",
		    "bad pattern: unmatched closing parenthesis");
	expect_fail(METRICS "  - name: r\n    match: \"\\x41\\u00e9\\t)\"\n    inc: c_total\n", R + 1, ")",
		    "bad pattern: unmatched closing parenthesis");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {conn: \"\\t${co-nn}\"}\n", R + 3,
		    "co-nn", "invalid name 'co-nn' in ${...}");
	/* columns count characters, as libyaml's do: "é" is two bytes, one column */
	const char *y = METRICS "  - name: r\n    match: ^caf\xc3\xa9)\n    inc: c_total\n";
	const char *path = put("r.yaml", y);
	char want[512];
	snprintf(want, sizeof(want), "%s:%u:17: bad pattern: unmatched closing parenthesis", path, R + 1);
	expect_fail_path(path, want, -EINVAL);
	/* a value folded over lines: the error points at where the value starts */
	expect_fail(METRICS "  - name: r\n    match: \"^a\n      b)\"\n    inc: c_total\n", R + 1, "\"",
		    "bad pattern: unmatched closing parenthesis");
}

Test(rules_load, update_metric_and_op)
{
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: nope\n", R + 2, "nope", "metric 'nope' is not declared");
	expect_fail(METRICS "  - name: r\n    match: x\n    observe: c_total\n    value: '1'\n", R + 2, "c_total",
		    "'observe' does not apply to counter 'c_total'");
	expect_fail(METRICS "  - name: r\n    match: x\n    set: c_total\n    value: '1'\n", R + 2, "c_total",
		    "'set' does not apply to counter 'c_total'");
	expect_fail(METRICS "  - name: r\n    match: x\n    up: c_total\n    key: k\n", R + 2, "c_total",
		    "'up' does not apply to counter 'c_total'");
	expect_fail(METRICS "  - name: r\n    match: x\n    dec: c_total\n", R + 2, "c_total",
		    "'dec' does not apply to counter 'c_total'");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: h\n", R + 2, "h", "'inc' does not apply to histogram 'h'");
	expect_fail(METRICS "  - name: r\n    match: x\n    reset: h\n", R + 2, "h",
		    "'reset' does not apply to histogram 'h'");
	expect_fail(METRICS "  - name: r\n    match: x\n    updates:\n      - {inc: c_total, dec: g}\n", R + 3, "dec",
		    "one update has one operation ('inc' and 'dec' given)");
	expect_fail(METRICS "  - name: r\n    match: x\n    updates:\n      - {by: '2'}\n", R + 3, "{",
		    "an update needs one of inc, dec, set, observe, up, down, regroup, reset");
	expect_fail(METRICS "  - name: r\n    match: x\n    updates:\n      - inc\n", R + 3, "inc",
		    "an update must be a mapping such as {inc: metric_name}");
}

Test(rules_load, update_argument_misuse)
{
#define U(line) METRICS "  - name: r\n    match: x\n    updates:\n      - " line "\n"
	expect_fail(U("{set: g, value: '1', by: '2'}"), R + 3, "'2'", "'by' goes with inc or dec");
	expect_fail(U("{inc: g, value: '1'}"), R + 3, "'1'", "'value' goes with set or observe");
	expect_fail(U("{set: g}"), R + 3, "{", "'set' needs a value");
	expect_fail(U("{observe: h}"), R + 3, "{", "'observe' needs a value");
	expect_fail(U("{inc: g, key: k}"), R + 3, "k}", "'key' goes with up or down");
	expect_fail(U("{up: g}"), R + 3, "{", "'up' needs a key (what is live, e.g. '${host}|${uid}')");
	expect_fail(U("{down: g}"), R + 3, "{", "'down' needs a key or a group (not both)");
	expect_fail(U("{down: g, key: k, group: x}"), R + 3, "{", "'down' needs a key or a group (not both)");
	expect_fail(U("{inc: g, group: x}"), R + 3, "x}", "'group' goes with up, down or regroup");
	expect_fail(U("{regroup: g, group: x}"), R + 3, "{", "'regroup' needs group (from) and to");
	expect_fail(U("{up: g, key: k, to: x}"), R + 3, "x}", "'to' goes with regroup");
	expect_fail(U("{inc: g, count: c_total}"), R + 3, "c_total", "'count' goes with down");
	expect_fail(U("{down: g, key: k, count: g}"), R + 3, "g}", "'count' names a counter; 'g' is not one");
	expect_fail(U("{down: g, key: k, count: nope}"), R + 3, "nope", "metric 'nope' is not declared");
	expect_fail(U("{regroup: g, group: x, to: y, labels: {conn: a}}"), R + 3, "{conn",
		    "'regroup' takes no labels: it acts on wherever the key is live");
	expect_fail(U("{down: g, key: k, labels: {conn: a}}"), R + 3, "{conn",
		    "'down' takes no labels: it acts on wherever the key is live");
	expect_fail(U("{reset: g, labels: {conn: a}}"), R + 3, "{conn",
		    "'reset' takes no labels: it acts on wherever the key is live");
	expect_fail(U("{inc: c_total, labels: [conn]}"), R + 3, "[conn", "labels must be a mapping of label: template");
#undef U
}

Test(rules_load, label_not_of_the_metric)
{
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {peer: x}\n", R + 3, "peer",
		    "metric 'c_total' has no label 'peer'");
	/* down with count: the counter's labels that the gauge has come from the gauge */
	const char *y = "metrics:\n"
			"  g: {type: gauge, labels: [conn]}\n"
			"  d_total: {type: counter, labels: [conn, reason]}\n"
			"rules:\n"
			"  - name: r\n"
			"    match: x\n"
			"    down: g\n"
			"    key: k\n"
			"    count: d_total\n"
			"    labels: {reason: gone, conn: x}\n";
	expect_fail(y, 10, "conn", "label 'conn' comes from the gauge 'g'");
}

Test(rules_load, templates)
{
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {conn: 'a${conn'}\n", R + 3,
		    "${", "unterminated ${ in 'a${conn'");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {conn: 'a${co-nn}'}\n", R + 3,
		    "co-nn", "invalid name 'co-nn' in ${...}");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {conn: '${a|}'}\n", R + 3, "}'",
		    "invalid name '' in ${...}");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {conn: 'x${}'}\n", R + 3, "}'",
		    "invalid name '' in ${...}");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    labels: {conn: '${a|b|c|d|e|f|g|h|i}'}\n",
		    R + 3, "i}", "too many alternatives at 'i' in ${...}");
	expect_fail(METRICS "  - name: r\n    match: x\n    recall: '${b@d}'\n    inc: c_total\n", R + 2, "b@d",
		    "invalid name 'b@d' in ${...}");
	expect_fail(METRICS "  - name: r\n    match: x\n    forget: [a]\n", R + 2, "[", "forget must be a string");
}

Test(rules_load, conditions)
{
	/* the name of an if/unless is a ${...} name: the column is that of the name itself */
	expect_fail(METRICS "  - name: r\n    match: x\n    if: {co-nn: x}\n    inc: c_total\n", R + 2, "co-nn",
		    "invalid name 'co-nn' in ${...}");
	expect_fail(METRICS "  - name: r\n    match: x\n    unless: {conn: '${'}\n    inc: c_total\n", R + 2, "${",
		    "unterminated ${ in '${'");
	expect_fail(METRICS "  - name: r\n    match: x\n    if: [conn]\n    inc: c_total\n", R + 2, "[",
		    "if must be a mapping of name: value");
}

Test(rules_load, remember_misuse)
{
	expect_fail(METRICS "  - name: r\n    match: x\n    remember: {labels: [conn]}\n", R + 2, "{",
		    "remember needs a key");
	expect_fail(METRICS "  - name: r\n    match: x\n    remember: {key: k, labels: [b-ad]}\n", R + 2, "b-ad",
		    "invalid label name 'b-ad'");
	expect_fail(METRICS "  - name: r\n    match: x\n    remember: {key: k, labels: conn}\n", R + 2, "conn}",
		    "remember labels must be a list of names or a mapping");
	expect_fail(METRICS "  - name: r\n    match: x\n    remember: k\n", R + 2, "k",
		    "remember must be a mapping with key and labels");
	expect_fail(METRICS "  - name: r\n    match: x\n    remember: {key: k, labels: [a, b, c, d, e, f, g, h, i]}\n",
		    R + 2, "i]", "remember keeps at most 8 labels");
}

Test(rules_load, examples)
{
#define E(ex) METRICS "  - name: r\n    match: '^x (?<conn>\\w+)'\n    inc: c_total\n    examples:\n      - " ex "\n"
	expect_fail(E("{line: x a}"), R + 4, "{",
		    "an example needs expect (use {} when the line must cause no update)");
	expect_fail(E("{expect: {}}"), R + 4, "{", "an example needs a line or fields");
	expect_fail(E("{line: x a, fields: {MESSAGE: x a}, expect: {}}"), R + 4, "{",
		    "an example has a line or fields, not both");
	expect_fail(E("{line: x a, expect: {nope: {}}}"), R + 4, "nope", "metric 'nope' is not declared");
	expect_fail(E("{line: x a, expect: {c_total: {peer: a}}}"), R + 4, "peer", "metric 'c_total' has no label 'peer'");
	expect_fail(E("{line: x a, expect: {c_total: [{conn: a}, {peer: a}]}}"), R + 4, "peer",
		    "metric 'c_total' has no label 'peer'");
	expect_fail(E("{line: x a, expect: {c_total: {conn: [a]}}}"), R + 4, "[a]",
		    "expected label values must be strings");
	expect_fail(E("{line: x a, expect: [c_total]}"), R + 4, "[c",
		    "expect must be a mapping of metric: labels (or {} for none)");
	expect_fail(E("{fields: [MESSAGE], expect: {}}"), R + 4, "[M", "fields must be a mapping of journal field: value");
	expect_fail(E("{line: [x], expect: {}}"), R + 4, "[x", "line must be a string");
	expect_fail(METRICS "  - name: r\n    match: x\n    inc: c_total\n    examples: {line: x}\n", R + 3, "{",
		    "examples must be a list");
#undef E
}

/* ---- successful loads ---- */

Test(rules_load, directory_in_name_order)
{
	/* written in the opposite order, so readdir order cannot pass by luck */
	put("20-second.yml", "programs: [sshd]\n"
			     "rules:\n"
			     "  - name: second\n"
			     "    match: y\n"
			     "    inc: first_total\n");
	put("10-first.yaml", "metrics:\n"
			     "  first_total: {type: counter}\n"
			     "rules:\n"
			     "  - name: first\n"
			     "    match: x\n"
			     "    inc: first_total\n");
	put("notes.txt", "not: [yaml\n");
	put(".swap.yaml", "not: [yaml\n");
	put("30-empty.yaml", "");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = load_ok(scratch, reg);
	cr_assert_eq(swl_rules_count(rs), 2);
	cr_assert_str_eq(rs->rules[0].name, "first");
	cr_assert_str_eq(rs->rules[1].name, "second");
	cr_assert_eq(rs->npaths, 3);
	char want[128];
	snprintf(want, sizeof(want), "%s/10-first.yaml", scratch);
	cr_assert_str_eq(rs->paths[0], want);
	cr_assert_str_eq(rs->rules[0].path, want);
	snprintf(want, sizeof(want), "%s/20-second.yml", scratch);
	cr_assert_str_eq(rs->rules[1].path, want);
	cr_assert_eq(rs->rules[1].line, 3);
	cr_assert_eq(rs->rules[1].col, 5);
	/* the file-level programs of 20-second do not leak into 10-first */
	cr_assert_eq(rs->rules[0].nprograms, 0);
	cr_assert_eq(rs->rules[1].nprograms, 1);
	cr_assert_str_eq(rs->rules[1].programs[0], "sshd");
	/* declared: the dropped counter, the metric, the two self-metrics */
	cr_assert_eq(reg->nfamilies, 4);
	cr_assert_not_null(swl_registry_find(reg, "first_total"));
	cr_assert_not_null(swl_registry_find(reg, "swanlog_rule_matches_total"));
	cr_assert_not_null(swl_registry_find(reg, "swanlog_rule_errors_total"));
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	assert_no_leaks();
}

Test(rules_load, file_level_programs_default)
{
	const char *path = put("r.yaml", "programs: [charon, charon-systemd]\n"
					 "limits: {context_entries: 5, context_age: 60}\n"
					 "metrics:\n"
					 "  m_total: {type: counter}\n"
					 "rules:\n"
					 "  - name: inherits\n"
					 "    match: x\n"
					 "    inc: m_total\n"
					 "  - name: own\n"
					 "    programs: kernel\n"
					 "    match: x\n"
					 "    inc: m_total\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = load_ok(path, reg);
	cr_assert_eq(rs->rules[0].nprograms, 2);
	cr_assert_str_eq(rs->rules[0].programs[0], "charon");
	cr_assert_str_eq(rs->rules[0].programs[1], "charon-systemd");
	cr_assert_eq(rs->rules[1].nprograms, 1);
	cr_assert_str_eq(rs->rules[1].programs[0], "kernel");
	cr_assert_eq(swl_rules_context_entries(rs), 5);
	cr_assert_eq(swl_rules_context_age_us(rs), 60 * 1000000LL);
	/* dispatch: charon, charon-systemd, kernel, then the catch-all (no rule without programs) */
	cr_assert_eq(rs->ndispatch, 4);
	cr_assert_null(rs->dispatch[3].program);
	cr_assert_eq(rs->dispatch[3].nrules, 0);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	assert_no_leaks();
}

Test(rules_load, failed_reload_keeps_families)
{
	const char *path = put("r.yaml", METRICS "  - name: r\n    match: x\n    inc: c_total\n");
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = load_ok(path, reg);
	size_t n = reg->nfamilies;
	struct swl_family *c = swl_registry_find(reg, "c_total");
	/* the same metric redeclared incompatibly, then an error later on: nothing may change */
	put("r.yaml", "metrics:\n  c_total: {type: gauge}\nrules:\n  - name: r\n    match: x(\n    inc: c_total\n");
	struct swl_ruleset *rs2 = (struct swl_ruleset *)1;
	struct swl_err err;
	cr_assert_lt(swl_rules_load(path, reg, &rs2, &err), 0);
	cr_assert_null(rs2);
	cr_assert_eq(reg->nfamilies, n);
	cr_assert_eq(swl_registry_find(reg, "c_total"), c);
	cr_assert_not(c->retired);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	assert_no_leaks();
}

Test(rules_load, shipped_rules_load)
{
	struct swl_registry *reg = swl_registry_create(0);
	struct swl_ruleset *rs = load_ok(SWL_SOURCE_DIR "/rules", reg);
	cr_assert_gt(swl_rules_count(rs), 10);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	assert_no_leaks();
}
