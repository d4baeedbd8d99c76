/* context.c - the rules' memory and live sets: hash tables with an LRU list, bounded. */
#include "context.h"

#include <stdlib.h>

/* A node of a bounded map: hashed by key, kept in least-recently-used order. */
struct node {
	char *key;
	size_t keylen;
	const void *scope; /* live sets: the gauge family; memory: NULL */
	uint64_t hash;
	struct node *hnext;
	struct node *older, *newer;
};

struct lru {
	size_t n, max, tabsize;
	struct node **table;
	struct node *oldest, *newest;
};

struct mem_entry {
	struct node node; /* first: a node pointer is an entry pointer */
	struct swl_ctx_entry e;
};

struct live_entry {
	struct node node;
	char *group;
	struct swl_family *family;
	struct swl_series *series;
};

struct swl_context {
	struct lru mem, live;
	int64_t max_age_us;
	uint64_t evictions;
};

static uint64_t node_hash(const void *scope, struct swl_str key)
{
	uint64_t h = swl_hash(SWL_HASH_INIT, &scope, sizeof(scope));
	return swl_hash(h, key.p, key.n);
}

static void lru_init(struct lru *m, size_t max)
{
	*m = (struct lru){ .max = max ? max : 1, .tabsize = 64 };
	m->table = swl_xcalloc(m->tabsize, sizeof(*m->table));
}

static void list_unlink(struct lru *m, struct node *n)
{
	if (n->older)
		n->older->newer = n->newer;
	else
		m->oldest = n->newer;
	if (n->newer)
		n->newer->older = n->older;
	else
		m->newest = n->older;
	n->older = n->newer = NULL;
}

static void list_push_newest(struct lru *m, struct node *n)
{
	n->older = m->newest;
	n->newer = NULL;
	if (m->newest)
		m->newest->newer = n;
	else
		m->oldest = n;
	m->newest = n;
}

static struct node *lru_find(struct lru *m, const void *scope, struct swl_str key)
{
	uint64_t h = node_hash(scope, key);
	for (struct node *n = m->table[h & (m->tabsize - 1)]; n; n = n->hnext)
		if (n->hash == h && n->scope == scope && n->keylen == key.n && memcmp(n->key, key.p, key.n) == 0)
			return n;
	return NULL;
}

static void lru_grow(struct lru *m)
{
	size_t size = m->tabsize * 2;
	struct node **t = swl_xcalloc(size, sizeof(*t));
	for (size_t i = 0; i < m->tabsize; i++) {
		for (struct node *n = m->table[i], *next; n; n = next) {
			next = n->hnext;
			n->hnext = t[n->hash & (size - 1)];
			t[n->hash & (size - 1)] = n;
		}
	}
	free(m->table);
	m->table = t;
	m->tabsize = size;
}

/* Link a new node (key already set) into table and list. */
static void lru_insert(struct lru *m, struct node *n, const void *scope, struct swl_str key)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	n->key = swl_xstrndup(key.p, key.n);
	n->keylen = key.n;
	n->scope = scope;
	n->hash = node_hash(scope, key);
	if (m->n + 1 > m->tabsize)
		lru_grow(m);
	struct node **slot = &m->table[n->hash & (m->tabsize - 1)];
	n->hnext = *slot;
	*slot = n;
	list_push_newest(m, n);
	m->n++;
}

static void lru_remove(struct lru *m, struct node *n)
{
	struct node **p = &m->table[n->hash & (m->tabsize - 1)];
	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	list_unlink(m, n);
	m->n--;
	free(n->key);
}

static void mem_free(struct mem_entry *me)
{
	for (size_t i = 0; i < me->e.nlabels; i++) {
		free(me->e.labels[i].name);
		free(me->e.labels[i].value);
	}
	free(me);
}

struct swl_context *swl_context_create(size_t max_entries, int64_t max_age_us)
{
	struct swl_context *c = swl_xcalloc(1, sizeof(*c));
	lru_init(&c->mem, max_entries);
	lru_init(&c->live, max_entries);
	c->max_age_us = max_age_us;
	return c;
}

void swl_context_destroy(struct swl_context *c)
{
	if (!c)
		return;
	swl_context_forget_all(c);
	while (c->live.oldest) {
		struct node *n = c->live.oldest;
		lru_remove(&c->live, n);
		free(((struct live_entry *)n)->group);
		free(n);
	}
	free(c->mem.table);
	free(c->live.table);
	free(c);
}

