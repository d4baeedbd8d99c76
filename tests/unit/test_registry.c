/* test_registry.c - families, series lookup, caps, sanitizing, redeclaration, history. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry.h"

static const char *const conn_peer[] = { "conn", "peer" };
static const char *const conn_only[] = { "conn" };

static struct swl_series *get2(struct swl_family *f, const char *a, const char *b)
{
	struct swl_str v[2] = { swl_str_c(a), swl_str_c(b) };
	return swl_family_series(f, v);
}

static struct swl_series *get1(struct swl_family *f, const char *a)
{
	struct swl_str v = swl_str_c(a);
	return swl_family_series(f, &v);
}

static struct swl_series *get1n(struct swl_family *f, const char *a, size_t n)
{
	struct swl_str v = { a, n };
	return swl_family_series(f, &v);
}

static double dropped(struct swl_registry *r, const char *metric)
{
	struct swl_family *d = swl_registry_find(r, "swanlog_series_dropped_total");
	cr_assert_not_null(d);
	for (size_t i = 0; i < d->nseries; i++)
		if (strcmp(d->series[i]->values[0], metric) == 0)
			return d->series[i]->value;
	return 0;
}

Test(registry, create_declares_dropped_counter)
{
	struct swl_registry *r = swl_registry_create(0);
	cr_assert_eq(r->default_max_series, SWL_DEFAULT_MAX_SERIES);
	struct swl_family *d = swl_registry_find(r, "swanlog_series_dropped_total");
	cr_assert_not_null(d);
	cr_assert_eq(d, r->dropped);
	cr_assert_eq(d->type, SWL_COUNTER);
	cr_assert_eq(d->nlabels, 1);
	cr_assert_str_eq(d->labels[0], "metric");
	cr_assert_str_eq(d->help, "Updates that went to the overflow series because a metric reached its series cap.");
	cr_assert_eq(d->nseries, 0);
	swl_registry_destroy(r);
}

Test(registry, same_labels_same_series)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "ipsec_x_total", SWL_COUNTER, "x", conn_peer, 2, NULL, 0, 0);
	cr_assert_not_null(f);
	struct swl_series *a = get2(f, "home", "1.2.3.4");
	/* borrowed, not NUL-terminated slices must find the same series */
	char line[] = "conn=homeXpeer=1.2.3.4Y";
	struct swl_str v[2] = { { line + 5, 4 }, { line + 15, 7 } };
	cr_assert_eq(swl_family_series(f, v), a);
	cr_assert_eq(get2(f, "home", "1.2.3.4"), a);
	cr_assert_neq(get2(f, "home", "1.2.3.5"), a);
	cr_assert_neq(get2(f, "1.2.3.4", "home"), a);
	/* the label boundary matters: ("ab","c") is not ("a","bc") */
	struct swl_series *abc = get2(f, "ab", "c");
	cr_assert_neq(get2(f, "a", "bc"), abc);
	cr_assert_neq(get2(f, "abc", ""), abc);
	cr_assert_eq(f->nseries, 6);
	cr_assert_str_eq(a->values[0], "home");
	cr_assert_str_eq(a->values[1], "1.2.3.4");
	cr_assert_eq(a->family, f);
	cr_assert_eq(a->updated_us, 0);
	cr_assert_eq(a->updates, 0);
	swl_registry_destroy(r);
}

Test(registry, empty_label_values_and_no_labels)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "g", SWL_GAUGE, "g", conn_peer, 2, NULL, 0, 0);
	struct swl_str none[2] = { SWL_STR_NULL, SWL_STR_NULL };
	struct swl_series *e = swl_family_series(f, none);
	cr_assert_eq(get2(f, "", ""), e);
	cr_assert_str_eq(e->values[0], "");
	struct swl_family *n = swl_registry_family(r, "n", SWL_GAUGE, "n", NULL, 0, NULL, 0, 1);
	struct swl_series *s = swl_family_series(n, NULL);
	cr_assert_eq(swl_family_series(n, NULL), s);
	cr_assert_eq(n->nseries, 1);
	cr_assert_null(n->overflow);
	swl_registry_destroy(r);
}

