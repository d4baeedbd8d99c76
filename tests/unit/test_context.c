/* test_context.c - context memory and live sets stay bounded whatever the log names:
 * entries, key and value sizes, age; live keys count once and eviction takes them down. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>

#include "context.h"

#define S(x) swl_str_c(x)

static struct swl_str keyf(char *buf, size_t cap, const char *fmt, unsigned long i)
{
	snprintf(buf, cap, fmt, i);
	return swl_str_c(buf);
}

Test(context, memory_is_bounded_in_entries_lru_first)
{
	struct swl_context *c = swl_context_create(1000, 0);
	char k[64];
	for (unsigned long i = 0; i < 300000; i++)
		swl_context_remember(c, keyf(k, sizeof(k), "moon|%lu", i), S("peer"), S("198.18.1.2"), 1);
	cr_assert_eq(swl_context_size(c), 1000);
	cr_assert_eq(swl_context_evictions(c), 299000);
	/* the oldest went first; the newest 1000 are all there */
	cr_assert_null(swl_context_get(c, keyf(k, sizeof(k), "moon|%lu", 298999), 0));
	for (unsigned long i = 299000; i < 300000; i++)
		cr_assert_not_null(swl_context_get(c, keyf(k, sizeof(k), "moon|%lu", i), 0));
	/* a lookup refreshes: key 299000 survives the next eviction, 299001 does not */
	cr_assert_not_null(swl_context_get(c, S("moon|299000"), 0));
	swl_context_remember(c, S("new"), S("peer"), S("x"), 1);
	cr_assert_not_null(swl_context_get(c, S("moon|299000"), 0));
	cr_assert_null(swl_context_get(c, S("moon|299001"), 0));
	cr_assert_eq(swl_context_size(c), 1000);
	swl_context_destroy(c);
}

Test(context, labels_per_entry_keys_and_values_are_bounded)
{
	struct swl_context *c = swl_context_create(10, 0);
	char big[70000];
	memset(big, 'A', sizeof(big));
	struct swl_str bigs = { big, sizeof(big) };
	/* a 70 KB key and value are cut to their maxima */
	swl_context_remember(c, bigs, S("peer"), bigs, 1);
	const struct swl_ctx_entry *e = swl_context_get(c, bigs, 0);
	cr_assert_not_null(e);
	cr_assert_eq(strlen(e->key), SWL_CTX_KEY_MAX);
	cr_assert_eq(swl_ctx_entry_label(e, S("peer")).n, SWL_LABEL_VALUE_MAX);
	/* two keys equal in their first SWL_CTX_KEY_MAX bytes are one entry */
	big[SWL_CTX_KEY_MAX + 5] = 'B';
	swl_context_remember(c, bigs, S("conn"), S("c"), 1);
	cr_assert_eq(swl_context_size(c), 1);
	/* no more than SWL_CTX_MAX_LABELS labels per entry, however many names are used */
	char name[32];
	for (unsigned long i = 0; i < 100; i++)
		swl_context_remember(c, S("k"), keyf(name, sizeof(name), "l%lu", i), S("v"), 1);
	e = swl_context_get(c, S("k"), 0);
	cr_assert_eq(e->nlabels, SWL_CTX_MAX_LABELS);
	/* a value with a NUL byte is stored up to it, never past the copy */
	swl_context_remember(c, S("nul"), S("peer"), (struct swl_str){ "ab\0cd", 5 }, 1);
	cr_assert_str_eq(swl_ctx_entry_value(swl_context_get(c, S("nul"), 0), 0).p, "ab");
	swl_context_destroy(c);
}

/* Values are cut at their first NUL byte whatever its place: the short ones are tested a word
 * at a time, so try every length up to past the word tests and every place of the NUL. */
Test(context, values_are_cut_at_a_nul_byte_anywhere)
{
	struct swl_context *c = swl_context_create(10, 0);
	char v[40];
	for (size_t n = 1; n <= sizeof(v); n++) {
		memset(v, 'x', sizeof(v));
		swl_context_remember(c, S("k"), S("peer"), (struct swl_str){ v, n }, 1);
		cr_assert_eq(swl_ctx_entry_label(swl_context_get(c, S("k"), 0), S("peer")).n, n);
		for (size_t z = 0; z < n; z++) {
			v[z] = '\0';
			swl_context_remember(c, S("k"), S("peer"), (struct swl_str){ v, n }, 1);
			cr_assert_eq(swl_ctx_entry_label(swl_context_get(c, S("k"), 0), S("peer")).n, z,
				     "length %zu, NUL at %zu", n, z);
			v[z] = (char)(0x80 + z); /* bytes with the top bit set are no NUL */
		}
	}
	swl_context_destroy(c);
}

Test(context, memory_ages_in_log_time)
{
	struct swl_context *c = swl_context_create(10, 60 * 1000000LL);
	swl_context_remember(c, S("moon|1"), S("peer"), S("p"), 1000 * 1000000LL);
	cr_assert_not_null(swl_context_get(c, S("moon|1"), 1060 * 1000000LL));
	cr_assert_null(swl_context_get(c, S("moon|1"), 1061 * 1000000LL));
	swl_context_destroy(c);
}

