/* test_rules.c - what rules do to events: dispatch, templates, context memory, conditions,
 * updates of every kind, live keys, limits, and the examples runner. Events come from real
 * log lines through swl_parse_line (classic times pinned to 2026, TZ=UTC). */
#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "parse_syslog.h"
#include "pipeline.h"
#include "rules_int.h"
#define SWL_SCRATCH_TAG "rules"
#include "scratch.h"

/* 2026-11-29 17:51:52 UTC */
#define T0 1795974712LL

static char path[128];
static struct swl_registry *reg;
static struct swl_ruleset *rs;
static struct swl_matcher *matcher;
static struct swl_context *ctx;

static void setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	scratch_init();
	snprintf(path, sizeof(path), "%s/r.yaml", scratch);
}

static void teardown(void)
{
	swl_context_destroy(ctx);
	swl_matcher_destroy(matcher);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	ctx = NULL;
	matcher = NULL;
	rs = NULL;
	reg = NULL;
	scratch_fini();
}

/* Free everything, then under ASan check that nothing allocated is unreachable. (A leak report
 * at exit, or an assertion in .fini, does not fail a criterion test.) */
static void done(void)
{
	swl_context_destroy(ctx);
	swl_matcher_destroy(matcher);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	ctx = NULL;
	matcher = NULL;
	rs = NULL;
	reg = NULL;
#ifdef __SANITIZE_ADDRESS__
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked: see the report above");
#endif
}

TestSuite(rules, .init = setup, .fini = teardown);

/* Load yaml as the ruleset, with a context sized as the ruleset asks (default 100 entries);
 * host_label: as --host-label does, every rules metric gets a first label "host". */
static void load_labelled(const char *yaml, bool host_label)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert(fputs(yaml, f) >= 0);
	cr_assert_eq(fclose(f), 0);
	reg = swl_registry_create(0);
	reg->host_label = host_label;
	struct swl_err err = { "" };
	int rc = swl_rules_load(path, reg, &rs, &err);
	cr_assert_eq(rc, 0, "load: %s", err.msg);
	matcher = swl_matcher_create(rs);
	size_t n = swl_rules_context_entries(rs);
	ctx = swl_context_create(n ? n : 100, swl_rules_context_age_us(rs));
}

static void load(const char *yaml)
{
	load_labelled(yaml, false);
}

static void feed(const char *line)
{
	struct swl_parser ps;
	struct swl_event ev;
	swl_parser_init(&ps, 2026, 0);
	swl_parse_line(&ps, line, strlen(line), &ev);
	swl_rules_apply(matcher, ctx, &ev);
}

/* The series of metric with exactly these label values (one per label), or NULL; never creates. */
static struct swl_series *find(const char *metric, ...)
{
	struct swl_family *f = swl_registry_find(reg, metric);
	cr_assert_not_null(f, "no metric %s", metric);
	const char *want[SWL_MAX_LABELS];
	va_list ap;
	va_start(ap, metric);
	for (size_t i = 0; i < f->nlabels; i++)
		want[i] = va_arg(ap, const char *);
	va_end(ap);
	for (size_t s = 0; s < f->nseries; s++) {
		size_t i = 0;
		while (i < f->nlabels && strcmp(f->series[s]->values[i], want[i]) == 0)
			i++;
		if (i == f->nlabels)
			return f->series[s];
	}
	return NULL;
}