Test(registry, many_series_all_distinct)
{
	/* far more series than hash buckets at first: chains and table growth must not mix them */
	enum { N = 50000 };
	struct swl_registry *r = swl_registry_create(N);
	struct swl_family *f = swl_registry_family(r, "m", SWL_COUNTER, "m", conn_peer, 2, NULL, 0, 0);
	static struct swl_series *seen[N];
	char a[32], b[32];
	for (int i = 0; i < N; i++) {
		snprintf(a, sizeof(a), "c%d", i % 97);
		snprintf(b, sizeof(b), "p%d", i);
		seen[i] = get2(f, a, b);
		swl_series_add(seen[i], 1, 1);
	}
	cr_assert_eq(f->nseries, N);
	cr_assert_null(f->overflow);
	for (int i = N - 1; i >= 0; i--) {
		snprintf(a, sizeof(a), "c%d", i % 97);
		snprintf(b, sizeof(b), "p%d", i);
		cr_assert_eq(get2(f, a, b), seen[i], "series %d", i);
		cr_assert_str_eq(seen[i]->values[1], b);
		cr_assert_eq(seen[i]->value, 1);
		cr_assert_eq(f->series[i], seen[i], "creation order");
	}
	cr_assert(f->tabsize * 3 >= N * 4);
	cr_assert_eq(f->tabsize & (f->tabsize - 1), 0);
	swl_registry_destroy(r);
}

struct tagged {
	uint32_t hash;
	int i;
};

static int cmp_tagged(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

/* Two different values with the same 32-bit table hash, found by the birthday paradox. */
static bool equal_hash_pair(char *a, char *b, size_t cap)
{
	enum { M = 400000 }; /* ~1 - e^-18 odds of a pair among 2^32 hashes */
	struct tagged *t = malloc(M * sizeof(*t));
	char buf[32];
	for (int i = 0; i < M; i++) {
		struct swl_str v = { buf, (size_t)snprintf(buf, sizeof(buf), "v%d", i) };
		t[i] = (struct tagged){ swl_series_hash(&v, 1), i };
	}
	qsort(t, M, sizeof(*t), cmp_tagged);
	bool found = false;
	for (int i = 1; i < M && !found; i++) {
		if (t[i].hash == t[i - 1].hash) {
			snprintf(a, cap, "v%d", t[i - 1].i);
			snprintf(b, cap, "v%d", t[i].i);
			found = true;
		}
	}
	free(t);
	return found;
}

Test(registry, equal_hashes_told_apart_by_value)
{
	char a[32], b[32];
	cr_assert(equal_hash_pair(a, b, sizeof(a)));
	struct swl_str va = swl_str_c(a), vb = swl_str_c(b);
	cr_assert_eq(swl_series_hash(&va, 1), swl_series_hash(&vb, 1));
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "c", SWL_GAUGE, "c", conn_only, 1, NULL, 0, 0);
	struct swl_series *sa = get1(f, a), *sb = get1(f, b);
	cr_assert_neq(sa, sb);
	cr_assert_str_eq(sa->values[0], a);
	cr_assert_str_eq(sb->values[0], b);
	/* grow the table past them: both move, neither is lost or merged */
	char name[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		get1(f, name);
	}
	cr_assert_eq(get1(f, a), sa);
	cr_assert_eq(get1(f, b), sb);
	cr_assert_eq(f->nseries, 1002);
	swl_registry_destroy(r);
}

Test(registry, table_stays_sparse_and_finds_all)
{
	/* misses end at an empty slot: the table must never fill up */
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "g", SWL_GAUGE, "g", conn_only, 1, NULL, 0, 0);
	char name[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "%d", i);
		get1(f, name);
		cr_assert(f->nseries * 4 <= f->tabsize * 3, "%zu series in %zu slots", f->nseries, f->tabsize);
		size_t used = 0;
		for (size_t k = 0; i % 500 == 0 && k < f->tabsize; k++)
			used += f->table[k].ref != 0;
		cr_assert(i % 500 != 0 || used == f->nseries);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "%d", i);
		cr_assert_eq(get1(f, name), f->series[i]);
	}
	swl_registry_destroy(r);
}

Test(registry, values_differing_only_in_length)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "m", SWL_GAUGE, "m", conn_peer, 2, NULL, 0, 0);
	const char *vals[][2] = { { "", "" }, { "a", "" }, { "", "a" }, { "aa", "" }, { "a", "a" },
				  { "abcdefgh", "" }, { "abcdefg", "h" }, { "abcdefghi", "" }, { "abcdefgh", "i" } };
	enum { NV = sizeof(vals) / sizeof(vals[0]) };
	struct swl_series *s[NV];
	for (size_t i = 0; i < NV; i++)
		s[i] = get2(f, vals[i][0], vals[i][1]);
	cr_assert_eq(f->nseries, NV);
	for (size_t i = 0; i < NV; i++) {
		cr_assert_eq(get2(f, vals[i][0], vals[i][1]), s[i], "series %zu", i);
		cr_assert_str_eq(s[i]->values[0], vals[i][0]);
		cr_assert_str_eq(s[i]->values[1], vals[i][1]);
	}
	/* a value given by length, not NUL: the bytes past it do not count */
	struct swl_str v[2] = { { "abcdefghXYZ", 8 }, { "", 0 } };
	cr_assert_eq(swl_family_series(f, v), s[5]);
	swl_registry_destroy(r);
}