Test(context, live_set_is_bounded_and_gauges_stay_exact)
{
	struct swl_registry *r = swl_registry_create(0);
	static const char *const labels[] = { "peer" };
	struct swl_family *f = swl_registry_family(r, "up", SWL_GAUGE, "", labels, 1, NULL, 0, 0);
	struct swl_str v = S("p");
	struct swl_series *s = swl_family_series(f, &v);
	struct swl_context *c = swl_context_create(1000, 0);
	char k[64];
	for (unsigned long i = 0; i < 300000; i++) {
		swl_context_up(c, f, keyf(k, sizeof(k), "moon|%lu", i), S("moon"), s, 1);
		/* announced again: counts once */
		swl_context_up(c, f, keyf(k, sizeof(k), "moon|%lu", i), S("moon"), s, 1);
	}
	cr_assert_eq(swl_context_live_size(c), 1000);
	cr_assert_eq(swl_context_evictions(c), 299000);
	cr_assert_eq(s->value, 1000); /* evicted keys were taken down */
	/* an evicted key is not live: down does nothing, the gauge never goes negative */
	cr_assert_null(swl_context_down(c, f, S("moon|0"), 2));
	cr_assert_eq(swl_context_down(c, f, S("moon|299999"), 2), s);
	cr_assert_eq(s->value, 999);
	/* an empty group is no wildcard; the host group takes every key down */
	cr_assert_eq(swl_context_down_group(c, f, S(""), 3, NULL, NULL), 0);
	cr_assert_eq(swl_context_down_group(c, f, S("moon"), 3, NULL, NULL), 999);
	cr_assert_eq(s->value, 0);
	cr_assert_eq(swl_context_live_size(c), 0);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

Test(context, live_keys_are_bounded_in_size)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "up", SWL_GAUGE, "", NULL, 0, NULL, 0, 0);
	struct swl_series *s = swl_family_series(f, NULL);
	struct swl_context *c = swl_context_create(10, 0);
	char big[70000];
	memset(big, 'K', sizeof(big));
	/* keys longer than SWL_CTX_KEY_MAX that differ only past it are one key */
	cr_assert(swl_context_up(c, f, (struct swl_str){ big, sizeof(big) }, (struct swl_str){ big, sizeof(big) }, s, 1));
	big[sizeof(big) - 1] = 'X';
	cr_assert_not(swl_context_up(c, f, (struct swl_str){ big, sizeof(big) }, S("g"), s, 1));
	cr_assert_eq(s->value, 1);
	cr_assert_eq(swl_context_down(c, f, (struct swl_str){ big, SWL_CTX_KEY_MAX + 1 }, 2), s);
	cr_assert_eq(s->value, 0);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

/* ---- semantics: paths, ages, live sets per family (the maps used directly) ---- */

struct seen {
	char text[512];
};

static void collect_mem(const struct swl_ctx_entry *e, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof(s->text) - n, "%s%s", n ? " " : "", e->key);
}

static const char *mem_keys(struct swl_context *c)
{
	static struct seen s;
	s.text[0] = '\0';
	swl_context_foreach(c, collect_mem, &s);
	return s.text;
}

static void collect_live(const struct swl_family *f, const char *key, const char *group, const struct swl_series *se,
			 void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof(s->text) - n, "%s%s:%s@%s=%s", n ? " " : "", f->name, key, group,
		 f->nlabels ? se->values[0] : "");
}

static const char *live_keys(struct swl_context *c)
{
	static struct seen s;
	s.text[0] = '\0';
	swl_context_foreach_live(c, collect_live, &s);
	return s.text;
}

