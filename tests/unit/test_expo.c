/* test_expo.c - Prometheus text and OpenMetrics rendering: whole-output goldens, and promtool
 * as an independent judge of validity. */
#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "expo.h"
#define SWL_SCRATCH_TAG "expo"
#include "scratch.h"

#define DROPPED_PROM                                                                                           \
	"# HELP swanlog_series_dropped_total Updates that went to the overflow series because a metric reached " \
	"its series cap.\n"                                                                                        \
	"# TYPE swanlog_series_dropped_total counter\n"
#define DROPPED_OM                                                                                        \
	"# HELP swanlog_series_dropped Updates that went to the overflow series because a metric reached " \
	"its series cap.\n"                                                                                   \
	"# TYPE swanlog_series_dropped counter\n"

static const char *const conn_peer[] = { "conn", "peer" };
static const char *const conn_only[] = { "conn" };
static const char *const k_only[] = { "k" };

static struct swl_series *get1(struct swl_family *f, const char *a)
{
	struct swl_str v = swl_str_c(a);
	return swl_family_series(f, &v);
}

static struct swl_series *get2(struct swl_family *f, const char *a, const char *b)
{
	struct swl_str v[2] = { swl_str_c(a), swl_str_c(b) };
	return swl_family_series(f, v);
}

/* Render and hand back a NUL-terminated copy the caller frees. */
static char *render(const struct swl_registry *r, enum swl_format fmt, unsigned flags)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	cr_assert_eq(swl_expo_render(r, fmt, flags, &b), 0);
	return swl_buf_steal(&b, NULL);
}

static void expect_render(const struct swl_registry *r, enum swl_format fmt, unsigned flags, const char *want)
{
	char *got = render(r, fmt, flags);
	cr_assert_str_eq(got, want, "rendered:\n%s\nexpected:\n%s", got, want);
	free(got);
}

/* A counter, a gauge and a histogram, each declared and filled out of order. */
static struct swl_registry *sample_registry(void)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *c = swl_registry_family(r, "ipsec_ike_sa_established_total", SWL_COUNTER,
						   "IKE SAs established.", conn_peer, 2, NULL, 0, 0);
	struct swl_family *g = swl_registry_family(r, "ipsec_ike_sa_up", SWL_GAUGE, "IKE SAs up.", conn_only, 1, NULL,
						   0, 0);
	double b[] = { 0.5, 1, 2.5 };
	struct swl_family *h = swl_registry_family(r, "ipsec_ike_handshake_seconds", SWL_HISTOGRAM,
						   "Handshake duration.", conn_only, 1, b, 3, 0);
	swl_series_add(get2(c, "home", "10.0.0.2"), 3, 1795974712137153);
	swl_series_add(get2(c, "home", "10.0.0.1"), 1, 1795974712000001);
	swl_series_set(get1(g, "road"), 2, 1795974713000000);
	swl_series_set(get1(g, "home"), -1.5, 1795974714500000);
	struct swl_series *hs = get1(h, "home");
	swl_series_observe(hs, 0.25, 1795974710000000);
	swl_series_observe(hs, 2, 1795974711000000);
	swl_series_observe(hs, 3, 1795974712250000);
	return r;
}

Test(expo, golden_prometheus)
{
	struct swl_registry *r = sample_registry();
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      "# HELP ipsec_ike_handshake_seconds Handshake duration.\n"
		      "# TYPE ipsec_ike_handshake_seconds histogram\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"0.5\"} 1\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"1\"} 1\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"2.5\"} 2\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"+Inf\"} 3\n"
		      "ipsec_ike_handshake_seconds_sum{conn=\"home\"} 5.25\n"
		      "ipsec_ike_handshake_seconds_count{conn=\"home\"} 3\n"
		      "# HELP ipsec_ike_sa_established_total IKE SAs established.\n"
		      "# TYPE ipsec_ike_sa_established_total counter\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.1\"} 1\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.2\"} 3\n"
		      "# HELP ipsec_ike_sa_up IKE SAs up.\n"
		      "# TYPE ipsec_ike_sa_up gauge\n"
		      "ipsec_ike_sa_up{conn=\"home\"} -1.5\n"
		      "ipsec_ike_sa_up{conn=\"road\"} 2\n" DROPPED_PROM);
	/* the timestamp and history flags are OpenMetrics only */
	expect_render(r, SWL_FORMAT_PROMETHEUS, SWL_EXPO_TIMESTAMPS | SWL_EXPO_HISTORY,
		      "# HELP ipsec_ike_handshake_seconds Handshake duration.\n"
		      "# TYPE ipsec_ike_handshake_seconds histogram\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"0.5\"} 1\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"1\"} 1\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"2.5\"} 2\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"+Inf\"} 3\n"
		      "ipsec_ike_handshake_seconds_sum{conn=\"home\"} 5.25\n"
		      "ipsec_ike_handshake_seconds_count{conn=\"home\"} 3\n"
		      "# HELP ipsec_ike_sa_established_total IKE SAs established.\n"
		      "# TYPE ipsec_ike_sa_established_total counter\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.1\"} 1\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.2\"} 3\n"
		      "# HELP ipsec_ike_sa_up IKE SAs up.\n"
		      "# TYPE ipsec_ike_sa_up gauge\n"
		      "ipsec_ike_sa_up{conn=\"home\"} -1.5\n"
		      "ipsec_ike_sa_up{conn=\"road\"} 2\n" DROPPED_PROM);
	swl_registry_destroy(r);
}