Test(registry, bad_byte_found_at_every_position)
{
	/* the word-at-a-time check must see a NUL or a stray byte wherever it sits: in a full
	 * word, in a short value's tail, in a long value's overlapping tail */
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "b", SWL_GAUGE, "b", conn_peer, 2, NULL, 0, 0);
	const char bad[] = { '\0', (char)0x80, (char)0xFF };
	char buf[32], want[64];
	for (size_t len = 1; len <= 20; len++) {
		for (size_t pos = 0; pos < len; pos++) {
			for (size_t b = 0; b < sizeof(bad); b++) {
				memset(buf, 'a' + (char)(len % 26), len);
				buf[pos] = bad[b];
				struct swl_str v[2] = { { "ok", 2 }, { buf, len } };
				struct swl_series *s = swl_family_series(f, v);
				swl_label_sanitize(want, sizeof(want), v[1]);
				cr_assert_str_eq(s->values[1], want, "len %zu pos %zu byte %zu", len, pos, b);
				cr_assert_str_eq(s->values[0], "ok");
			}
		}
	}
	swl_registry_destroy(r);
}

Test(registry, long_ascii_values_are_truncated)
{
	/* plain ASCII but too long: the fast path must still truncate */
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "t", SWL_GAUGE, "t", conn_only, 1, NULL, 0, 0);
	char longv[SWL_LABEL_VALUE_MAX + 40];
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	struct swl_series *a = get1(f, longv);
	cr_assert_eq(strlen(a->values[0]), SWL_LABEL_VALUE_MAX);
	longv[SWL_LABEL_VALUE_MAX] = '\0';
	cr_assert_eq(get1(f, longv), a, "the truncated spelling is the same series");
	cr_assert_eq(f->nseries, 1);
	swl_registry_destroy(r);
}

Test(registry, cap_overflow_and_dropped_counter)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "ipsec_capped_total", SWL_COUNTER, "c", conn_peer, 2, NULL, 0, 3);
	struct swl_series *s[3];
	for (int i = 0; i < 3; i++) {
		char p[8];
		snprintf(p, sizeof(p), "p%d", i);
		s[i] = get2(f, "c", p);
	}
	cr_assert_null(f->overflow);
	struct swl_series *o = get2(f, "c", "p3");
	cr_assert_not_null(o);
	cr_assert_eq(o, f->overflow);
	cr_assert_str_eq(o->values[0], "__overflow__");
	cr_assert_str_eq(o->values[1], "__overflow__");
	cr_assert_eq(f->nseries, 4);
	cr_assert_eq(get2(f, "c", "p4"), o);
	cr_assert_eq(get2(f, "x", "y"), o);
	/* existing series are still found, and never count as dropped */
	for (int i = 0; i < 3; i++) {
		char p[8];
		snprintf(p, sizeof(p), "p%d", i);
		cr_assert_eq(get2(f, "c", p), s[i]);
		swl_series_add(s[i], 1, 10);
	}
	cr_assert_eq(dropped(r, "ipsec_capped_total"), 0);
	swl_series_add(o, 2, 100);
	swl_series_add(get2(f, "c", "p9"), 1, 200);
	swl_series_add(get2(f, "c", "p9"), -1, 300); /* refused: not an update, not a drop */
	cr_assert_eq(o->value, 3);
	cr_assert_eq(dropped(r, "ipsec_capped_total"), 2);
	cr_assert_eq(f->dropped->updated_us, 200);
	cr_assert_eq(f->nseries, 4);
	swl_registry_destroy(r);
}

Test(registry, default_cap_and_histogram_overflow)
{
	struct swl_registry *r = swl_registry_create(2);
	double b[] = { 1 };
	struct swl_family *h = swl_registry_family(r, "h_seconds", SWL_HISTOGRAM, "h", conn_only, 1, b, 1, 0);
	swl_series_observe(get1(h, "a"), 0.5, 1);
	swl_series_observe(get1(h, "b"), 0.5, 1);
	struct swl_series *o = get1(h, "c");
	cr_assert_eq(o, h->overflow);
	swl_series_observe(o, 2, 5);
	swl_series_observe(get1(h, "d"), 0.5, 6);
	cr_assert_eq(o->count, 2);
	cr_assert_eq(o->buckets[0], 1);
	cr_assert_eq(o->buckets[1], 1);
	cr_assert_eq(dropped(r, "h_seconds"), 2);
	/* a gauge with its own cap ignores the default */
	struct swl_family *g = swl_registry_family(r, "g", SWL_GAUGE, "g", conn_only, 1, NULL, 0, 4);
	for (int i = 0; i < 4; i++) {
		char v[8];
		snprintf(v, sizeof(v), "%d", i);
		get1(g, v);
	}
	cr_assert_null(g->overflow);
	get1(g, "x");
	cr_assert_not_null(g->overflow);
	swl_series_set(g->overflow, -5, 7);
	swl_series_add(g->overflow, -1, 8);
	cr_assert_eq(g->overflow->value, -6);
	cr_assert_eq(dropped(r, "g"), 2);
	swl_registry_destroy(r);
}