#define assert_value(want, metric, ...)                                                                     \
	do {                                                                                                 \
		struct swl_series *s_ = find(metric, ##__VA_ARGS__);                                           \
		cr_assert_not_null(s_, "%s{%s}: no such series", metric, #__VA_ARGS__);                      \
		cr_assert(s_->value == (want), "%s{%s} = %g, want %g", metric, #__VA_ARGS__, s_->value,      \
			  (double)(want));                                                                   \
	} while (0)
#define assert_absent(metric, ...) \
	cr_assert_null(find(metric, ##__VA_ARGS__), "%s{%s} exists", metric, #__VA_ARGS__)

static size_t nseries(const char *metric)
{
	struct swl_family *f = swl_registry_find(reg, metric);
	cr_assert_not_null(f);
	return f->nseries;
}

/* ---- dispatch ---- */

Test(rules, program_dispatch)
{
	load("metrics:\n"
	     "  seen_total: {type: counter, labels: [by]}\n"
	     "rules:\n"
	     "  - name: charon_only\n"
	     "    programs: [charon]\n"
	     "    match: ''\n"
	     "    inc: seen_total\n"
	     "    labels: {by: charon}\n"
	     "  - name: sshd_only\n"
	     "    programs: sshd\n"
	     "    match: ''\n"
	     "    inc: seen_total\n"
	     "    labels: {by: sshd}\n"
	     "  - name: everyone\n"
	     "    match: ''\n"
	     "    inc: seen_total\n"
	     "    labels: {by: all}\n");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] <home|1> initiating IKE_SA home[1] to 192.0.2.1");
	assert_value(1, "seen_total", "charon");
	assert_value(1, "seen_total", "all");
	assert_absent("seen_total", "sshd");
	feed("Nov 29 17:51:53 moon sshd[812]: Accepted publickey for root");
	assert_value(1, "seen_total", "charon");
	assert_value(1, "seen_total", "sshd");
	assert_value(2, "seen_total", "all");
	/* no recognisable header: no program, seen only by rules without a filter */
	feed("<<< not a syslog line >>>");
	feed("");
	assert_value(1, "seen_total", "charon");
	assert_value(1, "seen_total", "sshd");
	assert_value(4, "seen_total", "all");
	assert_value(1, "swanlog_rule_matches_total", "charon_only");
	assert_value(4, "swanlog_rule_matches_total", "everyone");
	assert_value(0, "swanlog_rule_errors_total", "everyone");
	done();
}

/* ---- templates ---- */

Test(rules, captures_builtins_fields_and_defaults)
{
	load("metrics:\n"
	     "  m_total: {type: counter, labels: [conn, who, host, prog, pid, sa, uid]}\n"
	     "rules:\n"
	     "  - name: r\n"
	     "    match: '^(?:conn (?<conn>\\S+)|peer (?<peer>\\S+)|nobody)'\n"
	     "    inc: m_total\n"
	     "    labels: {who: '${conn|peer:-no one}', prog: '${program}', sa: '${IKE_SA_NAME}',\n"
	     "             uid: 'u${IKE_SA_UNIQUE_ID}'}\n");
	feed("Nov 29 17:51:52 moon charon[1234]: 09[IKE] <home|7> conn office");
	assert_value(1, "m_total", "office", "office", "moon", "charon", "1234", "home", "u7");
	feed("Nov 29 17:51:52 moon charon-systemd[99]: 09[IKE] peer 192.0.2.1");
	assert_value(1, "m_total", "", "192.0.2.1", "moon", "charon-systemd", "99", "", "u");
	feed("Nov 29 17:51:52 sun charon: nobody");
	assert_value(1, "m_total", "", "no one", "sun", "charon", "", "", "u");
	cr_assert_eq(nseries("m_total"), 3);
	done();
}

Test(rules, empty_capture_falls_through)
{
	/* "the first of these that is non-empty": a capture that matched nothing is not a value */
	load("metrics:\n"
	     "  m_total: {type: counter, labels: [sa, h]}\n"
	     "rules:\n"
	     "  - name: r\n"
	     "    match: '^x(?<IKE_SA_NAME>\\d*)(?<host>\\d*)'\n"
	     "    inc: m_total\n"
	     "    labels: {sa: '${IKE_SA_NAME}', h: '${host}'}\n");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] <home|7> x");
	assert_value(1, "m_total", "home", "moon");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] <home|7> x4");
	assert_value(1, "m_total", "4", "moon");
	done();
}

/* A field is looked up once per event and shared by every ref to its name: the next event
 * must see its own fields, and a capture of the same name still comes first. */
Test(rules, field_refs_are_per_event_and_captures_come_first)
{
	load("metrics:\n"
	     "  a_total: {type: counter, labels: [sa, pid]}\n"
	     "  b_total: {type: counter, labels: [sa, uid]}\n"
	     "rules:\n"
	     "  - name: captured\n"
	     "    match: '^x(?<IKE_SA_NAME>\\d*)'\n"
	     "    inc: a_total\n"
	     "    labels: {sa: '${IKE_SA_NAME:-none}', pid: '${pid}'}\n"
	     "  - name: field\n"
	     "    match: '^x'\n"
	     "    inc: b_total\n"
	     "    labels: {sa: '${IKE_SA_NAME:-none}', uid: '${IKE_SA_UNIQUE_ID}|${pid}'}\n");
	feed("Nov 29 17:51:52 moon charon[10]: 09[IKE] <home|7> x");
	assert_value(1, "a_total", "home", "10");
	assert_value(1, "b_total", "home", "7|10");
	feed("Nov 29 17:51:52 moon charon[11]: 09[IKE] <office|8> x5");
	assert_value(1, "a_total", "5", "11");
	assert_value(1, "b_total", "office", "8|11");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] x");
	assert_value(1, "a_total", "none", "");
	assert_value(1, "b_total", "none", "|");
	feed("Nov 29 17:51:52 moon charon[10]: 09[IKE] <home|7> x");
	assert_value(2, "a_total", "home", "10");
	assert_value(2, "b_total", "home", "7|10");
	done();
}

/* A recalled label is the last source: a field of the same name shadows it, on the events
 * that carry the field only. */
