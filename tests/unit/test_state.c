/* test_state.c - the state file: exact round trip of positions, every metric type, awkward
 * strings, context memory and live keys; families gone from the rules dropped; every kind of
 * damage refused without touching the registry. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "expo.h"
#include "registry.h"
#include "state.h"

static char dir[64], path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/swl_test_state_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
}

static void teardown(void)
{
	char tmp[160];
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
}

TestSuite(state, .init = setup, .fini = teardown);

static const char *const lab2[] = { "conn", "peer" };
static const double bounds[] = { 0.5, 1, 5 };

/* The families a "ruleset" declares; `with_gone` adds one the next rules will not have. */
static struct swl_registry *declare(bool with_gone)
{
	struct swl_registry *r = swl_registry_create(100);
	swl_registry_family(r, "c_total", SWL_COUNTER, "A counter.", lab2, 2, NULL, 0, 0);
	swl_registry_family(r, "g", SWL_GAUGE, "A gauge.", lab2, 2, NULL, 0, 0);
	swl_registry_family(r, "h_seconds", SWL_HISTOGRAM, "A histogram.", NULL, 0, bounds, 3, 0);
	swl_registry_family(r, "up", SWL_GAUGE, "Live.", lab2, 2, NULL, 0, 0);
	if (with_gone)
		swl_registry_family(r, "gone_total", SWL_COUNTER, "Gone.", NULL, 0, NULL, 0, 0);
	return r;
}

static char *render(struct swl_registry *r)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	swl_expo_render(r, SWL_FORMAT_OPENMETRICS, SWL_EXPO_TIMESTAMPS, &b);
	size_t n;
	return swl_buf_steal(&b, &n);
}

static void fill(struct swl_registry *r, struct swl_context *c)
{
	/* label values with every character the escaping must carry */
	struct swl_str v1[] = { swl_str_c("con 1\\x"), swl_str_c("a\nb\t\"c\"") };
	struct swl_str v2[] = { swl_str_c(""), swl_str_c("\\-") };
	swl_series_add(swl_family_series(swl_registry_find(r, "c_total"), v1), 3, 1000001);
	swl_series_add(swl_family_series(swl_registry_find(r, "c_total"), v2), 0.1, 2000002);
	swl_series_set(swl_family_series(swl_registry_find(r, "g"), v1), -1.0 / 3, 3000003);
	swl_series_set(swl_family_series(swl_registry_find(r, "g"), v2), INFINITY, 3000004);
	struct swl_series *h = swl_family_series(swl_registry_find(r, "h_seconds"), NULL);
	swl_series_observe(h, 0.2, 4000000);
	swl_series_observe(h, 3, 4000001);
	swl_series_observe(h, 300, 4000002);
	if (swl_registry_find(r, "gone_total"))
		swl_series_add(swl_family_series(swl_registry_find(r, "gone_total"), NULL), 7, 5000000);
	swl_context_remember(c, swl_str_c("moon|1"), swl_str_c("conn"), swl_str_c("con 1"), 6000000);
	swl_context_remember(c, swl_str_c("moon|1"), swl_str_c("peer"), swl_str_c(""), 6000000);
	swl_context_remember(c, swl_str_c("moon|2"), swl_str_c("conn"), swl_str_c("x\ny"), 6000001);
	struct swl_family *up = swl_registry_find(r, "up");
	swl_context_up(c, up, swl_str_c("moon|1"), swl_str_c("moon"), swl_family_series(up, v1), 7000000);
	swl_context_up(c, up, swl_str_c("moon|2"), swl_str_c("moon"), swl_family_series(up, v1), 7000001);
}