Test(registry, raised_cap_takes_effect)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "f", SWL_GAUGE, "f", conn_only, 1, NULL, 0, 1);
	struct swl_series *a = get1(f, "a");
	struct swl_series *o = get1(f, "b");
	cr_assert_eq(o, f->overflow);
	cr_assert_eq(swl_registry_family(r, "f", SWL_GAUGE, "f", conn_only, 1, NULL, 0, 3), f);
	struct swl_series *b = get1(f, "b");
	struct swl_series *c = get1(f, "c");
	cr_assert_neq(b, o);
	cr_assert_neq(c, o);
	cr_assert_eq(get1(f, "d"), o);
	cr_assert_eq(get1(f, "a"), a);
	cr_assert_eq(f->nseries, 4);
	swl_registry_destroy(r);
}

Test(registry, overflow_reuses_existing_overflow_labels)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "f", SWL_GAUGE, "f", conn_only, 1, NULL, 0, 2);
	struct swl_series *spelled = get1(f, "__overflow__");
	get1(f, "a");
	struct swl_series *o = get1(f, "b");
	cr_assert_eq(o, spelled, "no second series with the same labels");
	cr_assert_eq(f->nseries, 2);
	swl_registry_destroy(r);
}

static void expect_sanitized(const char *in, size_t n, const char *want)
{
	char out[SWL_LABEL_VALUE_MAX + 1];
	size_t len = swl_label_sanitize(out, sizeof(out), (struct swl_str){ in, n });
	cr_assert_eq(len, strlen(want), "length %zu, want %zu", len, strlen(want));
	cr_assert_str_eq(out, want);
}

#define FFFD "\xEF\xBF\xBD"
#define SAN(lit, want) expect_sanitized(lit, sizeof(lit) - 1, want)

Test(registry, sanitize_valid_utf8_unchanged)
{
	SAN("", "");
	SAN("plain ascii", "plain ascii");
	SAN("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E \xF4\x8F\xBF\xBF", "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E \xF4\x8F\xBF\xBF");
	SAN("\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80",
	    "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80");
}