Test(expo, golden_openmetrics)
{
	struct swl_registry *r = sample_registry();
	expect_render(r, SWL_FORMAT_OPENMETRICS, 0,
		      "# HELP ipsec_ike_handshake_seconds Handshake duration.\n"
		      "# TYPE ipsec_ike_handshake_seconds histogram\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"0.5\"} 1\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"1\"} 1\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"2.5\"} 2\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"+Inf\"} 3\n"
		      "ipsec_ike_handshake_seconds_sum{conn=\"home\"} 5.25\n"
		      "ipsec_ike_handshake_seconds_count{conn=\"home\"} 3\n"
		      "# HELP ipsec_ike_sa_established IKE SAs established.\n"
		      "# TYPE ipsec_ike_sa_established counter\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.1\"} 1\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.2\"} 3\n"
		      "# HELP ipsec_ike_sa_up IKE SAs up.\n"
		      "# TYPE ipsec_ike_sa_up gauge\n"
		      "ipsec_ike_sa_up{conn=\"home\"} -1.5\n"
		      "ipsec_ike_sa_up{conn=\"road\"} 2\n" DROPPED_OM "# EOF\n");
	swl_registry_destroy(r);
}

Test(expo, golden_openmetrics_timestamps)
{
	struct swl_registry *r = sample_registry();
	/* a series that exists but never changed has no log time: left out (backfilling refuses a
	 * sample without a timestamp) */
	get2(swl_registry_find(r, "ipsec_ike_sa_established_total"), "road", "10.0.0.9");
	expect_render(r, SWL_FORMAT_OPENMETRICS, SWL_EXPO_TIMESTAMPS,
		      "# HELP ipsec_ike_handshake_seconds Handshake duration.\n"
		      "# TYPE ipsec_ike_handshake_seconds histogram\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"0.5\"} 1 1795974712.250000\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"1\"} 1 1795974712.250000\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"2.5\"} 2 1795974712.250000\n"
		      "ipsec_ike_handshake_seconds_bucket{conn=\"home\",le=\"+Inf\"} 3 1795974712.250000\n"
		      "ipsec_ike_handshake_seconds_sum{conn=\"home\"} 5.25 1795974712.250000\n"
		      "ipsec_ike_handshake_seconds_count{conn=\"home\"} 3 1795974712.250000\n"
		      "# HELP ipsec_ike_sa_established IKE SAs established.\n"
		      "# TYPE ipsec_ike_sa_established counter\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.1\"} 1 1795974712.000001\n"
		      "ipsec_ike_sa_established_total{conn=\"home\",peer=\"10.0.0.2\"} 3 1795974712.137153\n"
		      "# HELP ipsec_ike_sa_up IKE SAs up.\n"
		      "# TYPE ipsec_ike_sa_up gauge\n"
		      "ipsec_ike_sa_up{conn=\"home\"} -1.5 1795974714.500000\n"
		      "ipsec_ike_sa_up{conn=\"road\"} 2 1795974713.000000\n" DROPPED_OM "# EOF\n");
	swl_registry_destroy(r);
}