Test(context, forget_is_by_path)
{
	struct swl_context *c = swl_context_create(100, 0);
	const char *keys[] = { "moon", "moon|3", "moon|3|7", "moonshine|1", "sun|3", "moon|30" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		swl_context_remember(c, S(keys[i]), S("conn"), S("x"), 1);
	cr_assert_str_eq(mem_keys(c), "moon moon|3 moon|3|7 moonshine|1 sun|3 moon|30");
	swl_context_forget(c, S(""));
	swl_context_forget(c, S("moo"));
	cr_assert_eq(swl_context_size(c), 6);
	swl_context_forget(c, S("moon|3"));
	cr_assert_str_eq(mem_keys(c), "moon moonshine|1 sun|3 moon|30");
	swl_context_forget(c, S("moon"));
	cr_assert_str_eq(mem_keys(c), "moonshine|1 sun|3");
	swl_context_forget_all(c);
	cr_assert_eq(swl_context_size(c), 0);
	cr_assert_str_eq(mem_keys(c), "");
	swl_context_destroy(c);
}

Test(context, remember_merges_labels_and_refreshes)
{
	struct swl_context *c = swl_context_create(2, 60 * 1000000LL);
	swl_context_remember(c, S("a"), S("conn"), S("home"), 1000000);
	swl_context_remember(c, S("a"), S("peer"), S("192.0.2.1"), 2000000);
	swl_context_remember(c, S("a"), S("conn"), S("office"), 3000000);
	const struct swl_ctx_entry *e = swl_context_get(c, S("a"), 3000000);
	cr_assert_not_null(e);
	cr_assert_eq(e->seen_us, 3000000);
	cr_assert_eq(e->nlabels, 2);
	struct swl_str v = swl_ctx_entry_label(e, S("conn"));
	cr_assert(swl_str_eqc(v, "office"));
	cr_assert(swl_str_eqc(swl_ctx_entry_label(e, S("peer")), "192.0.2.1"));
	cr_assert_null(swl_ctx_entry_label(e, S("nope")).p);
	/* remembering refreshes the LRU position: b is evicted, not a */
	swl_context_remember(c, S("b"), S("conn"), S("x"), 4000000);
	swl_context_remember(c, S("a"), S("conn"), S("y"), 5000000);
	swl_context_remember(c, S("c"), S("conn"), S("z"), 6000000);
	cr_assert_str_eq(mem_keys(c), "a c");
	cr_assert_eq(swl_context_evictions(c), 1);
	swl_context_destroy(c);
}

Test(context, expired_entry_remembered_again_starts_empty)
{
	struct swl_context *c = swl_context_create(10, 60 * 1000000LL);
	swl_context_remember(c, S("moon|1"), S("conn"), S("a"), 1000 * 1000000LL);
	swl_context_remember(c, S("moon|1"), S("peer"), S("198.51.100.1"), 1000 * 1000000LL);
	/* 61 s later the entry is absent; remembering conn again must not revive the stale peer */
	cr_assert_null(swl_context_get(c, S("moon|1"), 1061 * 1000000LL));
	swl_context_remember(c, S("moon|1"), S("conn"), S("b"), 1061 * 1000000LL);
	const struct swl_ctx_entry *e = swl_context_get(c, S("moon|1"), 1061 * 1000000LL);
	cr_assert_not_null(e);
	cr_assert_eq(e->nlabels, 1);
	cr_assert(swl_str_eqc(swl_ctx_entry_label(e, S("conn")), "b"));
	cr_assert_null(swl_ctx_entry_label(e, S("peer")).p);
	/* without a time (0) there is no age check */
	cr_assert_not_null(swl_context_get(c, S("moon|1"), 0));
	swl_context_destroy(c);
}

/* What the rules' memo of lookups relies on: the version changes only when something does,
 * an entry changed carries the new version as its stamp (others keep theirs), and inserts
 * counts entries that a lookup may now find where it found nothing. */
Test(context, versions_stamps_and_inserts)
{
	struct swl_context *c = swl_context_create(10, 60 * 1000000LL);
	swl_context_remember(c, S("a"), S("conn"), S("home"), 1000000);
	swl_context_remember(c, S("b"), S("conn"), S("lab"), 1000000);
	const struct swl_ctx_entry *a = swl_context_get(c, S("a"), 0), *b = swl_context_get(c, S("b"), 0);
	uint64_t v = swl_context_version(c), ins = swl_context_inserts(c), moves = swl_context_moves(c);
	uint32_t astamp = a->stamp, bstamp = b->stamp;
	cr_assert_eq(bstamp, (uint32_t)v);
	cr_assert_neq(astamp, bstamp);
	/* the same value again: nothing changes, not even the stamp */
	swl_context_remember(c, S("a"), S("conn"), S("home"), 2000000);
	cr_assert_eq(swl_context_version(c), v);
	cr_assert_eq(a->stamp, astamp);
	/* a new value, in place: a's stamp is the new version, b keeps its own, nothing moved */
	swl_context_remember(c, S("a"), S("conn"), S("work"), 3000000);
	cr_assert_gt(swl_context_version(c), v);
	cr_assert_eq(a->stamp, (uint32_t)swl_context_version(c));
	cr_assert_eq(b->stamp, bstamp);
	cr_assert_eq(swl_context_moves(c), moves);
	cr_assert_eq(swl_context_inserts(c), ins);
	/* a new label changes the stamp too */
	v = swl_context_version(c);
	swl_context_remember(c, S("a"), S("peer"), S("192.0.2.1"), 3000000);
	cr_assert_gt(swl_context_version(c), v);
	cr_assert_eq(swl_context_inserts(c), ins);
	/* a new entry, and an expired one remembered again, are inserts */
	swl_context_remember(c, S("c"), S("conn"), S("x"), 3000000);
	cr_assert_eq(swl_context_inserts(c), ins + 1);
	swl_context_remember(c, S("b"), S("conn"), S("lab"), 100 * 1000000LL);
	cr_assert_eq(swl_context_inserts(c), ins + 2);
	swl_context_destroy(c);
}

struct taken {
	size_t n;
	struct swl_series *s[8];
};

static void took(struct swl_series *s, void *arg)
{
	struct taken *t = arg;
	if (t->n < 8)
		t->s[t->n++] = s;
}

Test(context, live_sets_per_family_groups_regroup_reset)
{
	struct swl_registry *r = swl_registry_create(0);
	static const char *const labels[] = { "conn" };
	struct swl_family *ike = swl_registry_family(r, "ike_up", SWL_GAUGE, "", labels, 1, NULL, 0, 0);
	struct swl_family *child = swl_registry_family(r, "child_up", SWL_GAUGE, "", labels, 1, NULL, 0, 0);
	struct swl_str home = S("home"), office = S("office");
	struct swl_series *ih = swl_family_series(ike, &home), *io = swl_family_series(ike, &office);
	struct swl_series *ch = swl_family_series(child, &home);
	struct swl_context *c = swl_context_create(100, 0);

	cr_assert(swl_context_up(c, ike, S("moon|1"), S("moon"), ih, 10));
	/* live in one series only: announcing it under another conn changes nothing */
	cr_assert_not(swl_context_up(c, ike, S("moon|1"), S("moon"), io, 11));
	cr_assert_eq(ih->value, 1);
	cr_assert_eq(io->value, 0);
	cr_assert_eq(io->updated_us, 0);
	/* the same key in another family is another thing */
	cr_assert(swl_context_up(c, child, S("moon|1"), S("moon|1"), ch, 12));
	cr_assert(swl_context_up(c, child, S("moon|2"), S("moon|1|x"), ch, 12));
	cr_assert(swl_context_up(c, child, S("moonshine|1"), S("moonshine|1"), ch, 12));
	cr_assert(swl_context_up(c, ike, S("moon|2"), S("moon"), io, 13));
	cr_assert_eq(ch->value, 3);
	cr_assert_str_eq(live_keys(c), "ike_up:moon|1@moon=home child_up:moon|1@moon|1=home "
				       "child_up:moon|2@moon|1|x=home child_up:moonshine|1@moonshine|1=home "
				       "ike_up:moon|2@moon=office");
	/* regroup moves a group and the groups under it */
	swl_context_regroup(c, child, S("moon|1"), S("moon|5"));
	swl_context_regroup(c, child, S(""), S("moon|6"));
	cr_assert_str_eq(live_keys(c), "ike_up:moon|1@moon=home child_up:moon|1@moon|5=home "
				       "child_up:moon|2@moon|5=home child_up:moonshine|1@moonshine|1=home "
				       "ike_up:moon|2@moon=office");
	cr_assert_eq(swl_context_down_group(c, child, S("moon|1"), 20, NULL, NULL), 0);
	/* down_group: by path ("moon" holds "moon|5", not "moonshine|1"), only in its family,
	 * reporting the series of each key taken down */
	struct taken t = { 0 };
	cr_assert_eq(swl_context_down_group(c, child, S("moon"), 21, took, &t), 2);
	cr_assert_eq(t.n, 2);
	cr_assert_eq(t.s[0], ch);
	cr_assert_eq(t.s[1], ch);
	cr_assert_eq(ch->value, 1);
	cr_assert_eq(ch->updated_us, 21);
	cr_assert_eq(swl_context_down(c, ike, S("moon|1"), 22), ih);
	cr_assert_null(swl_context_down(c, ike, S("moon|1"), 23));
	cr_assert_eq(ih->value, 0);
	cr_assert_eq(ih->updated_us, 22);
	/* reset: every key of one family */
	swl_context_reset(c, ike, 30);
	cr_assert_eq(io->value, 0);
	cr_assert_str_eq(live_keys(c), "child_up:moonshine|1@moonshine|1=home");
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

/* Entries are one allocation each: a changed value is rewritten in place, a longer one or a new
 * label moves the entry; the entry last looked up is remembered for the next lookup of the
 * same key. None of this may show: every label reads back, and what was forgotten, evicted
 * or moved is never found again (ASan and valgrind check the freed memory). */
Test(context, entries_change_move_and_are_found_again)
{
	struct swl_context *c = swl_context_create(3, 0);
	swl_context_remember(c, S("moon|1"), S("conn"), S("home"), 1);
	swl_context_remember(c, S("moon|1"), S("conn"), S("home"), 2); /* the same value */
	swl_context_remember(c, S("moon|1"), S("conn"), S("lab"), 3);  /* shorter: in place */
	const struct swl_ctx_entry *e = swl_context_get(c, S("moon|1"), 0);
	cr_assert(swl_str_eqc(swl_ctx_entry_label(e, S("conn")), "lab"));
	cr_assert_eq(e->seen_us, 3);
	/* longer values and new labels, enough to outgrow the entry several times */
	char v[300];
	memset(v, 'x', sizeof(v));
	swl_context_remember(c, S("moon|1"), S("peer"), (struct swl_str){ v, 40 }, 4);
	swl_context_remember(c, S("moon|1"), S("conn"), (struct swl_str){ v, 200 }, 5);
	for (unsigned long i = 0; i < 6; i++) {
		char name[8];
		swl_context_remember(c, S("moon|1"), keyf(name, sizeof(name), "l%lu", i), (struct swl_str){ v, 100 + i }, 6);
	}
	e = swl_context_get(c, S("moon|1"), 0);
	cr_assert_eq(e->nlabels, SWL_CTX_MAX_LABELS);
	cr_assert_eq(swl_ctx_entry_label(e, S("conn")).n, 200);
	cr_assert_eq(swl_ctx_entry_label(e, S("peer")).n, 40);
	cr_assert_eq(swl_ctx_entry_label(e, S("l5")).n, 105);
	cr_assert_str_eq(swl_ctx_entry_name(e, 0).p, "conn");
	cr_assert_eq(strlen(swl_ctx_entry_value(e, 0).p), 200);
	cr_assert_str_eq(e->key, "moon|1");
	/* a value that shrinks back is read back as it is now */
	swl_context_remember(c, S("moon|1"), S("conn"), S("c"), 7);
	cr_assert(swl_str_eqc(swl_ctx_entry_label(swl_context_get(c, S("moon|1"), 0), S("conn")), "c"));
	/* forgotten right after a lookup: not found again */
	swl_context_forget(c, S("moon|1"));
	cr_assert_null(swl_context_get(c, S("moon|1"), 0));
	/* evicted right after being looked up */
	swl_context_remember(c, S("a"), S("conn"), S("1"), 1);
	swl_context_remember(c, S("b"), S("conn"), S("2"), 1);
	swl_context_remember(c, S("c"), S("conn"), S("3"), 1);
	cr_assert_not_null(swl_context_get(c, S("b"), 0));
	cr_assert_not_null(swl_context_get(c, S("c"), 0));
	swl_context_remember(c, S("d"), S("conn"), S("4"), 1); /* evicts a, the oldest */
	cr_assert_null(swl_context_get(c, S("a"), 0));
	cr_assert_eq(swl_context_evictions(c), 1);
	/* a key equal to the last one up to its length is another key */
	cr_assert_null(swl_context_get(c, S("dd"), 0));
	cr_assert_null(swl_context_get(c, S(""), 0));
	swl_context_destroy(c);

	/* live entries: a longer group moves the entry, which is then found and taken down once */
	struct swl_registry *r = swl_registry_create(0);
	static const char *const labels[] = { "conn" };
	struct swl_family *f = swl_registry_family(r, "child_up", SWL_GAUGE, "", labels, 1, NULL, 0, 0);
	struct swl_str home = S("home");
	struct swl_series *s = swl_family_series(f, &home);
	c = swl_context_create(10, 0);
	cr_assert(swl_context_up(c, f, S("moon|1|7"), S("moon|1"), s, 1));
	cr_assert_not(swl_context_up(c, f, S("moon|1|7"), S("moon|1"), s, 2));
	swl_context_regroup(c, f, S("moon|1"), S("moon|123456789012345678901234567890"));
	cr_assert_str_eq(live_keys(c), "child_up:moon|1|7@moon|123456789012345678901234567890=home");
	cr_assert_not(swl_context_up(c, f, S("moon|1|7"), S("x"), s, 3));
	cr_assert_eq(swl_context_down_group(c, f, S("moon|123456789012345678901234567890"), 4, NULL, NULL), 1);
	cr_assert_eq(s->value, 0);
	cr_assert_null(swl_context_down(c, f, S("moon|1|7"), 5));
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

/* ---- the maps' structure, checked against a plain model: open addressing (probe runs that
 * wrap around the table, deletion that shifts runs back, growth), LRU order and eviction,
 * forget by path with and without keys under the path, entries past max_age ---- */

#define MODEL_MAX 48 /* 3/4 of the smallest table: long probe runs, wrapping around */
#define MODEL_AGE 100

struct model_entry {
	char key[24];
	int64_t seen;
	size_t nlabels;
	char names[SWL_CTX_MAX_LABELS][8];
	char values[SWL_CTX_MAX_LABELS][48];
};

struct model {
	struct model_entry e[MODEL_MAX]; /* oldest first */
	size_t n;
	uint64_t evictions;
};

static int model_find(const struct model *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->e[i].key, key) == 0)
			return (int)i;
	return -1;
}

static void model_to_newest(struct model *m, size_t i)
{
	struct model_entry e = m->e[i];
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(e));
	m->e[m->n - 1] = e;
}