Test(registry, sanitize_overlong)
{
	SAN("\xC0\xAF", FFFD FFFD);
	SAN("\xC1\xBF", FFFD FFFD);
	SAN("a\xE0\x80\xAFz", "a" FFFD FFFD FFFD "z");
	SAN("\xE0\x9F\xBF", FFFD FFFD FFFD);
	SAN("\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD);
	SAN("\xF0\x8F\xBF\xBF", FFFD FFFD FFFD FFFD);
}

Test(registry, sanitize_surrogates)
{
	SAN("\xED\xA0\x80", FFFD FFFD FFFD);
	SAN("x\xED\xBF\xBFy", "x" FFFD FFFD FFFD "y");
}

Test(registry, sanitize_above_max_code_point)
{
	SAN("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	SAN("\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	SAN("\xF8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
	SAN("\xFE\xFF", FFFD FFFD);
}

Test(registry, sanitize_stray_continuation)
{
	SAN("\x80", FFFD);
	SAN("a\xBF" "b", "a" FFFD "b");
	SAN("\xC3\xA9\xA9", "\xC3\xA9" FFFD);
}

Test(registry, sanitize_truncated_sequences)
{
	/* a cut-off sequence is one U+FFFD, and what follows it survives */
	SAN("\xE2\x82", FFFD);
	SAN("\xE2\x82x", FFFD "x");
	SAN("\xF0\x9F\x98", FFFD);
	SAN("\xF0\x9F\x98\xC3\xA9", FFFD "\xC3\xA9");
	SAN("\xC3", FFFD);
	SAN("ab\xC3", "ab" FFFD);
}

Test(registry, sanitize_nul)
{
	SAN("a\0b", "a" FFFD "b");
	SAN("\0", FFFD);
}

Test(registry, sanitize_truncates_at_character_boundary)
{
	char in[600], want[300];
	memset(in, 'a', 300);
	memset(want, 'a', SWL_LABEL_VALUE_MAX);
	want[SWL_LABEL_VALUE_MAX] = '\0';
	expect_sanitized(in, 300, want);

	/* 255 + a 2-byte character: the character does not fit and is left out whole */
	memset(in, 'a', 255);
	memcpy(in + 255, "\xC3\xA9zz", 4);
	want[255] = '\0';
	expect_sanitized(in, 259, want);

	/* 254 + a 2-byte character: exactly fits */
	memcpy(in + 254, "\xC3\xA9zz", 4);
	memset(want, 'a', 254);
	memcpy(want + 254, "\xC3\xA9", 3);
	expect_sanitized(in, 258, want);

	/* 254 + a 4-byte character: left out */
	memcpy(in + 254, "\xF0\x9D\x84\x9E", 4);
	want[254] = '\0';
	expect_sanitized(in, 258, want);

	/* a replacement near the end does not fit either */
	memset(in, 'a', 254);
	memcpy(in + 254, "\xFFq", 2);
	expect_sanitized(in, 256, want);

	/* a small destination bounds it the same way */
	char small[4];
	cr_assert_eq(swl_label_sanitize(small, sizeof(small), swl_str_c("a\xC3\xA9\xE2\x82\xAC")), 3);
	cr_assert_str_eq(small, "a\xC3\xA9");
	cr_assert_eq(swl_label_sanitize(small, 1, swl_str_c("abc")), 0);
	cr_assert_str_eq(small, "");
	cr_assert_eq(swl_label_sanitize(small, 0, swl_str_c("abc")), 0);
}

Test(registry, lookup_compares_sanitized_values)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "s", SWL_GAUGE, "s", conn_only, 1, NULL, 0, 0);
	struct swl_series *bad = get1n(f, "x\xFF\0y", 4);
	cr_assert_str_eq(bad->values[0], "x" FFFD FFFD "y");
	cr_assert_eq(get1(f, "x" FFFD FFFD "y"), bad, "the sanitized spelling is the same series");
	cr_assert_eq(get1n(f, "x\xFE\0y", 4), bad);

	char longv[400];
	memset(longv, 'L', sizeof(longv));
	struct swl_series *lng = get1n(f, longv, sizeof(longv));
	cr_assert_eq(strlen(lng->values[0]), SWL_LABEL_VALUE_MAX);
	cr_assert_eq(get1n(f, longv, SWL_LABEL_VALUE_MAX), lng, "the truncated spelling is the same series");
	cr_assert_eq(get1n(f, longv, 300), lng);
	cr_assert_neq(get1n(f, longv, SWL_LABEL_VALUE_MAX - 1), lng);
	cr_assert_eq(f->nseries, 3);
	swl_registry_destroy(r);
}

Test(registry, redeclare_compatible_keeps_family)
{
	struct swl_registry *r = swl_registry_create(0);
	double b[] = { 0.5, 1 };
	double binf[] = { 0.5, 1, INFINITY };
	struct swl_family *f = swl_registry_family(r, "h", SWL_HISTOGRAM, "old", conn_only, 1, b, 2, 0);
	struct swl_series *s = get1(f, "a");
	struct swl_family *g = swl_registry_family(r, "h", SWL_HISTOGRAM, "new help", conn_only, 1, binf, 3, 7);
	cr_assert_eq(g, f);
	cr_assert_str_eq(f->help, "new help");
	cr_assert_eq(f->max_series, 7);
	cr_assert_eq(f->nbuckets, 2);
	cr_assert_not(f->retired);
	cr_assert_eq(get1(f, "a"), s);
	swl_registry_destroy(r);
}

Test(registry, redeclare_incompatible_retires)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "x", SWL_COUNTER, "c", conn_only, 1, NULL, 0, 0);
	struct swl_series *s = get1(f, "a");
	swl_series_add(s, 3, 1);

	struct swl_family *g = swl_registry_family(r, "x", SWL_GAUGE, "g", conn_only, 1, NULL, 0, 0);
	cr_assert_neq(g, f);
	cr_assert(f->retired);
	cr_assert_not(g->retired);
	cr_assert_eq(swl_registry_find(r, "x"), g);
	cr_assert_eq(g->nseries, 0);
	/* the old family and its series stay usable */
	swl_series_add(s, 1, 2);
	cr_assert_eq(s->value, 4);
	cr_assert_str_eq(f->name, "x");

	/* other labels, other label order, other bounds: all incompatible */
	struct swl_family *h = swl_registry_family(r, "x", SWL_GAUGE, "g", conn_peer, 2, NULL, 0, 0);
	cr_assert(g->retired);
	const char *const peer_conn[] = { "peer", "conn" };
	struct swl_family *k = swl_registry_family(r, "x", SWL_GAUGE, "g", peer_conn, 2, NULL, 0, 0);
	cr_assert(h->retired);
	double b1[] = { 1, 2 }, b2[] = { 1, 3 };
	struct swl_family *h1 = swl_registry_family(r, "y", SWL_HISTOGRAM, "y", NULL, 0, b1, 2, 0);
	struct swl_family *h2 = swl_registry_family(r, "y", SWL_HISTOGRAM, "y", NULL, 0, b2, 2, 0);
	cr_assert(h1->retired);
	cr_assert_neq(h1, h2);

	size_t n;
	struct swl_family **live = swl_registry_sorted_families(r, &n);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(live[0]->name, "swanlog_series_dropped_total");
	cr_assert_eq(live[1], k);
	cr_assert_eq(live[2], h2);
	free(live);
	cr_assert_eq(r->nfamilies, 7, "retired families are kept");
	swl_registry_destroy(r);
}