Test(rules, recalled_label_shadowed_by_a_field)
{
	load("metrics:\n"
	     "  r_total: {type: counter, labels: [sa]}\n"
	     "rules:\n"
	     "  - name: learn\n"
	     "    match: '^learn (?<k>\\S+) (?<v>\\S+)'\n"
	     "    remember: {key: '${k}', labels: {IKE_SA_NAME: '${v}'}}\n"
	     "  - name: use\n"
	     "    match: '^use (?<k>\\S+)'\n"
	     "    recall: '${k}'\n"
	     "    inc: r_total\n"
	     "    labels: {sa: '${IKE_SA_NAME}'}\n");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] learn k1 remembered");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] <home|7> use k1");
	assert_value(1, "r_total", "home");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] use k1");
	assert_value(1, "r_total", "remembered");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] <home|7> use k2");
	assert_value(2, "r_total", "home");
	feed("Nov 29 17:51:52 moon charon: 09[IKE] use k2");
	assert_value(1, "r_total", "");
	done();
}

/* Every ${...} name gets one index in the ruleset, whatever the rule or template. */
Test(rules, template_names_are_interned)
{
	load("metrics:\n"
	     "  m_total: {type: counter, labels: [a, b]}\n"
	     "rules:\n"
	     "  - name: r1\n"
	     "    match: '^x'\n"
	     "    inc: m_total\n"
	     "    labels: {a: '${host|program}', b: '${program}'}\n"
	     "  - name: r2\n"
	     "    match: '^y'\n"
	     "    inc: m_total\n"
	     "    labels: {a: '${program}-${host}'}\n");
	const struct swl_tpl *t1 = &rs->rules[0].updates[0].labels[0], *t2 = &rs->rules[1].updates[0].labels[0];
	size_t host = t1->parts[0].alts[0].name_id, program = t1->parts[0].alts[1].name_id;
	cr_expect_neq(host, program);
	cr_expect_eq(rs->rules[0].updates[0].labels[1].parts[0].alts[0].name_id, program);
	cr_expect_eq(t2->parts[0].alts[0].name_id, program);
	cr_expect_eq(t2->parts[2].alts[0].name_id, host);
	cr_expect_eq(strcmp(rs->names[host], "host"), 0);
	cr_expect_eq(strcmp(rs->names[program], "program"), 0);
	done();
}

Test(rules, journal_fields_and_message_less_entries)
{
	load("metrics:\n"
	     "  m_total: {type: counter, labels: [unit, sa]}\n"
	     "rules:\n"
	     "  - name: r\n"
	     "    match: ''\n"
	     "    inc: m_total\n"
	     "    labels: {unit: '${_SYSTEMD_UNIT}', sa: '${IKE_SA_NAME}'}\n");
	struct swl_event ev = { .time_us = T0 * 1000000, .pid = -1 };
	ev.program = swl_str_c("charon-systemd");
	ev.msg = swl_str_c("09[IKE] <home|3> IKE_SA home[3] established");
	swl_event_add_field(&ev, "_SYSTEMD_UNIT", swl_str_c("strongswan.service"));
	swl_parse_charon_prefix(&ev);
	swl_rules_apply(matcher, ctx, &ev);
	assert_value(1, "m_total", "strongswan.service", "home");
	/* a journal entry without MESSAGE: an empty message, not an error */
	struct swl_event bare = { .time_us = T0 * 1000000, .pid = -1 };
	bare.program = swl_str_c("charon-systemd");
	swl_rules_apply(matcher, ctx, &bare);
	assert_value(1, "m_total", "", "");
	assert_value(0, "swanlog_rule_errors_total", "r");
	assert_value(2, "swanlog_rule_matches_total", "r");
	done();
}

/* ---- context memory ---- */

#define MEMORY_RULES                                                          \
	"metrics:\n"                                                          \
	"  r_total: {type: counter, labels: [conn, peer]}\n"                  \
	"rules:\n"                                                            \
	"  - name: learn\n"                                                   \
	"    match: '^up (?<uid>\\d+) (?<conn>\\S+)(?: (?<peer>\\S+))?'\n"    \
	"    remember: {key: '${host}|${uid}', labels: [conn, peer]}\n"       \
	"  - name: use\n"                                                     \
	"    match: '^retransmit (?<uid>\\S+)'\n"                             \
	"    recall: '${host}|${uid}'\n"                                      \
	"    inc: r_total\n"                                                  \
	"  - name: drop\n"                                                    \
	"    match: '^forget (?<k>\\S+)'\n"                                   \
	"    forget: '${k}'\n"                                                \
	"  - name: drop_all\n"                                                \
	"    match: '^amnesia'\n"                                             \
	"    forget: all\n"