static bool model_expired(const struct model_entry *e, int64_t now)
{
	return now && now - e->seen > MODEL_AGE;
}

static void model_remember(struct model *m, const char *key, const char *name, const char *value, int64_t now)
{
	int i = model_find(m, key);
	if (i < 0) {
		if (m->n == MODEL_MAX) {
			memmove(&m->e[0], &m->e[1], (m->n - 1) * sizeof(m->e[0]));
			m->n--;
			m->evictions++;
		}
		i = (int)m->n++;
		memset(&m->e[i], 0, sizeof(m->e[i]));
		snprintf(m->e[i].key, sizeof(m->e[i].key), "%s", key);
	} else {
		model_to_newest(m, (size_t)i);
		i = (int)m->n - 1;
		if (model_expired(&m->e[i], now))
			m->e[i].nlabels = 0;
	}
	struct model_entry *e = &m->e[i];
	e->seen = now;
	size_t l = 0;
	while (l < e->nlabels && strcmp(e->names[l], name) != 0)
		l++;
	if (l == e->nlabels)
		snprintf(e->names[e->nlabels++], sizeof(e->names[0]), "%s", name);
	snprintf(e->values[l], sizeof(e->values[0]), "%s", value);
}

static const struct model_entry *model_get(struct model *m, const char *key, int64_t now)
{
	int i = model_find(m, key);
	if (i < 0 || model_expired(&m->e[i], now))
		return NULL;
	model_to_newest(m, (size_t)i);
	return &m->e[m->n - 1];
}