const struct swl_ctx_entry *swl_context_get(struct swl_context *c, struct swl_str key, int64_t now_us)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	struct mem_entry *me = (struct mem_entry *)lru_find(&c->mem, NULL, key);
	if (!me)
		return NULL;
	if (now_us && c->max_age_us && now_us - me->e.seen_us > c->max_age_us)
		return NULL;
	list_unlink(&c->mem, &me->node);
	list_push_newest(&c->mem, &me->node);
	return &me->e;
}

struct swl_str swl_ctx_entry_label(const struct swl_ctx_entry *e, struct swl_str name)
{
	for (size_t i = 0; i < e->nlabels; i++)
		if (swl_str_eqc(name, e->labels[i].name))
			return swl_str_c(e->labels[i].value);
	return SWL_STR_NULL;
}

void swl_context_remember(struct swl_context *c, struct swl_str key, struct swl_str name, struct swl_str value,
			  int64_t now_us)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	if (value.n > SWL_LABEL_VALUE_MAX)
		value.n = SWL_LABEL_VALUE_MAX;
	struct mem_entry *me = (struct mem_entry *)lru_find(&c->mem, NULL, key);
	if (!me) {
		if (c->mem.n >= c->mem.max) {
			struct mem_entry *old = (struct mem_entry *)c->mem.oldest;
			lru_remove(&c->mem, &old->node);
			mem_free(old);
			c->evictions++;
		}
		me = swl_xcalloc(1, sizeof(*me));
		lru_insert(&c->mem, &me->node, NULL, key);
		me->e.key = me->node.key;
	} else {
		list_unlink(&c->mem, &me->node);
		list_push_newest(&c->mem, &me->node);
		if (now_us && c->max_age_us && now_us - me->e.seen_us > c->max_age_us) {
			/* expired, so absent: its stale labels must not come back with the new one */
			for (size_t i = 0; i < me->e.nlabels; i++) {
				free(me->e.labels[i].name);
				free(me->e.labels[i].value);
			}
			me->e.nlabels = 0;
		}
	}
	me->e.seen_us = now_us;
	for (size_t i = 0; i < me->e.nlabels; i++) {
		if (swl_str_eqc(name, me->e.labels[i].name)) {
			free(me->e.labels[i].value);
			me->e.labels[i].value = swl_xstrndup(value.p ? value.p : "", value.n);
			return;
		}
	}
	if (me->e.nlabels == SWL_CTX_MAX_LABELS)
		return; /* bounded: the loader refuses rules that would need more */
	me->e.labels[me->e.nlabels].name = swl_xstrndup(name.p, name.n);
	me->e.labels[me->e.nlabels].value = swl_xstrndup(value.p ? value.p : "", value.n);
	me->e.nlabels++;
}

static bool under(const char *s, size_t n, struct swl_str parent);

void swl_context_forget(struct swl_context *c, struct swl_str key)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	if (!key.n)
		return;
	for (struct node *n = c->mem.oldest, *next; n; n = next) {
		next = n->newer;
		if (under(n->key, n->keylen, key)) {
			lru_remove(&c->mem, n);
			mem_free((struct mem_entry *)n);
		}
	}
}

void swl_context_forget_all(struct swl_context *c)
{
	while (c->mem.oldest) {
		struct mem_entry *me = (struct mem_entry *)c->mem.oldest;
		lru_remove(&c->mem, &me->node);
		mem_free(me);
	}
}

static struct swl_series *live_take_down(struct swl_context *c, struct live_entry *le, int64_t t_us)
{
	struct swl_series *s = le->series;
	swl_series_add(s, -1, t_us);
	lru_remove(&c->live, &le->node);
	free(le->group);
	free(le);
	return s;
}

static struct swl_str bounded(struct swl_str s)
{
	if (s.n > SWL_CTX_KEY_MAX)
		s.n = SWL_CTX_KEY_MAX;
	return s;
}