Test(expo, openmetrics_history)
{
	struct swl_registry *r = swl_registry_create(0);
	r->record_history = true;
	struct swl_family *g = swl_registry_family(r, "g", SWL_GAUGE, "G.", k_only, 1, NULL, 0, 0);
	struct swl_family *c = swl_registry_family(r, "c", SWL_COUNTER, "C.", NULL, 0, NULL, 0, 0);
	double b[] = { 1 };
	struct swl_family *h = swl_registry_family(r, "h", SWL_HISTOGRAM, "H.", NULL, 0, b, 1, 0);
	struct swl_series *sa = get1(g, "a"), *sb = get1(g, "b"), *sc = swl_family_series(c, NULL);
	struct swl_series *sh = swl_family_series(h, NULL);

	swl_series_set(sa, 1, 1000000000100000);
	swl_series_set(sb, 5, 1000000000200000);
	swl_series_add(sc, 2, 1000000000300000);
	swl_series_observe(sh, 0.5, 1000000000400000);
	swl_registry_record(r, 1000000001000000);
	swl_series_set(sa, 2, 1000000001500000);
	swl_series_observe(sh, 2, 1000000001600000);
	swl_registry_record(r, 1000000002000000);
	swl_series_set(sa, 3, 1000000002500000);  /* after the last point: shown with its time */
	swl_series_add(sc, 1, 1000000002600000);
	swl_series_set(get1(g, "c"), 7, 1000000002700000); /* no points yet */
	get1(g, "d");                                      /* never updated, no points */

	/* without a history flag: current values, no timestamps */
	expect_render(r, SWL_FORMAT_OPENMETRICS, 0,
		      "# HELP c C.\n"
		      "# TYPE c counter\n"
		      "c_total 3\n"
		      "# HELP g G.\n"
		      "# TYPE g gauge\n"
		      "g{k=\"a\"} 3\n"
		      "g{k=\"b\"} 5\n"
		      "g{k=\"c\"} 7\n"
		      "g{k=\"d\"} 0\n"
		      "# HELP h H.\n"
		      "# TYPE h histogram\n"
		      "h_bucket{le=\"1\"} 1\n"
		      "h_bucket{le=\"+Inf\"} 2\n"
		      "h_sum 2.5\n"
		      "h_count 2\n" DROPPED_OM "# EOF\n");

	const char *want = "# HELP c C.\n"
			   "# TYPE c counter\n"
			   "c_total 2 1000000001.000000\n"
			   "c_total 2 1000000002.000000\n"
			   "c_total 3 1000000002.600000\n"
			   "# HELP g G.\n"
			   "# TYPE g gauge\n"
			   "g{k=\"a\"} 1 1000000001.000000\n"
			   "g{k=\"a\"} 2 1000000002.000000\n"
			   "g{k=\"a\"} 3 1000000002.500000\n"
			   "g{k=\"b\"} 5 1000000001.000000\n"
			   "g{k=\"b\"} 5 1000000002.000000\n"
			   "g{k=\"c\"} 7 1000000002.700000\n"
			   "# HELP h H.\n"
			   "# TYPE h histogram\n"
			   "h_bucket{le=\"1\"} 1 1000000001.000000\n"
			   "h_bucket{le=\"+Inf\"} 1 1000000001.000000\n"
			   "h_sum 0.5 1000000001.000000\n"
			   "h_count 1 1000000001.000000\n"
			   "h_bucket{le=\"1\"} 1 1000000002.000000\n"
			   "h_bucket{le=\"+Inf\"} 2 1000000002.000000\n"
			   "h_sum 2.5 1000000002.000000\n"
			   "h_count 2 1000000002.000000\n" DROPPED_OM "# EOF\n";
	expect_render(r, SWL_FORMAT_OPENMETRICS, SWL_EXPO_HISTORY, want);
	expect_render(r, SWL_FORMAT_OPENMETRICS, SWL_EXPO_HISTORY | SWL_EXPO_TIMESTAMPS, want);
	swl_registry_destroy(r);
}

Test(expo, escaping_in_labels_and_help)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "esc", SWL_GAUGE, "Back\\slash, \"quotes\" and\nnewline.",
						   k_only, 1, NULL, 0, 0);
	swl_series_set(get1(f, "a\"b\\c\nd},e=\"f\""), 1, 1);
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      "# HELP esc Back\\\\slash, \"quotes\" and\\nnewline.\n"
		      "# TYPE esc gauge\n"
		      "esc{k=\"a\\\"b\\\\c\\nd},e=\\\"f\\\"\"} 1\n" DROPPED_PROM);
	expect_render(r, SWL_FORMAT_OPENMETRICS, 0,
		      "# HELP esc Back\\\\slash, \\\"quotes\\\" and\\nnewline.\n"
		      "# TYPE esc gauge\n"
		      "esc{k=\"a\\\"b\\\\c\\nd},e=\\\"f\\\"\"} 1\n" DROPPED_OM "# EOF\n");
	swl_registry_destroy(r);
}