static void model_forget(struct model *m, const char *key)
{
	size_t k = strlen(key), j = 0;
	for (size_t i = 0; i < m->n; i++) {
		const char *s = m->e[i].key;
		bool under = k && strncmp(s, key, k) == 0 && (s[k] == '\0' || s[k] == '|');
		if (!under)
			m->e[j++] = m->e[i];
	}
	m->n = j;
}

static void same_entry(const struct swl_ctx_entry *e, const struct model_entry *me)
{
	cr_assert_str_eq(e->key, me->key);
	cr_assert_eq(e->seen_us, me->seen);
	cr_assert_eq(e->nlabels, me->nlabels, "%s: %u labels, want %zu", me->key, e->nlabels, me->nlabels);
	for (size_t l = 0; l < me->nlabels; l++) {
		cr_assert_str_eq(swl_ctx_entry_name(e, l).p, me->names[l]);
		cr_assert_str_eq(swl_ctx_entry_value(e, l).p, me->values[l]);
		cr_assert_eq(swl_ctx_entry_value(e, l).n, strlen(me->values[l]));
		cr_assert(swl_str_eqc(swl_ctx_entry_label(e, swl_str_c(me->names[l])), me->values[l]));
	}
}

struct model_walk {
	const struct model *m;
	size_t i;
};

static void walk_entry(const struct swl_ctx_entry *e, void *arg)
{
	struct model_walk *w = arg;
	cr_assert_lt(w->i, w->m->n);
	same_entry(e, &w->m->e[w->i++]);
}

static void same_as_model(struct swl_context *c, const struct model *m)
{
	cr_assert_eq(swl_context_size(c), m->n);
	cr_assert_eq(swl_context_evictions(c), m->evictions);
	struct model_walk w = { m, 0 };
	swl_context_foreach(c, walk_entry, &w); /* oldest first, like the model */
	cr_assert_eq(w.i, m->n);
}

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/* A key of a small space of paths: "h1", "h1|5", "h1|5|2", so that forget finds keys under a
 * path, or none, and the table holds up to MODEL_MAX of them. */
static void random_key(char *buf, size_t cap)
{
	switch (rnd(9)) {
	case 8: /* deeper than the path counts go */
		snprintf(buf, cap, "h%lu|%lu|%lu|%lu|%lu|%lu", (unsigned long)rnd(2), (unsigned long)rnd(2),
			 (unsigned long)rnd(2), (unsigned long)rnd(2), (unsigned long)rnd(2), (unsigned long)rnd(2));
		break;
	case 0:
		snprintf(buf, cap, "h%lu", (unsigned long)rnd(4));
		break;
	case 1:
	case 2:
		snprintf(buf, cap, "h%lu|%lu|%lu", (unsigned long)rnd(4), (unsigned long)rnd(30), (unsigned long)rnd(3));
		break;
	default:
		snprintf(buf, cap, "h%lu|%lu", (unsigned long)rnd(4), (unsigned long)rnd(30));
	}
}