Test(registry, too_many_labels_refused)
{
	struct swl_registry *r = swl_registry_create(0);
	const char *many[SWL_MAX_LABELS + 1];
	for (size_t i = 0; i <= SWL_MAX_LABELS; i++)
		many[i] = "l";
	cr_assert_null(swl_registry_family(r, "t", SWL_GAUGE, "t", many, SWL_MAX_LABELS + 1, NULL, 0, 0));
	cr_assert_not_null(swl_registry_family(r, "t", SWL_GAUGE, "t", many, SWL_MAX_LABELS, NULL, 0, 0));
	swl_registry_destroy(r);
}

Test(registry, counters_never_decrease)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "c_total", SWL_COUNTER, "c", conn_only, 1, NULL, 0, 0);
	struct swl_series *s = get1(f, "a");
	swl_series_add(s, 2.5, 100);
	cr_assert_eq(s->value, 2.5);
	cr_assert_eq(s->updates, 1);
	cr_assert_eq(s->updated_us, 100);
	swl_series_add(s, -1, 200);
	swl_series_add(s, NAN, 300);
	swl_series_set(s, 1, 400);
	swl_series_set(s, NAN, 450);
	swl_series_observe(s, 1, 460);
	cr_assert_eq(s->value, 2.5);
	cr_assert_eq(s->updates, 1, "refused updates are not updates");
	cr_assert_eq(s->updated_us, 100);
	swl_series_add(s, 0, 500);
	cr_assert_eq(s->updates, 2);
	swl_series_set(s, 10, 600);
	cr_assert_eq(s->value, 10);
	cr_assert_eq(s->updated_us, 600);
	cr_assert_eq(s->updates, 3);

	struct swl_family *g = swl_registry_family(r, "g", SWL_GAUGE, "g", conn_only, 1, NULL, 0, 0);
	struct swl_series *t = get1(g, "a");
	swl_series_add(t, -1, 1);
	swl_series_add(t, -1, 2);
	cr_assert_eq(t->value, -2);
	swl_series_set(t, 7, 3);
	cr_assert_eq(t->value, 7);
	cr_assert_eq(t->updates, 3);
	cr_assert_eq(t->updated_us, 3);
	swl_registry_destroy(r);
}

Test(registry, histogram_buckets)
{
	struct swl_registry *r = swl_registry_create(0);
	double b[] = { 0.1, 1, 10, INFINITY };
	struct swl_family *f = swl_registry_family(r, "h_seconds", SWL_HISTOGRAM, "h", conn_only, 1, b, 4, 0);
	cr_assert_eq(f->nbuckets, 3, "+Inf is implied");
	struct swl_series *s = get1(f, "a");
	cr_assert_not_null(s->buckets);
	double obs[] = { 0.05, 0.1, 0.5, 1, 5, 100, -3, INFINITY };
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		swl_series_observe(s, obs[i], (int64_t)i + 1);
	swl_series_observe(s, NAN, 99);
	swl_series_add(s, 1, 99);
	swl_series_set(s, 1, 99);
	cr_assert_eq(s->buckets[0], 3); /* 0.05, 0.1 (a bound is inclusive), -3 */
	cr_assert_eq(s->buckets[1], 2); /* 0.5, 1 */
	cr_assert_eq(s->buckets[2], 1); /* 5 */
	cr_assert_eq(s->buckets[3], 2); /* 100, +Inf */
	cr_assert_eq(s->count, 8);
	cr_assert(isinf(s->sum));
	cr_assert_eq(s->updates, 8);
	cr_assert_eq(s->updated_us, 8);

	struct swl_series *t = get1(f, "b");
	swl_series_observe(t, 0.25, 1);
	swl_series_observe(t, 0.5, 2);
	cr_assert_eq(t->sum, 0.75);
	cr_assert_eq(t->count, 2);
	cr_assert_eq(t->buckets[1], 2);
	swl_registry_destroy(r);
}