Test(expo, escape_helpers)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	cr_assert_eq(swl_expo_escape_label(&b, "x\\y\"z\nw\tv"), 0);
	cr_assert_eq(swl_expo_escape_help(&b, "|x\\y\"z\nw|", SWL_FORMAT_PROMETHEUS), 0);
	cr_assert_eq(swl_expo_escape_help(&b, "x\\y\"z\nw", SWL_FORMAT_OPENMETRICS), 0);
	cr_assert_eq(swl_expo_escape_label(&b, ""), 0);
	cr_assert_str_eq(b.p, "x\\\\y\\\"z\\nw\tv|x\\\\y\"z\\nw|x\\\\y\\\"z\\nw");
	swl_buf_fini(&b);
}

Test(expo, sort_order)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *z = swl_registry_family(r, "zeta", SWL_GAUGE, "Z.", NULL, 0, NULL, 0, 0);
	struct swl_family *m = swl_registry_family(r, "mid", SWL_GAUGE, "M.", conn_peer, 2, NULL, 0, 0);
	struct swl_family *a = swl_registry_family(r, "alpha", SWL_GAUGE, "A.", conn_only, 1, NULL, 0, 0);
	swl_series_set(swl_family_series(z, NULL), 1, 1);
	swl_series_set(get2(m, "b", "1"), 5, 1);
	swl_series_set(get2(m, "ab", "a"), 3, 1);
	swl_series_set(get2(m, "a", "z"), 2, 1); /* label by label: "a" < "ab" although "az" > "aba" */
	swl_series_set(get2(m, "b", "0"), 4, 1);
	swl_series_set(get2(m, "", "q"), 1, 1);
	swl_series_set(get1(a, "y"), 2, 1);
	swl_series_set(get1(a, "x"), 1, 1);
	swl_series_set(get1(a, "Y"), 0, 1);
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      "# HELP alpha A.\n"
		      "# TYPE alpha gauge\n"
		      "alpha{conn=\"Y\"} 0\n"
		      "alpha{conn=\"x\"} 1\n"
		      "alpha{conn=\"y\"} 2\n"
		      "# HELP mid M.\n"
		      "# TYPE mid gauge\n"
		      "mid{conn=\"\",peer=\"q\"} 1\n"
		      "mid{conn=\"a\",peer=\"z\"} 2\n"
		      "mid{conn=\"ab\",peer=\"a\"} 3\n"
		      "mid{conn=\"b\",peer=\"0\"} 4\n"
		      "mid{conn=\"b\",peer=\"1\"} 5\n" DROPPED_PROM "# HELP zeta Z.\n"
		      "# TYPE zeta gauge\n"
		      "zeta 1\n");
	swl_registry_destroy(r);
}

Test(expo, empty_family)
{
	struct swl_registry *r = swl_registry_create(0);
	swl_registry_family(r, "ipsec_child_sa_up", SWL_GAUGE, "CHILD SAs up.", conn_only, 1, NULL, 0, 0);
	double b[] = { 1 };
	swl_registry_family(r, "ipsec_rekey_seconds", SWL_HISTOGRAM, "Rekey.", conn_only, 1, b, 1, 0);
	swl_registry_family(r, "ipsec_errors_total", SWL_COUNTER, "", conn_only, 1, NULL, 0, 0);
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      "# HELP ipsec_child_sa_up CHILD SAs up.\n"
		      "# TYPE ipsec_child_sa_up gauge\n"
		      "# HELP ipsec_errors_total \n"
		      "# TYPE ipsec_errors_total counter\n"
		      "# HELP ipsec_rekey_seconds Rekey.\n"
		      "# TYPE ipsec_rekey_seconds histogram\n" DROPPED_PROM);
	expect_render(r, SWL_FORMAT_OPENMETRICS, SWL_EXPO_TIMESTAMPS | SWL_EXPO_HISTORY,
		      "# HELP ipsec_child_sa_up CHILD SAs up.\n"
		      "# TYPE ipsec_child_sa_up gauge\n"
		      "# HELP ipsec_errors \n"
		      "# TYPE ipsec_errors counter\n"
		      "# HELP ipsec_rekey_seconds Rekey.\n"
		      "# TYPE ipsec_rekey_seconds histogram\n" DROPPED_OM "# EOF\n");
	swl_registry_destroy(r);
}