Test(context, maps_match_a_plain_model)
{
	static const char *const names[] = { "conn", "peer", "a", "ab", "zz" };
	struct swl_context *c = swl_context_create(MODEL_MAX, MODEL_AGE);
	static struct model m;
	memset(&m, 0, sizeof(m));
	int64_t now = 1;
	char key[24], value[48];
	for (unsigned long step = 0; step < 60000; step++) {
		now += (int64_t)rnd(4); /* entries come to be past MODEL_AGE now and then */
		int64_t t = rnd(16) ? now : 0; /* 0: no age check */
		random_key(key, sizeof(key));
		uint64_t op = rnd(16);
		if (op < 8) {
			size_t len = (size_t)rnd(sizeof(value) - 1);
			memset(value, (int)('a' + rnd(26)), len);
			value[len] = '\0';
			const char *name = names[rnd(sizeof(names) / sizeof(names[0]))];
			swl_context_remember(c, swl_str_c(key), swl_str_c(name), swl_str_c(value), t ? t : now);
			model_remember(&m, key, name, value, t ? t : now);
		} else if (op < 14) {
			const struct swl_ctx_entry *e = swl_context_get(c, swl_str_c(key), t);
			const struct model_entry *me = model_get(&m, key, t);
			cr_assert_eq(e != NULL, me != NULL, "step %lu: get %s", step, key);
			if (e)
				same_entry(e, me);
		} else if (op < 15) {
			swl_context_forget(c, swl_str_c(key));
			model_forget(&m, key);
		} else {
			/* a path that may hold keys without being one: "h2", "h2|7", "h1|0|1|1" */
			char *bar = strchr(key, '|');
			for (uint64_t cut = rnd(6); bar && cut; cut--)
				bar = strchr(bar + 1, '|');
			if (bar)
				*bar = '\0';
			swl_context_forget(c, swl_str_c(key));
			model_forget(&m, key);
		}
		if (step % 97 == 0)
			same_as_model(c, &m);
		if (step == 30000) { /* and again from empty: nothing stale is left behind */
			swl_context_forget_all(c);
			m.n = 0;
		}
	}
	same_as_model(c, &m);
	swl_context_destroy(c);
}

Test(context, tables_grow_and_shrink_back_without_losing_keys)
{
	struct swl_context *c = swl_context_create(100000, 0);
	char k[64];
	/* grows from the smallest table past 64k slots */
	for (unsigned long i = 0; i < 60000; i++)
		swl_context_remember(c, keyf(k, sizeof(k), "gw|%lu", i), S("conn"), S("c"), (int64_t)i + 1);
	cr_assert_eq(swl_context_size(c), 60000);
	for (unsigned long i = 0; i < 60000; i++)
		cr_assert_not_null(swl_context_get(c, keyf(k, sizeof(k), "gw|%lu", i), 0), "gw|%lu", i);
	/* forget two keys in three: runs shift back, every other key is still found */
	for (unsigned long i = 0; i < 60000; i++)
		if (i % 3)
			swl_context_forget(c, keyf(k, sizeof(k), "gw|%lu", i));
	cr_assert_eq(swl_context_size(c), 20000);
	for (unsigned long i = 0; i < 60000; i++)
		cr_assert_eq(swl_context_get(c, keyf(k, sizeof(k), "gw|%lu", i), 0) != NULL, i % 3 == 0, "gw|%lu", i);
	cr_assert_null(swl_context_get(c, S("gw"), 0));
	/* a path that holds keys without being one takes them all */
	swl_context_forget(c, S("gw"));
	cr_assert_eq(swl_context_size(c), 0);
	swl_context_destroy(c);
}