Test(rules, recall_remember_forget)
{
	load(MEMORY_RULES);
	feed("Nov 29 17:51:52 moon charon: up 3 home 192.0.2.1");
	feed("Nov 29 17:51:52 moon charon: up 4 office");
	feed("Nov 29 17:51:53 moon charon: retransmit 3");
	assert_value(1, "r_total", "home", "192.0.2.1");
	feed("Nov 29 17:51:53 sun charon: retransmit 3"); /* another host: another SA */
	assert_value(1, "r_total", "", "");
	/* remembering again overwrites one label and keeps the other */
	feed("Nov 29 17:51:54 moon charon: up 3 home2");
	feed("Nov 29 17:51:54 moon charon: retransmit 3");
	assert_value(1, "r_total", "home2", "");
	/* keys are paths: forgetting "moo" forgets nothing, "moon" forgets moon|3 and moon|4 */
	feed("Nov 29 17:51:55 moon charon: forget moo");
	cr_assert_eq(swl_context_size(ctx), 2);
	feed("Nov 29 17:51:55 moon charon: forget moon|4");
	cr_assert_eq(swl_context_size(ctx), 1);
	feed("Nov 29 17:51:55 moon charon: forget moon");
	cr_assert_eq(swl_context_size(ctx), 0);
	feed("Nov 29 17:51:56 moon charon: retransmit 3");
	assert_value(2, "r_total", "", "");
	feed("Nov 29 17:51:57 moon charon: up 5 x");
	feed("Nov 29 17:51:57 sun charon: up 5 y");
	feed("Nov 29 17:51:57 sun charon: amnesia");
	cr_assert_eq(swl_context_size(ctx), 0);
	done();
}

Test(rules, remember_under_several_keys_sees_the_recalled_labels)
{
	load("metrics:\n"
	     "  r_total: {type: counter, labels: [conn]}\n"
	     "rules:\n"
	     "  - name: learn\n"
	     "    match: '^up (?<uid>\\d+) (?<conn>\\S+)'\n"
	     "    remember: {key: '${host}|${uid}', labels: [conn]}\n"
	     "  - name: copy\n"
	     "    match: '^rekey (?<uid>\\d+) (?<new>\\d+)'\n"
	     "    recall: '${host}|${uid}'\n"
	     "    remember:\n"
	     "      - {key: '${host}|${new}', labels: [conn]}\n"
	     "      - {key: '${host}|${new}x', labels: {conn: '${conn}'}}\n"
	     "  - name: use\n"
	     "    match: '^retransmit (?<uid>\\S+)'\n"
	     "    recall: '${host}|${uid}'\n"
	     "    inc: r_total\n");
	feed("Nov 29 17:51:52 moon charon: up 3 home");
	feed("Nov 29 17:51:53 moon charon: rekey 3 4");
	feed("Nov 29 17:51:54 moon charon: retransmit 4");
	feed("Nov 29 17:51:54 moon charon: retransmit 4x");
	assert_value(2, "r_total", "home");
	assert_absent("r_total", "");
	done();
}

Test(rules, context_bounds_lru_and_age)
{
	load("limits: {context_entries: 2, context_age: 60}\n" MEMORY_RULES);
	feed("Nov 29 17:51:00 moon charon: up 1 a");
	feed("Nov 29 17:51:01 moon charon: up 2 b");
	feed("Nov 29 17:51:02 moon charon: retransmit 1"); /* 1 is now the most recently used */
	feed("Nov 29 17:51:03 moon charon: up 3 c");       /* evicts 2 */
	cr_assert_eq(swl_context_size(ctx), 2);
	cr_assert_eq(swl_context_evictions(ctx), 1);
	feed("Nov 29 17:51:04 moon charon: retransmit 2");
	feed("Nov 29 17:51:04 moon charon: retransmit 3");
	assert_value(1, "r_total", "a", "");
	assert_value(1, "r_total", "", "");
	assert_value(1, "r_total", "c", "");
	/* age in log time: 3 was remembered at :03, 60 s later it is still there, 61 s later not */
	feed("Nov 29 17:52:03 moon charon: retransmit 3");
	assert_value(2, "r_total", "c", "");
	feed("Nov 29 17:52:04 moon charon: retransmit 3");
	assert_value(2, "r_total", "", "");
	/* an expired entry remembered again does not bring back its stale labels */
	feed("Nov 29 17:53:00 moon charon: up 9 x 198.51.100.1");
	feed("Nov 29 17:55:00 moon charon: up 9 y");
	feed("Nov 29 17:55:00 moon charon: retransmit 9");
	assert_value(1, "r_total", "y", "");
	done();
}

/* ---- conditions ---- */

