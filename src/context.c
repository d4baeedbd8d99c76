/* context.c - the rules' memory and live sets: hash tables with an LRU list, bounded.
 *
 * Every entry is one allocation holding its node, key and strings (tens of thousands of SAs
 * are remembered on a busy gateway: one malloc each keeps both the time and the heap small). */
#include "context.h"

#include <stddef.h>
#include <stdlib.h>

/* A node of a bounded map: hashed by key, kept in least-recently-used order. 40 bytes: the
 * key (at most SWL_CTX_KEY_MAX bytes) is in the same allocation, keyoff bytes from its start. */
struct node {
	const void *scope; /* live sets: the gauge family; memory: NULL */
	struct node *hnext;
	struct node *older, *newer;
	uint32_t hash;
	uint16_t keylen, keyoff;
};

static inline const char *node_key(const struct node *n)
{
	return (const char *)n + n->keyoff;
}

struct lru {
	size_t n, max, tabsize;
	struct node **table;
	struct node *oldest, *newest;
	struct node *last; /* the last node found or inserted: a rule recalls, then remembers, one key */
};

struct mem_entry {
	struct node node; /* first: a node pointer is an entry pointer */
	struct swl_ctx_entry e;
	char buf[]; /* e.cap bytes: key, then the labels' names and values */
};

struct live_entry {
	struct node node;
	struct swl_family *family;
	struct swl_series *series;
	uint16_t grouplen, groupcap;
	char buf[]; /* key NUL group NUL, with groupcap + 1 bytes for the group */
};

struct swl_context {
	struct lru mem, live;
	int64_t max_age_us;
	uint64_t evictions;
};