Test(context, forget_with_and_without_keys_under_the_path)
{
	struct swl_context *c = swl_context_create(100, 0);
	const char *keys[] = { "moon|3", "moon|3|7", "moon|3|7|1", "moon|30", "moon|3x", "sun|3", "a||b" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		swl_context_remember(c, S(keys[i]), S("conn"), S("x"), 1);
	/* no key under moon|30: only itself */
	swl_context_forget(c, S("moon|30"));
	cr_assert_str_eq(mem_keys(c), "moon|3 moon|3|7 moon|3|7|1 moon|3x sun|3 a||b");
	/* keys under moon|3|7, which is a key too */
	swl_context_forget(c, S("moon|3|7"));
	cr_assert_str_eq(mem_keys(c), "moon|3 moon|3x sun|3 a||b");
	/* moon|3 has no key under it any more: only itself, not moon|3x */
	swl_context_forget(c, S("moon|3"));
	cr_assert_str_eq(mem_keys(c), "moon|3x sun|3 a||b");
	/* keys deeper than the path counts go are found under every ancestor */
	swl_context_remember(c, S("d|1|2|3|4|5|6"), S("conn"), S("x"), 1);
	swl_context_remember(c, S("d|1|2|3|4|5"), S("conn"), S("x"), 1);
	swl_context_remember(c, S("d|1|2|3|4|9"), S("conn"), S("x"), 1);
	swl_context_forget(c, S("d|1|2|3|4|5"));
	cr_assert_str_eq(mem_keys(c), "moon|3x sun|3 a||b d|1|2|3|4|9");
	swl_context_forget(c, S("d|1|2|3|4|9|1"));
	swl_context_forget(c, S("d|1|2|3|4"));
	cr_assert_str_eq(mem_keys(c), "moon|3x sun|3 a||b");
	swl_context_remember(c, S("e|1|2|3|4|5|6"), S("conn"), S("x"), 1);
	swl_context_forget(c, S("e|1"));
	cr_assert_str_eq(mem_keys(c), "moon|3x sun|3 a||b");
	/* an empty path segment is a path too */
	swl_context_forget(c, S("a|"));
	cr_assert_str_eq(mem_keys(c), "moon|3x sun|3");
	/* keys under a path that was evicted are counted down: moon|9|1 goes, moon|9 stays */
	struct swl_context *small = swl_context_create(2, 0);
	swl_context_remember(small, S("moon|9|1"), S("conn"), S("x"), 1);
	swl_context_remember(small, S("moon|9"), S("conn"), S("x"), 1);
	swl_context_remember(small, S("sun"), S("conn"), S("x"), 1); /* evicts moon|9|1 */
	swl_context_forget(small, S("moon|9"));
	cr_assert_str_eq(mem_keys(small), "sun");
	swl_context_remember(small, S("moon|9|1"), S("conn"), S("x"), 1);
	swl_context_forget(small, S("moon"));
	cr_assert_str_eq(mem_keys(small), "sun");
	swl_context_destroy(small);
	swl_context_destroy(c);
}

Test(context, entries_past_max_age_stay_in_lru_order)
{
	struct swl_context *c = swl_context_create(3, 60);
	swl_context_remember(c, S("a"), S("conn"), S("1"), 100);
	swl_context_remember(c, S("b"), S("conn"), S("2"), 150);
	swl_context_remember(c, S("c"), S("conn"), S("3"), 150);
	/* a is past max_age: absent, and looking it up does not make it recent */
	cr_assert_null(swl_context_get(c, S("a"), 161));
	cr_assert_eq(swl_context_size(c), 3);
	cr_assert_str_eq(mem_keys(c), "a b c");
	/* a lookup of the newest entry keeps the order; of another one, moves it last */
	cr_assert_not_null(swl_context_get(c, S("c"), 161));
	cr_assert_str_eq(mem_keys(c), "a b c");
	cr_assert_not_null(swl_context_get(c, S("b"), 161));
	cr_assert_str_eq(mem_keys(c), "a c b");
	/* the next new key evicts a, the least recently used */
	swl_context_remember(c, S("d"), S("conn"), S("4"), 162);
	cr_assert_str_eq(mem_keys(c), "c b d");
	cr_assert_eq(swl_context_evictions(c), 1);
	swl_context_destroy(c);
}

Test(context, label_runs_keep_their_order_when_values_change)
{
	struct swl_context *c = swl_context_create(4, 0);
	struct swl_str names[] = { S("conn"), S("peer"), S("id") };
	struct swl_str values[] = { S("home"), S("192.0.2.1"), S("7") };
	swl_context_remember_labels(c, S("k"), names, values, 3, 1);
	/* the middle value grows past the allocation, then shrinks; the others do not move */
	char v[200];
	memset(v, 'v', sizeof(v));
	swl_context_remember(c, S("k"), S("peer"), (struct swl_str){ v, sizeof(v) }, 2);
	const struct swl_ctx_entry *e = swl_context_get(c, S("k"), 0);
	cr_assert_str_eq(swl_ctx_entry_name(e, 0).p, "conn");
	cr_assert_str_eq(swl_ctx_entry_value(e, 0).p, "home");
	cr_assert_str_eq(swl_ctx_entry_name(e, 1).p, "peer");
	cr_assert_eq(swl_ctx_entry_value(e, 1).n, sizeof(v));
	cr_assert_eq(strlen(swl_ctx_entry_value(e, 1).p), sizeof(v));
	cr_assert_str_eq(swl_ctx_entry_name(e, 2).p, "id");
	cr_assert_str_eq(swl_ctx_entry_value(e, 2).p, "7");
	swl_context_remember(c, S("k"), S("peer"), S(""), 3);
	swl_context_remember(c, S("k"), S("id"), S("12345"), 3);
	e = swl_context_get(c, S("k"), 0);
	cr_assert_str_eq(swl_ctx_entry_value(e, 1).p, "");
	cr_assert_not_null(swl_ctx_entry_label(e, S("peer")).p);
	cr_assert_str_eq(swl_ctx_entry_value(e, 2).p, "12345");
	cr_assert(swl_str_eqc(swl_ctx_entry_label(e, S("id")), "12345"));
	/* a name given twice in one call is one label, with the last value */
	struct swl_str twice_n[] = { S("x"), S("x") }, twice_v[] = { S("1"), S("22") };
	swl_context_remember_labels(c, S("t"), twice_n, twice_v, 2, 1);
	e = swl_context_get(c, S("t"), 0);
	cr_assert_eq(e->nlabels, 1);
	cr_assert(swl_str_eqc(swl_ctx_entry_label(e, S("x")), "22"));
	/* a name of the same length but other bytes is another label */
	cr_assert_null(swl_ctx_entry_label(e, S("y")).p);
	swl_context_destroy(c);
}

Test(context, live_sets_grow_and_find_every_key)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *f = swl_registry_family(r, "up", SWL_GAUGE, "", NULL, 0, NULL, 0, 0);
	struct swl_family *g = swl_registry_family(r, "up2", SWL_GAUGE, "", NULL, 0, NULL, 0, 0);
	struct swl_series *s = swl_family_series(f, NULL), *s2 = swl_family_series(g, NULL);
	struct swl_context *c = swl_context_create(100000, 0);
	char k[64];
	for (unsigned long i = 0; i < 30000; i++) {
		cr_assert(swl_context_up(c, f, keyf(k, sizeof(k), "gw|%lu", i), S("gw"), s, 1));
		cr_assert(swl_context_up(c, g, keyf(k, sizeof(k), "gw|%lu", i), S("gw"), s2, 1));
	}
	cr_assert_eq(s->value, 30000);
	for (unsigned long i = 0; i < 30000; i += 2)
		cr_assert_eq(swl_context_down(c, f, keyf(k, sizeof(k), "gw|%lu", i), 2), s);
	for (unsigned long i = 0; i < 30000; i++)
		cr_assert_eq(swl_context_up(c, f, keyf(k, sizeof(k), "gw|%lu", i), S("gw"), s, 3), i % 2 == 0);
	cr_assert_eq(s->value, 30000);
	cr_assert_eq(s2->value, 30000);
	cr_assert_eq(swl_context_live_size(c), 60000);
	swl_context_reset(c, g, 4);
	cr_assert_eq(s2->value, 0);
	cr_assert_eq(swl_context_live_size(c), 30000);
	swl_context_destroy(c);
	swl_registry_destroy(r);
}