bool swl_context_up(struct swl_context *c, struct swl_family *f, struct swl_str key, struct swl_str group,
		    struct swl_series *s, int64_t t_us)
{
	key = bounded(key);
	group = bounded(group);
	struct live_entry *le = (struct live_entry *)lru_find(&c->live, f, key);
	if (le) {
		list_unlink(&c->live, &le->node);
		list_push_newest(&c->live, &le->node);
		return false;
	}
	if (c->live.n >= c->live.max) {
		live_take_down(c, (struct live_entry *)c->live.oldest, t_us);
		c->evictions++;
	}
	le = swl_xcalloc(1, sizeof(*le));
	lru_insert(&c->live, &le->node, f, key);
	le->group = swl_xstrndup(group.p ? group.p : "", group.n);
	le->family = f;
	le->series = s;
	swl_series_add(s, 1, t_us);
	return true;
}

void swl_context_restore_live(struct swl_context *c, struct swl_family *f, struct swl_str key, struct swl_str group,
			      struct swl_series *s)
{
	key = bounded(key);
	group = bounded(group);
	if (lru_find(&c->live, f, key) || c->live.n >= c->live.max)
		return; /* past the limit (saved under a larger one): not restored, the gauge keeps its value */
	struct live_entry *le = swl_xcalloc(1, sizeof(*le));
	lru_insert(&c->live, &le->node, f, key);
	le->group = swl_xstrndup(group.p ? group.p : "", group.n);
	le->family = f;
	le->series = s;
}

struct swl_series *swl_context_down(struct swl_context *c, struct swl_family *f, struct swl_str key, int64_t t_us)
{
	struct live_entry *le = (struct live_entry *)lru_find(&c->live, f, bounded(key));
	return le ? live_take_down(c, le, t_us) : NULL;
}

/* Groups and keys are paths: "moon" holds "moon|3", which holds "moon|3|7". */
static bool under(const char *s, size_t n, struct swl_str parent)
{
	return n >= parent.n && memcmp(s, parent.p, parent.n) == 0 && (n == parent.n || s[parent.n] == '|');
}

static bool in_group(const struct live_entry *le, const struct swl_family *f, struct swl_str group)
{
	return le->node.scope == f && under(le->group, strlen(le->group), group);
}

size_t swl_context_down_group(struct swl_context *c, struct swl_family *f, struct swl_str group, int64_t t_us,
			      void (*fn)(struct swl_series *s, void *arg), void *arg)
{
	group = bounded(group);
	size_t n = 0;
	if (!group.n)
		return 0; /* an empty group is "no owner", never a wildcard */
	for (struct node *nd = c->live.oldest, *next; nd; nd = next) {
		next = nd->newer;
		struct live_entry *le = (struct live_entry *)nd;
		if (!in_group(le, f, group))
			continue;
		struct swl_series *s = live_take_down(c, le, t_us);
		if (fn)
			fn(s, arg);
		n++;
	}
	return n;
}

void swl_context_regroup(struct swl_context *c, struct swl_family *f, struct swl_str from, struct swl_str to)
{
	from = bounded(from);
	to = bounded(to);
	if (!from.n)
		return;
	for (struct node *nd = c->live.oldest; nd; nd = nd->newer) {
		struct live_entry *le = (struct live_entry *)nd;
		if (!in_group(le, f, from))
			continue;
		free(le->group);
		le->group = swl_xstrndup(to.p ? to.p : "", to.n);
	}
}

void swl_context_reset(struct swl_context *c, struct swl_family *f, int64_t t_us)
{
	for (struct node *n = c->live.oldest, *next; n; n = next) {
		next = n->newer;
		if (n->scope == f)
			live_take_down(c, (struct live_entry *)n, t_us);
	}
}

size_t swl_context_size(const struct swl_context *c)
{
	return c->mem.n;
}

size_t swl_context_live_size(const struct swl_context *c)
{
	return c->live.n;
}

uint64_t swl_context_evictions(const struct swl_context *c)
{
	return c->evictions;
}

void swl_context_foreach(const struct swl_context *c, void (*fn)(const struct swl_ctx_entry *e, void *arg),
			 void *arg)
{
	for (const struct node *n = c->mem.oldest; n; n = n->newer)
		fn(&((const struct mem_entry *)n)->e, arg);
}

void swl_context_foreach_live(const struct swl_context *c,
			      void (*fn)(const struct swl_family *f, const char *key, const char *group,
					 const struct swl_series *s, void *arg),
			      void *arg)
{
	for (const struct node *n = c->live.oldest; n; n = n->newer) {
		const struct live_entry *le = (const struct live_entry *)n;
		fn(le->family, n->key, le->group, le->series, arg);
	}
}