static uint32_t node_hash(const void *scope, struct swl_str key)
{
	uint64_t h = swl_hash(SWL_HASH_INIT, &scope, sizeof(scope));
	h = swl_hash(h, key.p, key.n);
	return (uint32_t)(h ^ (h >> 32));
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
	struct node *n = m->last;
	if (n && n->scope == scope && n->keylen == key.n && (!key.n || memcmp(node_key(n), key.p, key.n) == 0))
		return n; /* no hashing, and no walk through a bucket that is not in the cache */
	uint32_t h = node_hash(scope, key);
	for (n = m->table[h & (m->tabsize - 1)]; n; n = n->hnext)
		if (n->hash == h && n->scope == scope && n->keylen == key.n && memcmp(node_key(n), key.p, key.n) == 0)
			return m->last = n;
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

/* Link a new node into table and list; its key (bounded by the caller) is at n->keyoff already. */
static void lru_insert(struct lru *m, struct node *n, const void *scope, struct swl_str key)
{
	n->keylen = (uint16_t)key.n;
	n->scope = scope;
	n->hash = node_hash(scope, key);
	if (m->n + 1 > m->tabsize)
		lru_grow(m);
	struct node **slot = &m->table[n->hash & (m->tabsize - 1)];
	n->hnext = *slot;
	*slot = n;
	list_push_newest(m, n);
	m->n++;
	m->last = n;
}

static void lru_remove(struct lru *m, struct node *n)
{
	struct node **p = &m->table[n->hash & (m->tabsize - 1)];
	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	list_unlink(m, n);
	m->n--;
	if (m->last == n)
		m->last = NULL;
}

/* Put to in from's place in table and list (an entry moved to a larger allocation). */
static void lru_replace(struct lru *m, struct node *from, struct node *to)
{
	struct node **p = &m->table[from->hash & (m->tabsize - 1)];
	while (*p != from)
		p = &(*p)->hnext;
	*p = to;
	if (m->last == from)
		m->last = to;
	if (to->older)
		to->older->newer = to;
	else
		m->oldest = to;
	if (to->newer)
		to->newer->older = to;
	else
		m->newest = to;
}

static void mem_free(struct mem_entry *me)
{
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
	/* every node is one allocation: walk the lists, the tables go as a whole */
	for (struct node *n = c->mem.oldest, *next; n; n = next) {
		next = n->newer;
		free(n);
	}
	for (struct node *n = c->live.oldest, *next; n; n = next) {
		next = n->newer;
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
		if (e->nlen[i] == name.n && (!name.n || memcmp(e->key + e->off[i], name.p, name.n) == 0))
			return swl_ctx_entry_value(e, i);
	return SWL_STR_NULL;
}

/* A new entry is allocated to fit (most are never changed: an SA is remembered once); one
 * that outgrows its allocation moves to one with this much slack, so that it rarely moves
 * again. */
#define MEM_SLACK 32

static struct mem_entry *mem_alloc(size_t cap)
{
	struct mem_entry *me = swl_xmalloc(sizeof(*me) + cap);
	me->e.cap = (uint16_t)cap;
	return me;
}

/* Bytes the entry's key and labels take without gaps. */
static size_t mem_content(const struct swl_ctx_entry *e)
{
	size_t n = (size_t)e->keylen + 1;
	for (size_t i = 0; i < e->nlabels; i++)
		n += (size_t)e->nlen[i] + e->vlen[i] + 2;
	return n;
}

/* Move me to an allocation with room for need more bytes, dropping the gaps left by changed
 * values; returns the new entry (me is freed). */
static struct mem_entry *mem_grow(struct swl_context *c, struct mem_entry *me, size_t need)
{
	struct mem_entry *ne = mem_alloc(mem_content(&me->e) + need + MEM_SLACK);
	ne->node = me->node;
	ne->e.key = ne->buf;
	ne->e.seen_us = me->e.seen_us;
	ne->e.keylen = me->e.keylen;
	ne->e.nlabels = me->e.nlabels;
	size_t u = (size_t)me->e.keylen + 1;
	memcpy(ne->buf, me->buf, u);
	for (size_t i = 0; i < me->e.nlabels; i++) {
		size_t len = (size_t)me->e.nlen[i] + me->e.vlen[i] + 2;
		memcpy(ne->buf + u, me->buf + me->e.off[i], len);
		ne->e.off[i] = (uint16_t)u;
		ne->e.nlen[i] = me->e.nlen[i];
		ne->e.vlen[i] = me->e.vlen[i];
		u += len;
	}
	ne->e.used = (uint16_t)u;
	lru_replace(&c->mem, &me->node, &ne->node);
	free(me);
	return ne;
}

/* Set one label of me; returns me or where it moved to. */
static struct mem_entry *mem_set(struct swl_context *c, struct mem_entry *me, struct swl_str name,
				 struct swl_str value)
{
	struct swl_ctx_entry *e = &me->e;
	size_t i = 0;
	while (i < e->nlabels && !(e->nlen[i] == name.n && memcmp(me->buf + e->off[i], name.p, name.n) == 0))
		i++;
	if (i < e->nlabels) {
		char *v = me->buf + e->off[i] + e->nlen[i] + 1;
		if (e->vlen[i] == value.n && memcmp(v, value.p, value.n) == 0)
			return me; /* the same value again: nothing to copy */
		if (value.n <= e->vlen[i]) {
			memcpy(v, value.p, value.n);
			v[value.n] = '\0';
			e->vlen[i] = (uint16_t)value.n;
			return me;
		}
	} else if (e->nlabels == SWL_CTX_MAX_LABELS) {
		return me; /* bounded: the loader refuses rules that would need more */
	}
	/* a new label, or a longer value: append name and value (the old copy becomes a gap) */
	size_t need = name.n + value.n + 2;
	if ((size_t)e->used + need > e->cap) {
		me = mem_grow(c, me, need);
		e = &me->e;
	}
	char *p = me->buf + e->used;
	memcpy(p, name.p, name.n);
	p[name.n] = '\0';
	memcpy(p + name.n + 1, value.p, value.n);
	p[name.n + 1 + value.n] = '\0';
	e->off[i] = e->used;
	e->nlen[i] = (uint16_t)name.n;
	e->vlen[i] = (uint16_t)value.n;
	e->used = (uint16_t)(e->used + need);
	if (i == e->nlabels)
		e->nlabels++;
	return me;
}

/* A string up to its first NUL byte (what a C-string copy would keep), at most max bytes. */
static struct swl_str upto_nul(struct swl_str s, size_t max)
{
	if (!s.p)
		return (struct swl_str){ "", 0 };
	if (s.n > max)
		s.n = max;
	const char *z = memchr(s.p, '\0', s.n);
	if (z)
		s.n = (size_t)(z - s.p);
	return s;
}

void swl_context_remember_labels(struct swl_context *c, struct swl_str key, const struct swl_str *names,
				 const struct swl_str *values, size_t n, int64_t now_us)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	struct mem_entry *me = (struct mem_entry *)lru_find(&c->mem, NULL, key);
	if (!me) {
		if (c->mem.n >= c->mem.max) {
			struct mem_entry *old = (struct mem_entry *)c->mem.oldest;
			lru_remove(&c->mem, &old->node);
			mem_free(old);
			c->evictions++;
		}
		size_t need = key.n + 1;
		for (size_t i = 0; i < n; i++)
			need += upto_nul(names[i], SWL_CTX_KEY_MAX).n + upto_nul(values[i], SWL_LABEL_VALUE_MAX).n + 2;
		me = mem_alloc(need);
		if (key.n)
			memcpy(me->buf, key.p, key.n);
		me->buf[key.n] = '\0';
		me->node.keyoff = (uint16_t)offsetof(struct mem_entry, buf);
		me->e.key = me->buf;
		me->e.keylen = (uint16_t)key.n;
		me->e.nlabels = 0;
		me->e.used = (uint16_t)(key.n + 1);
		lru_insert(&c->mem, &me->node, NULL, key);
	} else {
		list_unlink(&c->mem, &me->node);
		list_push_newest(&c->mem, &me->node);
		if (now_us && c->max_age_us && now_us - me->e.seen_us > c->max_age_us) {
			/* expired, so absent: its stale labels must not come back with the new one */
			me->e.nlabels = 0;
			me->e.used = (uint16_t)(me->e.keylen + 1);
		}
	}
	me->e.seen_us = now_us;
	for (size_t i = 0; i < n; i++)
		me = mem_set(c, me, upto_nul(names[i], SWL_CTX_KEY_MAX), upto_nul(values[i], SWL_LABEL_VALUE_MAX));
}

void swl_context_remember(struct swl_context *c, struct swl_str key, struct swl_str name, struct swl_str value,
			  int64_t now_us)
{
	swl_context_remember_labels(c, key, &name, &value, 1, now_us);
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
		if (under(node_key(n), n->keylen, key)) {
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
	free(le);
	return s;
}

static struct swl_str bounded(struct swl_str s)
{
	if (s.n > SWL_CTX_KEY_MAX)
		s.n = SWL_CTX_KEY_MAX;
	return s;
}

static char *live_group(struct live_entry *le)
{
	return le->buf + le->node.keylen + 1;
}

/* A new live entry for key in f (linked), group copied (up to a NUL, like the key's readers). */
static struct live_entry *live_new(struct swl_context *c, struct swl_family *f, struct swl_str key,
				   struct swl_str group, struct swl_series *s)
{
	group = upto_nul(group, SWL_CTX_KEY_MAX);
	struct live_entry *le = swl_xmalloc(sizeof(*le) + key.n + 1 + group.n + 1);
	if (key.n)
		memcpy(le->buf, key.p, key.n);
	le->buf[key.n] = '\0';
	le->node.keyoff = (uint16_t)offsetof(struct live_entry, buf);
	lru_insert(&c->live, &le->node, f, key);
	le->grouplen = le->groupcap = (uint16_t)group.n;
	char *g = live_group(le);
	if (group.n)
		memcpy(g, group.p, group.n);
	g[group.n] = '\0';
	le->family = f;
	le->series = s;
	return le;
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
	live_new(c, f, key, group, s);
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
	live_new(c, f, key, group, s);
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
	return le->node.scope == f && under(le->buf + le->node.keylen + 1, le->grouplen, group);
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
	struct swl_str g = upto_nul(to, SWL_CTX_KEY_MAX);
	for (struct node *nd = c->live.oldest, *next; nd; nd = next) {
		next = nd->newer;
		struct live_entry *le = (struct live_entry *)nd;
		if (!in_group(le, f, from))
			continue;
		if (g.n > le->groupcap) { /* a longer group: move the entry to a larger allocation */
			size_t head = sizeof(*le) + le->node.keylen + 1;
			struct live_entry *ne = swl_xmalloc(head + g.n + 1);
			memcpy(ne, le, head);
					ne->groupcap = (uint16_t)g.n;
			lru_replace(&c->live, &le->node, &ne->node);
			free(le);
			le = ne;
		}
		char *dst = live_group(le);
		if (g.n)
			memcpy(dst, g.p, g.n);
		dst[g.n] = '\0';
		le->grouplen = (uint16_t)g.n;
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
		fn(le->family, node_key(n), le->buf + n->keylen + 1, le->series, arg);
	}
}