/* Live sets against a plain model: a random mix of up, down, down_group, regroup and
 * eviction, over nested groups ("h" holds "h|1", which holds "h|1|x") in two families. Taking
 * a group down or regrouping it goes by its own list when no group lies under it and by a
 * walk otherwise: both must give exactly what the model gives, after every step. */
struct model_key {
	int family, group; /* group: index into model_groups; -1: not live */
	unsigned age;      /* order of becoming live, for eviction */
};

static const char *const model_groups[] = { "h", "h|1", "h|2", "h|1|x", "g|1", "g|1|y", "" };
#define MODEL_GROUPS (sizeof(model_groups) / sizeof(model_groups[0]))
#define MODEL_KEYS 40
#define LIVE_MAX 24

static bool model_under(const char *g, const char *parent)
{
	size_t n = strlen(parent);
	return n && strncmp(g, parent, n) == 0 && (g[n] == '\0' || g[n] == '|');
}

static void model_text(const struct model_key m[2][MODEL_KEYS], char *out, size_t cap)
{
	/* "family:key@group" sorted by family then key, as live_sorted prints */
	size_t used = 0;
	out[0] = '\0';
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < MODEL_KEYS; k++)
			if (m[f][k].group >= 0)
				used += (size_t)snprintf(out + used, cap - used, "%d:k%02d@%s ", f, k,
							 model_groups[m[f][k].group]);
}

struct sorted_live {
	const struct swl_family *fam[2];
	char rows[2 * MODEL_KEYS][80];
	size_t n;
};

static void collect_sorted(const struct swl_family *f, const char *key, const char *group,
			   const struct swl_series *s, void *arg)
{
	(void)s;
	struct sorted_live *sl = arg;
	snprintf(sl->rows[sl->n++], sizeof(sl->rows[0]), "%d:%s@%s ", f == sl->fam[1], key, group);
}

static int cmp_rows(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void live_sorted(struct swl_context *c, struct sorted_live *sl, char *out, size_t cap)
{
	sl->n = 0;
	swl_context_foreach_live(c, collect_sorted, sl);
	qsort(sl->rows, sl->n, sizeof(sl->rows[0]), cmp_rows);
	out[0] = '\0';
	for (size_t i = 0; i < sl->n; i++)
		strncat(out, sl->rows[i], cap - strlen(out) - 1);
}

Test(context, live_groups_match_a_model)
{
	struct swl_registry *r = swl_registry_create(0);
	struct swl_family *fam[2] = { swl_registry_family(r, "a_up", SWL_GAUGE, "", NULL, 0, NULL, 0, 0),
				      swl_registry_family(r, "b_up", SWL_GAUGE, "", NULL, 0, NULL, 0, 0) };
	struct swl_series *series[2] = { swl_family_series(fam[0], NULL), swl_family_series(fam[1], NULL) };
	struct swl_context *c = swl_context_create(LIVE_MAX, 0);
	struct model_key m[2][MODEL_KEYS];
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < MODEL_KEYS; k++)
			m[f][k] = (struct model_key){ .group = -1 };
	struct sorted_live sl = { .fam = { fam[0], fam[1] } };
	static char want[8192], got[8192];
	unsigned seed = 12345, age = 0, live = 0;
	char key[16];
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned x = seed >> 8;
		int f = (int)(x & 1), k = (int)((x >> 1) % MODEL_KEYS), g = (int)((x >> 7) % MODEL_GROUPS),
		    g2 = (int)((x >> 11) % MODEL_GROUPS);
		snprintf(key, sizeof(key), "k%02d", k);
		switch ((x >> 15) % 8) {
		case 0: case 1: case 2: case 3: /* up (evicting the oldest live key when full) */
			if (m[f][k].group >= 0)
				break;
			if (live == LIVE_MAX) {
				int of = 0, ok = -1;
				for (int ff = 0; ff < 2; ff++)
					for (int kk = 0; kk < MODEL_KEYS; kk++)
						if (m[ff][kk].group >= 0 && (ok < 0 || m[ff][kk].age < m[of][ok].age))
							of = ff, ok = kk;
				m[of][ok].group = -1;
				live--;
			}
			swl_context_up(c, fam[f], S(key), S(model_groups[g]), series[f], step);
			m[f][k] = (struct model_key){ .group = g, .age = age++ };
			live++;
			break;
		case 4: /* down */
			swl_context_down(c, fam[f], S(key), step);
			if (m[f][k].group >= 0)
				live--;
			m[f][k].group = -1;
			break;
		case 5: case 6: /* down_group: the group and every group under it */
			swl_context_down_group(c, fam[f], S(model_groups[g]), step, NULL, NULL);
			for (int kk = 0; kk < MODEL_KEYS; kk++)
				if (m[f][kk].group >= 0 && model_under(model_groups[m[f][kk].group], model_groups[g])) {
					m[f][kk].group = -1;
					live--;
				}
			break;
		default: /* regroup: the group and every group under it become g2 */
			swl_context_regroup(c, fam[f], S(model_groups[g]), S(model_groups[g2]));
			for (int kk = 0; kk < MODEL_KEYS; kk++)
				if (m[f][kk].group >= 0 && model_under(model_groups[m[f][kk].group], model_groups[g]))
					m[f][kk].group = g2;
			break;
		}
		model_text(m, want, sizeof(want));
		live_sorted(c, &sl, got, sizeof(got));
		cr_assert_str_eq(got, want, "step %d: got %s want %s", step, got, want);
		cr_assert_eq(series[0]->value + series[1]->value, (double)live, "step %d", step);
	}
	swl_context_destroy(c);
	swl_registry_destroy(r);
}