Test(rules, if_and_unless)
{
	load("metrics:\n"
	     "  c_total: {type: counter, labels: [x]}\n"
	     "rules:\n"
	     "  - name: cond\n"
	     "    match: '^dir (?<dir>\\S+) (?<x>\\S+)'\n"
	     "    if: {dir: in, host: moon}\n"
	     "    unless: {x: skip, program: kernel}\n"
	     "    inc: c_total\n");
	feed("Nov 29 17:51:52 moon charon: dir in a");
	feed("Nov 29 17:51:52 moon charon: dir out b");  /* if fails */
	feed("Nov 29 17:51:52 sun charon: dir in c");    /* if fails on host */
	feed("Nov 29 17:51:52 moon charon: dir in skip"); /* unless holds */
	feed("Nov 29 17:51:52 moon kernel: dir in d");   /* unless holds on program */
	assert_value(1, "c_total", "a");
	cr_assert_eq(nseries("c_total"), 1);
	/* a line stopped by a condition is not a match */
	assert_value(1, "swanlog_rule_matches_total", "cond");
	done();
}

/* ---- updates ---- */

Test(rules, inc_by_captured_number)
{
	load("metrics:\n"
	     "  c_total: {type: counter}\n"
	     "  g: {type: gauge}\n"
	     "rules:\n"
	     "  - name: add\n"
	     "    match: '^add (?<n>\\S*)'\n"
	     "    updates:\n"
	     "      - {inc: c_total, by: '${n}'}\n"
	     "      - {dec: g, by: '${n}'}\n");
	feed("Nov 29 17:51:52 moon charon: add 2.5");
	feed("Nov 29 17:51:52 moon charon: add 3");
	assert_value(5.5, "c_total");
	assert_value(-5.5, "g");
	assert_value(0, "swanlog_rule_errors_total", "add");
	feed("Nov 29 17:51:53 moon charon: add abc");
	feed("Nov 29 17:51:53 moon charon: add  empty");
	feed("Nov 29 17:51:53 moon charon: add inf");
	feed("Nov 29 17:51:53 moon charon: add 1e999");
	assert_value(5.5, "c_total");
	assert_value(-5.5, "g");
	assert_value(4, "swanlog_rule_errors_total", "add");
	assert_value(6, "swanlog_rule_matches_total", "add");
	/* a negative step is refused by a counter but not by a gauge */
	feed("Nov 29 17:51:54 moon charon: add -1");
	assert_value(5.5, "c_total");
	assert_value(-4.5, "g");
	done();
}

Test(rules, set_time_and_observe)
{
	load("metrics:\n"
	     "  last_seen: {type: gauge, labels: [host]}\n"
	     "  level: {type: gauge}\n"
	     "  took: {type: histogram, buckets: [1, 5]}\n"
	     "rules:\n"
	     "  - name: seen\n"
	     "    match: '^took (?<n>\\S+)'\n"
	     "    updates:\n"
	     "      - {set: last_seen, value: time}\n"
	     "      - {set: level, value: '${n}'}\n"
	     "      - {observe: took, value: '${n}'}\n");
	feed("Nov 29 17:51:52 moon charon: took 0.5");
	feed("Nov 29 17:51:53 moon charon: took 3");
	feed("2026-11-29T17:51:54.250000+00:00 sun charon: took 7");
	assert_value((double)T0 + 1, "last_seen", "moon");
	assert_value((double)T0 + 2.25, "last_seen", "sun");
	assert_value(7, "level");
	struct swl_series *h = find("took");
	cr_assert_eq(h->count, 3);
	cr_assert_eq(h->sum, 10.5);
	cr_assert_eq(h->buckets[0], 1);
	cr_assert_eq(h->buckets[1], 1);
	cr_assert_eq(h->buckets[2], 1);
	cr_assert_eq(h->updated_us, (T0 + 2) * 1000000 + 250000);
	/* charon's file logger without time_format: no time, so `time` is not a number */
	feed("09[IKE] took 1");
	assert_value(1, "swanlog_rule_errors_total", "seen");
	assert_value(1, "level"); /* the other updates of the rule still apply */
	done();
}