static void save_sample(struct swl_state_pos *pos)
{
	struct swl_registry *r = declare(true);
	struct swl_context *c = swl_context_create(10, 0);
	fill(r, c);
	struct swl_err err;
	cr_assert_eq(swl_state_save(path, pos, r, c, &err), 0, "%s", err.msg);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

Test(state, round_trip_is_exact)
{
	struct swl_file_pos files[] = {
		{ .path = "/var/log/a b.log", .ino = 42, .offset = 1234, .skipping = true, .head_len = 17,
		  .head_hash = 0xfedcba9876543210ULL },
		{ .path = "/var/log/c", .ino = 7, .offset = 0 },
	};
	struct swl_state_pos pos = { .cursor = "s=ab;i=1c;b=00;m=2;t=3;x=4", .nfiles = 2, .files = files };
	save_sample(&pos);

	/* the expected exposition: the same updates on fresh objects */
	struct swl_registry *want = declare(false);
	struct swl_context *wc = swl_context_create(10, 0);
	fill(want, wc);
	char *want_text = render(want);

	struct swl_registry *r = declare(false);
	struct swl_context *c = swl_context_create(10, 0);
	struct swl_state_pos got;
	struct swl_err err;
	size_t dropped;
	cr_assert_eq(swl_state_load(path, &got, r, c, &dropped, &err), 0, "%s", err.msg);
	cr_assert_eq(dropped, 1, "the series of gone_total is dropped");
	char *got_text = render(r);
	cr_assert_str_eq(got_text, want_text);

	cr_assert_str_eq(got.cursor, pos.cursor);
	cr_assert_eq(got.nfiles, 2);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(got.files[i].path, files[i].path);
		cr_assert_eq(got.files[i].ino, files[i].ino);
		cr_assert_eq(got.files[i].offset, files[i].offset);
		cr_assert_eq(got.files[i].skipping, files[i].skipping);
		cr_assert_eq(got.files[i].head_len, files[i].head_len);
		cr_assert_eq(got.files[i].head_hash, files[i].head_hash);
	}
	cr_assert_not_null(swl_state_pos_file(&got, "/var/log/c"));
	cr_assert_null(swl_state_pos_file(&got, "/var/log/d"));

	/* the context came back: labels, and live keys that count once and go down */
	const struct swl_ctx_entry *e = swl_context_get(c, swl_str_c("moon|2"), 0);
	cr_assert_not_null(e);
	cr_assert(swl_str_eqc(swl_ctx_entry_label(e, swl_str_c("conn")), "x\ny"));
	e = swl_context_get(c, swl_str_c("moon|1"), 0);
	cr_assert_not_null(e);
	cr_assert_eq(e->seen_us, 6000000);
	cr_assert_eq(swl_context_live_size(c), 2);
	struct swl_family *up = swl_registry_find(r, "up");
	struct swl_str v1[] = { swl_str_c("con 1\\x"), swl_str_c("a\nb\t\"c\"") };
	struct swl_series *s = swl_family_series(up, v1);
	cr_assert_eq(s->value, 2);
	cr_assert_not(swl_context_up(c, up, swl_str_c("moon|1"), swl_str_c("moon"), s, 8000000), "already live");
	cr_assert_eq(s->value, 2);
	cr_assert_eq(swl_context_down(c, up, swl_str_c("moon|2"), 8000001), s);
	cr_assert_eq(s->value, 1);

	free(got_text);
	free(want_text);
	swl_state_pos_fini(&got);
	swl_context_destroy(c);
	swl_registry_destroy(r);
	swl_context_destroy(wc);
	swl_registry_destroy(want);
}