Test(registry, record_history)
{
	struct swl_registry *r = swl_registry_create(0);
	r->record_history = true;
	struct swl_family *g = swl_registry_family(r, "g", SWL_GAUGE, "g", conn_only, 1, NULL, 0, 0);
	double b[] = { 1 };
	struct swl_family *h = swl_registry_family(r, "h", SWL_HISTOGRAM, "h", NULL, 0, b, 1, 0);
	struct swl_series *s = get1(g, "a");
	struct swl_series *hs = swl_family_series(h, NULL);
	swl_series_set(s, 1, 10);
	swl_series_observe(hs, 0.5, 10);
	swl_registry_record(r, 1000);
	swl_series_set(s, 2, 1500);
	swl_series_observe(hs, 2, 1500);
	struct swl_series *late = get1(g, "b");
	swl_registry_record(r, 2000);
	swl_series_set(s, 3, 2000);
	swl_registry_record(r, 2000); /* same instant again: newest values, no second point */
	swl_registry_record(r, 1500); /* back in time: ignored */
	swl_series_set(s, 4, 2500);

	cr_assert_eq(swl_series_npoints(s), 2);
	cr_assert_eq(s->history->points[0].t_us, 1000);
	cr_assert_eq(s->history->points[0].value, 1);
	cr_assert_eq(s->history->points[1].t_us, 2000);
	cr_assert_eq(s->history->points[1].value, 3);
	cr_assert_eq(s->value, 4);
	cr_assert_eq(swl_series_npoints(late), 1);
	cr_assert_eq(late->history->points[0].t_us, 2000);

	cr_assert_eq(swl_series_npoints(hs), 2);
	cr_assert_eq(hs->history->points[0].value, 1);
	cr_assert_eq(hs->history->points[0].sum, 0.5);
	cr_assert_eq(hs->history->points[0].buckets[0], 1);
	cr_assert_eq(hs->history->points[0].buckets[1], 0, "a copy, not the live buckets");
	cr_assert_eq(hs->history->points[1].value, 2);
	cr_assert_eq(hs->history->points[1].sum, 2.5);
	cr_assert_eq(hs->history->points[1].buckets[1], 1);
	cr_assert_neq(hs->history->points[1].buckets, hs->buckets);

	/* retired families are not recorded */
	struct swl_family *g2 = swl_registry_family(r, "g", SWL_COUNTER, "g", conn_only, 1, NULL, 0, 0);
	swl_registry_record(r, 3000);
	cr_assert_eq(swl_series_npoints(s), 2);
	cr_assert_eq(g2->nseries, 0);
	cr_assert_eq(swl_series_npoints(hs), 3);
	swl_registry_destroy(r);
}

Test(registry, sorted_accessors)
{
	struct swl_registry *r = swl_registry_create(0);
	swl_registry_family(r, "zeta", SWL_GAUGE, "z", NULL, 0, NULL, 0, 0);
	swl_registry_family(r, "alpha", SWL_GAUGE, "a", NULL, 0, NULL, 0, 0);
	struct swl_family *f = swl_registry_family(r, "mid", SWL_GAUGE, "m", conn_peer, 2, NULL, 0, 0);
	size_t n;
	struct swl_family **fams = swl_registry_sorted_families(r, &n);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(fams[0]->name, "alpha");
	cr_assert_str_eq(fams[1]->name, "mid");
	cr_assert_str_eq(fams[2]->name, "swanlog_series_dropped_total");
	cr_assert_str_eq(fams[3]->name, "zeta");
	free(fams);

	get2(f, "b", "1");
	get2(f, "ab", "a");
	get2(f, "a", "z");
	get2(f, "b", "0");
	get2(f, "", "q");
	struct swl_series **s = swl_family_sorted_series(f, &n);
	cr_assert_eq(n, 5);
	const char *want[][2] = { { "", "q" }, { "a", "z" }, { "ab", "a" }, { "b", "0" }, { "b", "1" } };
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(s[i]->values[0], want[i][0], "series %zu", i);
		cr_assert_str_eq(s[i]->values[1], want[i][1], "series %zu", i);
	}
	free(s);
	cr_assert_str_eq(f->series[0]->values[0], "b", "creation order untouched");

	struct swl_family *e = swl_registry_find(r, "zeta");
	s = swl_family_sorted_series(e, &n);
	cr_assert_eq(n, 0);
	free(s);
	swl_registry_destroy(r);
}

/* The order the old comparator gave: label by label, strcmp. */
static const struct swl_family *cmp_fam;
static int cmp_strcmp(const void *a, const void *b)
{
	const struct swl_series *x = *(const struct swl_series *const *)a, *y = *(const struct swl_series *const *)b;
	for (size_t i = 0; i < cmp_fam->nlabels; i++) {
		int c = strcmp(x->values[i], y->values[i]);
		if (c)
			return c;
	}
	return 0;
}

static void assert_sorted_like_strcmp(const struct swl_family *f)
{
	size_t n;
	struct swl_series **s = swl_family_sorted_series(f, &n);
	cr_assert_eq(n, f->nseries);
	struct swl_series **want = malloc((n ? n : 1) * sizeof(*want));
	memcpy(want, f->series, n * sizeof(*want));
	cmp_fam = f;
	qsort(want, n, sizeof(*want), cmp_strcmp);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(s[i], want[i], "position %zu: %s/%s", i, s[i]->values[0],
			     f->nlabels > 1 ? s[i]->values[1] : "");
	free(want);
	free(s);
}