#define LIVE_RULES                                                                          \
	"metrics:\n"                                                                        \
	"  sa_up: {type: gauge, labels: [conn]}\n"                                          \
	"  child_up: {type: gauge, labels: [conn]}\n"                                       \
	"  sa_down_total: {type: counter, labels: [conn, reason]}\n"                        \
	"rules:\n"                                                                          \
	"  - name: up\n"                                                                    \
	"    match: '^up (?<uid>\\d+) (?<conn>\\S+)'\n"                                     \
	"    up: sa_up\n"                                                                   \
	"    key: '${host}|${uid}'\n"                                                       \
	"    group: '${host}'\n"                                                            \
	"  - name: down\n"                                                                  \
	"    match: '^down (?<uid>\\d+) (?<reason>\\S+)'\n"                                 \
	"    down: sa_up\n"                                                                 \
	"    key: '${host}|${uid}'\n"                                                       \
	"    count: sa_down_total\n"                                                        \
	"  - name: restart\n"                                                               \
	"    match: '^restart'\n"                                                           \
	"    updates:\n"                                                                    \
	"      - {down: sa_up, group: '${host}', count: sa_down_total,\n"                   \
	"         labels: {reason: restart}}\n"                                             \
	"      - {down: child_up, group: '${host}'}\n"                                      \
	"  - name: child\n"                                                                 \
	"    match: '^child (?<cid>\\d+) of (?<uid>\\d+) (?<conn>\\S+)'\n"                  \
	"    up: child_up\n"                                                                \
	"    key: '${host}|c${cid}'\n"                                                      \
	"    group: '${host}|${uid}'\n"                                                     \
	"  - name: rekey\n"                                                                 \
	"    match: '^rekey (?<old>\\d+) (?<new>\\d+)'\n"                                   \
	"    regroup: child_up\n"                                                           \
	"    group: '${host}|${old}'\n"                                                     \
	"    to: '${host}|${new}'\n"                                                        \
	"  - name: gone\n"                                                                  \
	"    match: '^gone (?<uid>\\d+)'\n"                                                 \
	"    down: child_up\n"                                                              \
	"    group: '${host}|${uid}'\n"                                                     \
	"  - name: reset\n"                                                                 \
	"    match: '^reset'\n"                                                             \
	"    reset: sa_up\n"

Test(rules, up_counts_a_key_once_and_down_never_goes_negative)
{
	load(LIVE_RULES);
	feed("Nov 29 17:51:52 moon charon: up 1 home");
	feed("Nov 29 17:51:53 moon charon: up 1 home");
	assert_value(1, "sa_up", "home");
	feed("Nov 29 17:51:54 moon charon: down 1 deleted");
	assert_value(0, "sa_up", "home");
	assert_value(1, "sa_down_total", "home", "deleted");
	feed("Nov 29 17:51:55 moon charon: down 1 deleted");
	feed("Nov 29 17:51:55 moon charon: down 7 deleted"); /* never up */
	assert_value(0, "sa_up", "home");
	assert_value(1, "sa_down_total", "home", "deleted");
	cr_assert_eq(nseries("sa_down_total"), 1);
	done();
}

Test(rules, make_before_break)
{
	load(LIVE_RULES);
	feed("Nov 29 17:51:52 moon charon: up 1 home");
	assert_value(1, "sa_up", "home");
	feed("Nov 29 17:52:52 moon charon: up 2 home"); /* reauthentication: the new SA first */
	assert_value(2, "sa_up", "home");
	feed("Nov 29 17:52:53 moon charon: down 1 replaced");
	assert_value(1, "sa_up", "home");
	assert_value(1, "sa_down_total", "home", "replaced");
	done();
}

Test(rules, group_down_regroup_and_reset)
{
	load(LIVE_RULES);
	feed("Nov 29 17:51:52 moon charon: up 1 home");
	feed("Nov 29 17:51:52 moon charon: up 2 office");
	feed("Nov 29 17:51:52 sun charon: up 1 home");
	feed("Nov 29 17:51:52 moon charon: child 10 of 1 home");
	feed("Nov 29 17:51:52 moon charon: child 11 of 1 home");
	feed("Nov 29 17:51:52 moon charon: child 12 of 2 office");
	feed("Nov 29 17:51:52 sun charon: child 10 of 1 home");
	assert_value(2, "sa_up", "home");
	assert_value(3, "child_up", "home");
	/* an IKE_SA rekey hands its CHILD_SAs over: going away under the old id does nothing */
	feed("Nov 29 17:51:53 moon charon: rekey 1 3");
	feed("Nov 29 17:51:53 moon charon: gone 1");
	assert_value(3, "child_up", "home");
	feed("Nov 29 17:51:54 moon charon: gone 3");
	assert_value(1, "child_up", "home");
	/* a daemon restart on moon takes down moon's SAs and, by path, their children */
	feed("Nov 29 17:51:55 moon charon: restart");
	assert_value(1, "sa_up", "home");
	assert_value(0, "sa_up", "office");
	assert_value(1, "sa_down_total", "home", "restart");
	assert_value(1, "sa_down_total", "office", "restart");
	assert_value(1, "child_up", "home");
	assert_value(0, "child_up", "office");
	feed("Nov 29 17:51:56 moon charon: restart");
	assert_value(1, "sa_down_total", "home", "restart");
	feed("Nov 29 17:51:57 sun charon: reset");
	assert_value(0, "sa_up", "home");
	cr_assert_eq(swl_context_live_size(ctx), 1); /* sun's child: reset was for sa_up only */
	done();
}

/* --host-label: entries go through the pipeline, as every mode feeds them */
static void feed_through(struct swl_pipeline *p, const char *line)
{
	swl_pipeline_line(p, line, strlen(line), false);
}