Test(state, missing_file_is_enoent)
{
	struct swl_registry *r = declare(false);
	struct swl_context *c = swl_context_create(10, 0);
	struct swl_state_pos pos;
	struct swl_err err;
	size_t dropped;
	cr_assert_eq(swl_state_load(path, &pos, r, c, &dropped, &err), -ENOENT);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

Test(state, reshaped_families_are_dropped)
{
	struct swl_state_pos pos = { 0 };
	save_sample(&pos);
	struct swl_registry *r = swl_registry_create(100);
	static const char *const other[] = { "conn" };
	static const double other_bounds[] = { 1, 2 };
	swl_registry_family(r, "c_total", SWL_COUNTER, "labels changed", other, 1, NULL, 0, 0);
	swl_registry_family(r, "g", SWL_COUNTER, "type changed", lab2, 2, NULL, 0, 0);
	swl_registry_family(r, "h_seconds", SWL_HISTOGRAM, "buckets changed", NULL, 0, other_bounds, 2, 0);
	struct swl_context *c = swl_context_create(10, 0);
	struct swl_state_pos got;
	struct swl_err err;
	size_t dropped;
	cr_assert_eq(swl_state_load(path, &got, r, c, &dropped, &err), 0, "%s", err.msg);
	cr_assert_eq(dropped, 2 + 2 + 1 + 1 + 1, "c_total, g, h_seconds, up and gone_total series: %zu", dropped);
	for (size_t i = 0; i < r->nfamilies; i++)
		if (r->families[i] != r->dropped)
			cr_assert_eq(r->families[i]->nseries, 0, "%s has series", r->families[i]->name);
	cr_assert_eq(swl_context_live_size(c), 0, "live keys of a gone family are dropped");
	cr_assert_eq(swl_context_size(c), 2, "the memory is kept");
	swl_state_pos_fini(&got);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

static char *slurp(size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	static char buf[1 << 16];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *p = malloc(*n);
	memcpy(p, buf, *n);
	return p;
}

static void put(const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* The state file as it is now must be refused (-EBADMSG, message naming it), changing nothing. */
static void expect_refused(const char *what)
{
	struct swl_registry *r = declare(false);
	struct swl_context *c = swl_context_create(10, 0);
	char *before = render(r);
	struct swl_state_pos got;
	struct swl_err err;
	size_t dropped;
	int rc = swl_state_load(path, &got, r, c, &dropped, &err);
	cr_assert_eq(rc, -EBADMSG, "%s: load returned %d", what, rc);
	cr_assert(strstr(err.msg, path) != NULL, "%s: message does not name the file: %s", what, err.msg);
	char *after = render(r);
	cr_assert_str_eq(after, before, "%s: the registry changed", what);
	cr_assert_eq(swl_context_size(c), 0, "%s: the context changed", what);
	cr_assert_null(got.cursor);
	free(before);
	free(after);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

Test(state, every_flipped_byte_is_refused)
{
	struct swl_state_pos pos = { .cursor = "s=1" };
	save_sample(&pos);
	size_t n;
	char *good = slurp(&n);
	char *bad = malloc(n);
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, good, n);
		bad[i] ^= 0x01;
		put(bad, n);
		char what[64];
		snprintf(what, sizeof(what), "byte %zu flipped", i);
		expect_refused(what);
	}
	free(bad);
	free(good);
}

Test(state, every_truncation_is_refused)
{
	struct swl_state_pos pos = { 0 };
	save_sample(&pos);
	size_t n;
	char *good = slurp(&n);
	for (size_t len = 0; len < n; len++) {
		put(good, len);
		char what[64];
		snprintf(what, sizeof(what), "cut at %zu of %zu", len, n);
		expect_refused(what);
	}
	free(good);
}

Test(state, foreign_files_are_refused)
{
	static const char *const texts[] = {
		"hello\n",
		"swanlog-state 2\nchecksum 0000000000000000\n",
		"swanlog-state 1\n",
		"{\"json\": true}\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		put(texts[i], strlen(texts[i]));
		expect_refused(texts[i]);
	}
}

Test(state, valid_checksum_over_bad_records_is_refused)
{
	/* a record the reader does not know, with a correct checksum: still refused */
	static const char *const bodies[] = {
		"swanlog-state 1\nbogus 1\n",
		"swanlog-state 1\nseries 0 0x1p+0 0x0p+0 0 0\n",
		"swanlog-state 1\nfamily x counter 2 a\n",
		"swanlog-state 1\nfile /x 1 10 0 2000 00\n",
		"swanlog-state 1\nfile /x 1 10 0 20 00 -5\n",
		"swanlog-state 1\nfile /x 1 10 0 20 00 5 6\n",
		"swanlog-state 1\nctx k 0 0\n",
		"swanlog-state 1\ncursor \\-\n",
		"swanlog-state 1\n\n",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char text[256];
		uint64_t h = swl_hash(SWL_HASH_INIT, bodies[i], strlen(bodies[i]));
		snprintf(text, sizeof(text), "%schecksum %016llx\n", bodies[i], (unsigned long long)h);
		put(text, strlen(text));
		expect_refused(bodies[i]);
	}
}

Test(state, save_is_atomic_and_leaves_no_temporary)
{
	struct swl_state_pos pos = { .cursor = "s=1" };
	save_sample(&pos);
	save_sample(&pos);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_eq(access(tmp, F_OK), -1, "the temporary file is left behind");
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(state, save_into_a_missing_directory_creates_it)
{
	char sub[160];
	snprintf(sub, sizeof(sub), "%s/sub/state", dir);
	struct swl_registry *r = declare(false);
	struct swl_context *c = swl_context_create(10, 0);
	struct swl_state_pos pos = { 0 };
	struct swl_err err;
	cr_assert_eq(swl_state_save(sub, &pos, r, c, &err), 0, "%s", err.msg);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/no/such/state", dir);
	cr_assert_lt(swl_state_save(sub, &pos, r, c, &err), 0);
	cr_assert(strstr(err.msg, sub) != NULL, "%s", err.msg);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}