Test(expo, overflow_and_dropped_counter)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "capped", SWL_GAUGE, "Capped.", conn_only, 1, NULL, 0, 1);
	swl_series_set(get1(f, "a"), 1, 1);
	swl_series_set(get1(f, "b"), 2, 2);
	swl_series_add(get1(f, "c"), 0.5, 3);
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      "# HELP capped Capped.\n"
		      "# TYPE capped gauge\n"
		      "capped{conn=\"__overflow__\"} 2.5\n"
		      "capped{conn=\"a\"} 1\n" DROPPED_PROM "swanlog_series_dropped_total{metric=\"capped\"} 2\n");
	swl_registry_destroy(r);
}

Test(expo, values_and_bounds)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *g = swl_registry_family(r, "v", SWL_GAUGE, "V.", k_only, 1, NULL, 0, 0);
	swl_series_set(get1(g, "a"), 0.1, 1);
	swl_series_set(get1(g, "b"), 1e20, 1);
	swl_series_set(get1(g, "c"), INFINITY, 1);
	swl_series_set(get1(g, "d"), -INFINITY, 1);
	swl_series_set(get1(g, "e"), NAN, 1);
	swl_series_set(get1(g, "f"), -7, 1);
	swl_series_set(get1(g, "g"), 123456789012, 1);
	swl_series_set(get1(g, "h"), 1.0 / 3, 1);      /* 16 digits round-trip */
	swl_series_set(get1(g, "i"), 0.1 + 0.2, 1);    /* needs all 17 */
	swl_series_set(get1(g, "j"), 1e15, 1);         /* integral but past the plain-integer range */
	swl_series_set(get1(g, "k"), -2.5e-7, 1);
	double b[] = { -2, 0, 1e-5, 0.0001, 0.001, 0.1, 2.5, 100000, 1e6, 123456789, 1e21 };
	struct swl_family *h = swl_registry_family(r, "w", SWL_HISTOGRAM, "W.", NULL, 0, b, 11, 0);
	swl_series_observe(swl_family_series(h, NULL), 0.1, 1);
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      DROPPED_PROM "# HELP v V.\n"
				   "# TYPE v gauge\n"
				   "v{k=\"a\"} 0.1\n"
				   "v{k=\"b\"} 1e+20\n"
				   "v{k=\"c\"} +Inf\n"
				   "v{k=\"d\"} -Inf\n"
				   "v{k=\"e\"} NaN\n"
				   "v{k=\"f\"} -7\n"
				   "v{k=\"g\"} 123456789012\n"
				   "v{k=\"h\"} 0.3333333333333333\n"
				   "v{k=\"i\"} 0.30000000000000004\n"
				   "v{k=\"j\"} 1e+15\n"
				   "v{k=\"k\"} -2.5e-07\n"
				   "# HELP w W.\n"
				   "# TYPE w histogram\n"
				   "w_bucket{le=\"-2\"} 0\n"
				   "w_bucket{le=\"0\"} 0\n"
				   "w_bucket{le=\"1e-05\"} 0\n"
				   "w_bucket{le=\"0.0001\"} 0\n"
				   "w_bucket{le=\"0.001\"} 0\n"
				   "w_bucket{le=\"0.1\"} 1\n"
				   "w_bucket{le=\"2.5\"} 1\n"
				   "w_bucket{le=\"100000\"} 1\n"
				   "w_bucket{le=\"1e+06\"} 1\n"
				   "w_bucket{le=\"1.23456789e+08\"} 1\n"
				   "w_bucket{le=\"1e+21\"} 1\n"
				   "w_bucket{le=\"+Inf\"} 1\n"
				   "w_sum 0.1\n"
				   "w_count 1\n");
	swl_registry_destroy(r);
}