Test(registry, sort_order_long_shared_prefixes)
{
	struct swl_registry *r = swl_registry_create(100000);
	struct swl_family *f = swl_registry_family(r, "m", SWL_GAUGE, "m", conn_peer, 2, NULL, 0, 0);
	/* values sharing 40+ bytes, differing in length only, empty ones, bytes above 0x7F,
	 * and boundaries between labels that fall at every offset of an 8-byte chunk */
	const char *pre = "a-very-long-connection-name-shared-by-all";
	char a[128], b[128];
	unsigned seed = 12345;
	for (int i = 0; i < 5000; i++) {
		seed = seed * 1103515245u + 12345u;
		int k = (int)(seed >> 16) % 23;
		snprintf(a, sizeof(a), "%.*s%s", k + 19, pre, i % 3 ? "" : "\xc3\xa9");
		snprintf(b, sizeof(b), "%d%s", (int)(seed >> 8) % 977, i % 7 ? "" : "z");
		if (i % 11 == 0)
			b[0] = '\0';
		get2(f, a, b);
	}
	get2(f, "", "");
	get2(f, "", "a");
	get2(f, "a", "");
	assert_sorted_like_strcmp(f);
	swl_registry_destroy(r);
}

Test(registry, sort_order_small_and_unlabelled)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "m", SWL_GAUGE, "m", conn_peer, 2, NULL, 0, 0);
	get2(f, "abcdefgh", "b");
	get2(f, "abcdefg", "hb");
	get2(f, "abcdefgh", "");
	get2(f, "abcdefghi", "");
	get2(f, "abcdefg", "");
	assert_sorted_like_strcmp(f);
	size_t n;
	struct swl_series **s = swl_family_sorted_series(f, &n);
	cr_assert_str_eq(s[0]->values[0], "abcdefg");
	cr_assert_str_eq(s[0]->values[1], "");
	cr_assert_str_eq(s[1]->values[1], "hb");
	cr_assert_str_eq(s[2]->values[1], "");
	cr_assert_str_eq(s[3]->values[1], "b");
	cr_assert_str_eq(s[4]->values[0], "abcdefghi");
	free(s);
	struct swl_family *u = swl_registry_family(r, "u", SWL_GAUGE, "u", NULL, 0, NULL, 0, 0);
	swl_series_set(swl_family_series(u, NULL), 3, 1);
	s = swl_family_sorted_series(u, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(s[0]->value, 3);
	free(s);
	swl_registry_destroy(r);
}

Test(registry, cap_overflow_after_many_misses)
{
	/* the benchmark's shape: past the cap, every new value misses, then lands on overflow */
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "c_total", SWL_COUNTER, "c", conn_peer, 2, NULL, 0, 1000);
	char peer[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(peer, sizeof(peer), "10.0.%d.%d", i / 256, i % 256);
		swl_series_add(get2(f, "c", peer), 1, 1);
	}
	cr_assert_eq(f->nseries, 1001);
	cr_assert_not_null(f->overflow);
	cr_assert_eq(f->overflow->value, 4000);
	cr_assert_eq(dropped(r, "c_total"), 4000);
	cr_assert_eq(get2(f, "c", "10.0.0.5"), f->series[5]);
	assert_sorted_like_strcmp(f);
	swl_registry_destroy(r);
}

Test(registry, find)
{
	struct swl_registry *r = swl_registry_create(0);
	cr_assert_null(swl_registry_find(r, "nope"));
	struct swl_family *f = swl_registry_family(r, "yes", SWL_GAUGE, NULL, NULL, 0, NULL, 0, 0);
	cr_assert_eq(swl_registry_find(r, "yes"), f);
	cr_assert_str_eq(f->help, "");
	swl_registry_destroy(r);
	swl_registry_destroy(NULL);
}

/* The hash seed is drawn per process: two processes hash one label set differently (else a
 * peer could precompute label values that all collide), one process always alike. */
Test(registry, hash_seed_differs_between_processes)
{
	struct swl_str v[2] = { swl_str_c("con1"), swl_str_c("198.51.100.7") };
	uint32_t got[2];
	for (int i = 0; i < 2; i++) {
		int fds[2];
		cr_assert_eq(pipe(fds), 0);
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			uint32_t h = swl_series_hash(v, 2);
			_exit(write(fds[1], &h, sizeof(h)) == sizeof(h) && h == swl_series_hash(v, 2) ? 0 : 1);
		}
		close(fds[1]);
		cr_assert_eq(read(fds[0], &got[i], sizeof(got[i])), (ssize_t)sizeof(got[i]));
		close(fds[0]);
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the hash changed within a process");
	}
	/* a 32-bit hash: equal by chance once in four billion runs */
	cr_assert_neq(got[0], got[1], "two processes hashed alike: the seed is not random");
}