Test(rules, host_label_puts_the_entry_host_first)
{
	load_labelled(LIVE_RULES, true);
	struct swl_pipeline p;
	swl_pipeline_init(&p, reg, rs, ctx);
	swl_parser_init(&p.parser, 2026, 0);
	feed_through(&p, "Nov 29 17:51:52 moon charon: up 1 home");
	feed_through(&p, "Nov 29 17:51:52 moon charon: up 2 office");
	feed_through(&p, "Nov 29 17:51:52 sun charon: up 1 home");
	assert_value(1, "sa_up", "moon", "home");
	assert_value(1, "sa_up", "moon", "office");
	assert_value(1, "sa_up", "sun", "home");
	/* down with count: conn from the gauge's series, host from the entry */
	feed_through(&p, "Nov 29 17:51:53 sun charon: down 1 deleted");
	assert_value(0, "sa_up", "sun", "home");
	assert_value(1, "sa_down_total", "sun", "home", "deleted");
	/* a group taken down counts each key with the labels of the series it was live in */
	feed_through(&p, "Nov 29 17:51:54 moon charon: restart");
	assert_value(0, "sa_up", "moon", "home");
	assert_value(1, "sa_down_total", "moon", "home", "restart");
	assert_value(1, "sa_down_total", "moon", "office", "restart");
	cr_assert_eq(nseries("sa_down_total"), 3);
	/* an entry without a host: '${host}|9' names no SA; the self-metrics have no host label */
	feed_through(&p, "Nov 29 17:51:55 09[IKE] <x|9> up 9 x");
	cr_assert_eq(nseries("sa_up"), 3);
	assert_value(4, "swanlog_rule_matches_total", "up");
	assert_value(6, "swanlog_lines_read_total");
	swl_pipeline_fini(&p);
	done();
}

Test(rules, strict_keys)
{
	load(LIVE_RULES);
	/* charon's file logger names no host: "${host}|5" is empty as a whole and does nothing */
	feed("Nov 29 17:51:52 09[IKE] <home|5> up 5 home");
	feed("Nov 29 17:51:52 09[IKE] <home|5> child 10 of 5 home");
	cr_assert_eq(swl_context_live_size(ctx), 0);
	cr_assert_eq(nseries("sa_up"), 0, "an update that did nothing created a series");
	cr_assert_eq(nseries("child_up"), 0, "an update that did nothing created a series");
	feed("Nov 29 17:51:52 moon charon: up 5 home");
	feed("Nov 29 17:51:53 09[IKE] down 5 deleted"); /* "|5" is not "moon|5" */
	feed("Nov 29 17:51:53 09[IKE] restart");        /* an empty group is no group */
	assert_value(1, "sa_up", "home");
	cr_assert_eq(nseries("sa_down_total"), 0);
	assert_value(0, "swanlog_rule_errors_total", "up");
	done();
}

/* ---- limits ---- */

Test(rules, match_limit_is_an_error_not_fatal)
{
	load("metrics:\n"
	     "  c_total: {type: counter, labels: [by]}\n"
	     "rules:\n"
	     "  - name: evil\n"
	     "    match: '^(a+)+$'\n"
	     "    inc: c_total\n"
	     "    labels: {by: evil}\n"
	     "  - name: after\n"
	     "    match: '^a'\n"
	     "    inc: c_total\n"
	     "    labels: {by: after}\n");
	char line[200];
	strcpy(line, "Nov 29 17:51:52 moon charon: ");
	size_t n = strlen(line);
	memset(line + n, 'a', 40);
	strcpy(line + n + 40, "b");
	feed(line);
	assert_value(1, "swanlog_rule_errors_total", "evil");
	assert_value(0, "swanlog_rule_matches_total", "evil");
	assert_absent("c_total", "evil");
	assert_value(1, "c_total", "after");
	/* the rule still works on lines it can decide */
	feed("Nov 29 17:51:52 moon charon: aaaa");
	assert_value(1, "c_total", "evil");
	done();
}

/* ---- examples ---- */

static char *run_examples(int *failures, size_t *n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	cr_assert_not_null(f);
	*failures = swl_rules_run_examples(rs, f, n);
	cr_assert_eq(fclose(f), 0);
	return out;
}