Test(expo, retired_family_not_rendered)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *old = swl_registry_family(r, "x", SWL_GAUGE, "Old.", k_only, 1, NULL, 0, 0);
	swl_series_set(get1(old, "a"), 1, 1);
	struct swl_family *nu = swl_registry_family(r, "x", SWL_COUNTER, "New.", k_only, 1, NULL, 0, 0);
	swl_series_add(get1(nu, "b"), 2, 1);
	expect_render(r, SWL_FORMAT_PROMETHEUS, 0,
		      DROPPED_PROM "# HELP x New.\n"
				   "# TYPE x counter\n"
				   "x{k=\"b\"} 2\n");
	swl_registry_destroy(r);
}

Test(expo, out_of_space_leaves_buffer_unchanged)
{
	struct swl_registry *r = sample_registry();
	struct swl_buf b;
	swl_buf_init(&b, 300);
	cr_assert_eq(swl_buf_add(&b, "keep\n", 5), 0);
	cr_assert_eq(swl_expo_render(r, SWL_FORMAT_OPENMETRICS, 0, &b), -ENOSPC);
	cr_assert_eq(b.len, 5);
	cr_assert_str_eq(b.p, "keep\n");
	b.max = 0;
	cr_assert_eq(swl_expo_render(r, SWL_FORMAT_PROMETHEUS, 0, &b), 0);
	cr_assert_eq(strncmp(b.p, "keep\n# HELP ipsec_ike_handshake_seconds ", 40), 0);
	swl_buf_fini(&b);
	swl_registry_destroy(r);
}

/* Written in chunks to a stream, the text is the rendered one, byte for byte: a registry big
 * enough for many chunks, in both formats, with and without timestamps. */
Test(expo, write_streams_what_render_renders)
{
	struct swl_registry *r = sample_registry();
	struct swl_family *f = swl_registry_family(r, "big_total", SWL_COUNTER, "Many.", conn_peer, 2, NULL, 0, 20000);
	char a[32], p[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "conn-%d", i % 7);
		snprintf(p, sizeof(p), "198.51.%d.%d", i / 250, i % 250);
		swl_series_add(get2(f, a, p), i + 1, 1000000 + i);
	}
	const unsigned flags[] = { 0, SWL_EXPO_TIMESTAMPS };
	for (int fmt = SWL_FORMAT_PROMETHEUS; fmt <= SWL_FORMAT_OPENMETRICS; fmt++) {
		for (size_t k = 0; k < 2; k++) {
			char *want = render(r, (enum swl_format)fmt, flags[k]);
			char *got = NULL;
			size_t n = 0;
			FILE *mem = open_memstream(&got, &n);
			cr_assert_not_null(mem);
			cr_assert_eq(swl_expo_write(r, (enum swl_format)fmt, flags[k], mem), 0);
			fclose(mem);
			cr_assert_gt(n, 3 * 64 * 1024, "only %zu bytes: too few chunks to test", n);
			cr_assert_eq(n, strlen(want));
			cr_assert(memcmp(got, want, n) == 0, "format %d flags %u: the streamed text differs", fmt, flags[k]);
			free(got);
			free(want);
		}
	}
	swl_registry_destroy(r);
}

Test(expo, write_reports_a_full_device)
{
	struct swl_registry *r = sample_registry();
	FILE *full = fopen("/dev/full", "w");
	cr_assert_not_null(full);
	cr_assert_eq(swl_expo_write(r, SWL_FORMAT_PROMETHEUS, 0, full), -ENOSPC);
	fclose(full);
	swl_registry_destroy(r);
}

/* ---- promtool ---- */

/* The text promtool reads, in the test's scratch directory. */
static const char *write_temp(const char *text)
{
	static char file[128];
	snprintf(file, sizeof(file), "%s", spath("metrics.txt"));
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f, "%s: %s", file, strerror(errno));
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
	return file;
}

/* Run cmd through the shell with its output in a log; return its exit status, and its
 * output in out (for the failure message). A missing promtool exits 127: a failure. */
