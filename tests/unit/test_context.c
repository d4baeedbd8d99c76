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