Test(rules, examples_report_failures_with_positions)
{
	load("programs: [charon]\n"
	     "metrics:\n"
	     "  r_total: {type: counter, labels: [conn, peer]}\n"
	     "  other_total: {type: counter}\n"
	     "rules:\n"
	     "  - name: learn\n"
	     "    match: '^up (?<uid>\\d+) (?<conn>\\S+) (?<peer>\\S+)'\n"
	     "    remember: {key: '${host}|${uid}', labels: [conn, peer]}\n"
	     "  - name: retransmit\n"
	     "    match: '^retransmit (?<uid>\\d+)'\n"
	     "    recall: '${host}|${uid}'\n"
	     "    inc: r_total\n"
	     "    examples:\n"
	     "      - line: 'Nov 29 17:51:52 moon charon: retransmit 3'\n"
	     "        after: ['Nov 29 17:51:50 moon charon: up 3 home 192.0.2.1']\n"
	     "        expect: {r_total: {conn: home, peer: 192.0.2.1}}\n"
	     "      - line: 'Nov 29 17:51:52 moon charon: retransmit 3'\n"
	     "        expect: {r_total: {conn: home}}\n"
	     "      - line: 'Nov 29 17:51:52 moon sshd: retransmit 3'\n"
	     "        expect:\n"
	     "          r_total: {}\n"
	     "          other_total: {}\n"
	     "      - fields: {MESSAGE: 'retransmit 3', SYSLOG_IDENTIFIER: charon, _HOSTNAME: moon}\n"
	     "        expect: {r_total: {}}\n"
	     "      - line: 'Nov 29 17:51:52 moon charon: nothing to see'\n"
	     "        expect: {}\n");
	int failures;
	size_t n;
	char *out = run_examples(&failures, &n);
	char want[2048];
	snprintf(want, sizeof(want),
		 "%s:17:9: rule 'retransmit' example 2: unexpected update r_total{conn=\"\",peer=\"\"}\n"
		 "%s:18:27: rule 'retransmit' example 2: expected update r_total{conn=\"home\"} did not happen\n"
		 "%s:21:20: rule 'retransmit' example 3: expected update r_total{} did not happen\n"
		 "%s:22:24: rule 'retransmit' example 3: expected update other_total{} did not happen\n",
		 path, path, path, path);
	cr_assert_str_eq(out, want);
	cr_assert_eq(failures, 2);
	cr_assert_eq(n, 5);
	free(out);
	done();
}

Test(rules, example_fields_are_read_as_the_journal_source_reads_them)
{
	/* program from SYSLOG_IDENTIFIER, or "kernel" for _TRANSPORT=kernel; pid from _PID, else
	 * SYSLOG_PID; host from _HOSTNAME: as source_journal.c does, or examples would lie */
	load("metrics:\n"
	     "  k_total: {type: counter, labels: [host, pid]}\n"
	     "rules:\n"
	     "  - name: kernel\n"
	     "    programs: [kernel]\n"
	     "    match: '^XFRM'\n"
	     "    inc: k_total\n"
	     "    examples:\n"
	     "      - fields: {MESSAGE: XFRM state, _TRANSPORT: kernel, _HOSTNAME: moon}\n"
	     "        expect: {k_total: {host: moon}}\n"
	     "      - fields: {MESSAGE: XFRM state, SYSLOG_IDENTIFIER: kernel, SYSLOG_PID: '12'}\n"
	     "        expect: {k_total: {pid: '12'}}\n"
	     "      - fields: {MESSAGE: XFRM state, SYSLOG_IDENTIFIER: kernel, _PID: '7', SYSLOG_PID: '12'}\n"
	     "        expect: {k_total: {pid: '7'}}\n"
	     "      - fields: {MESSAGE: XFRM state, SYSLOG_IDENTIFIER: charon, _TRANSPORT: kernel}\n"
	     "        expect: {}\n");
	int failures;
	size_t n;
	char *out = run_examples(&failures, &n);
	cr_assert_str_eq(out, "");
	cr_assert_eq(failures, 0);
	cr_assert_eq(n, 4);
	free(out);
	done();
}

Test(rules, examples_run_on_a_fresh_context)
{
	load("metrics:\n"
	     "  sa_up: {type: gauge, labels: [conn]}\n"
	     "rules:\n"
	     "  - name: up\n"
	     "    match: '^up (?<uid>\\d+) (?<conn>\\S+)'\n"
	     "    up: sa_up\n"
	     "    key: '${host}|${uid}'\n"
	     "    examples:\n"
	     "      - line: 'Nov 29 17:51:52 moon charon: up 1 home'\n"
	     "        expect: {sa_up: {conn: home}}\n"
	     "      - line: 'Nov 29 17:51:52 moon charon: up 1 home'\n"
	     "        expect: {sa_up: {conn: home}}\n"
	     "      - line: 'Nov 29 17:51:52 moon charon: up 1 home'\n"
	     "        after: ['Nov 29 17:51:51 moon charon: up 1 home']\n"
	     "        expect: {}\n"
	     "      - line: 'Nov 29 17:51:52 charon: up 1 home'\n"
	     "        expect: {}\n"
	     /* live already under another conn: a series may appear, but nothing changes */
	     "      - line: 'Nov 29 17:51:52 moon charon: up 1 office'\n"
	     "        after: ['Nov 29 17:51:51 moon charon: up 1 home']\n"
	     "        expect: {}\n");
	int failures;
	size_t n;
	char *out = run_examples(&failures, &n);
	cr_assert_str_eq(out, "");
	cr_assert_eq(failures, 0);
	cr_assert_eq(n, 5);
	free(out);
	done();
}