static int run(const char *cmd, char *out, size_t cap)
{
	const char *log = spath("promtool.log");
	char full[512];
	snprintf(full, sizeof(full), "%s >%s 2>&1", cmd, log);
	int st = system(full);
	FILE *f = fopen(log, "r");
	size_t n = f ? fread(out, 1, cap - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	cr_assert(st != -1 && WIFEXITED(st), "could not run: %s", full);
	return WEXITSTATUS(st);
}

/* Log lines carry anything: make the label values as hostile as possible. */
static struct swl_registry *nasty_registry(int64_t t0)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *c = swl_registry_family(r, "ipsec_ike_sa_established_total", SWL_COUNTER,
						   "IKE SAs established, \"quoted\", back\\slashed,\nand on two lines.",
						   conn_peer, 2, NULL, 0, 0);
	struct swl_family *g = swl_registry_family(r, "ipsec_ike_sa_up", SWL_GAUGE, "IKE SAs up.", conn_only, 1, NULL,
						   0, 2);
	double b[] = { 0.005, 0.1, 0.5, 1, 2.5, 10 };
	struct swl_family *h = swl_registry_family(r, "ipsec_ike_handshake_seconds", SWL_HISTOGRAM,
						   "Handshake duration.", conn_only, 1, b, 6, 0);
	static const struct swl_str nasty[] = {
		{ "quo\"te", 6 },
		{ "back\\slash\\", 11 },
		{ "new\nline\n", 9 },
		{ "bad\xff\xfeutf8\xc3", 10 },
		{ "over\xc0\xaflong\xed\xa0\x80", 13 },
		{ "brace} comma, eq= {x=\"y\"}", 25 },
		{ "nul\0byte", 8 },
		{ "", 0 },
		{ "\\\"\n\\n", 5 },
		{ "caf\xc3\xa9 \xe2\x82\xac", 9 },
	};
	size_t nn = sizeof(nasty) / sizeof(nasty[0]);
	int64_t t = t0;
	for (size_t i = 0; i < nn; i++) {
		struct swl_str v[2] = { nasty[i], nasty[nn - 1 - i] };
		swl_series_add(swl_family_series(c, v), (double)i + 1, t += 1000);
		swl_series_set(swl_family_series(g, &nasty[i]), (double)i - 3.5, t += 1000);
		swl_series_observe(swl_family_series(h, &nasty[i]), (double)i * 0.3, t += 1000);
	}
	return r;
}

Test(expo, promtool_check_metrics, .init = scratch_init, .fini = scratch_fini)
{
	struct swl_registry *r = nasty_registry(1795974712000000);
	char *text = render(r, SWL_FORMAT_PROMETHEUS, 0);
	cr_assert_not_null(strstr(text, "swanlog_series_dropped_total{metric=\"ipsec_ike_sa_up\"} 8\n"));
	const char *file = write_temp(text);
	free(text);
	swl_registry_destroy(r);
	char cmd[256], out[4096];
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", file);
	int rc = run(cmd, out, sizeof(out));
	cr_assert_eq(rc, 0, "promtool check metrics exited %d:\n%s", rc, out);
}

Test(expo, promtool_tsdb_backfill_openmetrics, .init = scratch_init, .fini = scratch_fini)
{
	/* inside any retention: the last couple of days */
	int64_t now_us = (int64_t)time(NULL) * 1000000;
	int64_t t0 = now_us - 2 * 86400 * (int64_t)1000000;
	struct swl_registry *r = nasty_registry(t0);
	r->record_history = true;
	swl_registry_record(r, t0 + 3600 * (int64_t)1000000);
	struct swl_family *c = swl_registry_find(r, "ipsec_ike_sa_established_total");
	struct swl_family *h = swl_registry_find(r, "ipsec_ike_handshake_seconds");
	swl_series_add(c->series[0], 5, t0 + 5400 * (int64_t)1000000);
	swl_series_observe(h->series[1], 3, t0 + 5400 * (int64_t)1000000);
	swl_registry_record(r, t0 + 7200 * (int64_t)1000000);
	swl_series_add(c->series[1], 1, now_us - 3600 * (int64_t)1000000);
	swl_series_observe(h->series[2], 0.2, now_us - 3600 * (int64_t)1000000);
	char *text = render(r, SWL_FORMAT_OPENMETRICS, SWL_EXPO_TIMESTAMPS | SWL_EXPO_HISTORY);
	swl_registry_destroy(r);
	const char *file = write_temp(text);
	free(text);

	const char *tsdb = spath("tsdb");
	cr_assert_eq(mkdir(tsdb, 0700), 0, "%s: %s", tsdb, strerror(errno));
	char cmd[512], out[8192];
	snprintf(cmd, sizeof(cmd), "promtool tsdb create-blocks-from openmetrics %s %s", file, tsdb);
	int rc = run(cmd, out, sizeof(out));
	cr_assert_eq(rc, 0, "promtool tsdb create-blocks-from openmetrics exited %d:\n%s", rc, out);
}
