/* context.c - the rules' memory and live sets: bounded hash maps in least-recently-used order.
 *
 * A map is an open-addressed table (linear probing) of entry pointers with a parallel array
 * of 32-bit hash tags: a lookup reads tags, which sit 16 to a cache line, and dereferences
 * an entry only when its tag matches, so misses and collisions cost no entry's cache miss.
 * Deletion shifts the run back (no tombstones), so probes stay as short as the load allows.
 * LRU order is a doubly linked list through the entries, which eviction and foreach need
 * exactly; a hit on the newest entry (a rule recalls, then remembers, one key) leaves it be.
 *
 * Every entry is one allocation holding its node, key and strings (tens of thousands of SAs
 * are remembered on a busy gateway: one malloc each keeps both the time and the heap small).
 * Forget is by path ("moon" holds "moon|3"): the memory counts its keys per ancestor path,
 * so forgetting a key that no key lies under is one lookup, not a walk of every entry. */
#include "context.h"

#include <stddef.h>
#include <stdlib.h>

/* A node of a bounded map, 24 bytes: its key (at most SWL_CTX_KEY_MAX bytes) is in the same
 * allocation, keyoff bytes from its start. */
struct node {
	struct node *older, *newer;
	uint32_t tag; /* the key's hash, never 0 */
	uint16_t keylen, keyoff;
};

static inline const char *node_key(const struct node *n)
{
	return (const char *)n + n->keyoff;
}

#define LRU_RECENT 4

struct lru {
	uint32_t *tags;     /* 0: empty slot */
	struct node **nodes;
	size_t mask;        /* slots - 1 (a power of two) */
	unsigned shift;     /* 32 - log2(slots): a tag's home slot is its top bits after a multiply */
	bool scoped;        /* live sets: entries are struct live_entry, keyed by family too */
	size_t n, max;
	struct node *oldest, *newest;
	/* The last nodes found or inserted, newest first: the rules of one line look up the same
	 * few keys (a thread's, its IKE_SA's) again and again, and these need no hashing. */
	struct node *recent[LRU_RECENT];
};

/* Memory entry: the node, then the public entry (its key[] and labels at its end). */
static inline struct swl_ctx_entry *mem_entry(struct node *n)
{
	return (struct swl_ctx_entry *)(n + 1);
}

static inline struct node *mem_node(const struct swl_ctx_entry *e)
{
	return (struct node *)e - 1;
}

struct live_entry {
	struct node node;
	struct swl_family *family;
	struct swl_series *series;
	struct live_entry *gnext, *gprev; /* the entries of this family and group */
	uint64_t ghash;                   /* of family and group: where that list starts */
	uint16_t grouplen, groupcap;
	char buf[]; /* key NUL group NUL, with groupcap + 1 bytes for the group */
};

/* The live entries of one (family, group) are linked through the entries, and this map finds
 * the first: taking an IKE_SA's CHILD_SAs down or handing them over touches only them, not
 * every live key (a busy gateway holds tens of thousands). Slots are emptied by shifting back
 * the run after them, as in the bounded map. */
struct group_slot {
	uint64_t hash; /* 0: empty */
	struct live_entry *first;
};

struct groups {
	struct group_slot *slots;
	size_t mask, used;
};

/* Ancestor paths of the memory's keys with how many keys lie under each, by 64-bit hash (a
 * collision only costs a walk that finds nothing more). Counts that drop to 0 keep their
 * slot until the table is rebuilt. */
struct path_count {
	uint64_t hash; /* 0: empty slot */
	uint32_t n;
};

struct paths {
	struct path_count *slots;
	size_t mask, used;
	size_t deep; /* keys with more than PATH_DEPTH ancestors (the deeper ones are not counted) */
};

struct swl_context {
	struct lru mem, live;
	struct paths paths;  /* ancestors of the memory's keys */
	struct groups groups;
	struct paths gpaths; /* ancestors of the live entries' groups: is a group's list all of it? */
	int64_t max_age_us;
	uint64_t evictions;
	uint64_t moves;   /* memory entries grown into a new place or freed: see swl_context_moves */
	uint64_t version; /* any change of the memory: see swl_context_version */
	uint64_t inserts; /* entries added or renewed: see swl_context_inserts */
};

/* ---- hashing: a word at a time (keys are ten to a few tens of bytes) ---- */

static inline uint64_t load32(const char *p)
{
	uint32_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

static uint64_t key_hash(uint64_t seed, const char *p, size_t n)
{
	uint64_t h = seed ^ (n * 0xff51afd7ed558ccdULL);
	for (; n >= 8; n -= 8, p += 8)
		h = swl_hash_mix(h, swl_load64(p));
	if (n >= 4)
		h = swl_hash_mix(h, load32(p) | load32(p + n - 4) << 32);
	else if (n)
		h = swl_hash_mix(h, (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
				   (uint64_t)(unsigned char)p[n - 1] << 16);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/* swl_hash_secret(), read once by swl_context_create: every context of the process hashes alike */
static uint64_t hash_seed;

static inline uint32_t node_tag(const void *scope, struct swl_str key)
{
	uint32_t t = (uint32_t)key_hash(hash_seed ^ 0x243f6a8885a308d3ULL ^ (uint64_t)(uintptr_t)scope, key.p, key.n);
	return t ? t : 1;
}

/* ---- the bounded map ---- */

static inline size_t home(const struct lru *m, uint32_t tag)
{
	return (uint32_t)(tag * 2654435769u) >> m->shift;
}

static void lru_alloc(struct lru *m, size_t slots)
{
	m->tags = swl_xcalloc(slots, sizeof(*m->tags));
	m->nodes = swl_xcalloc(slots, sizeof(*m->nodes));
	m->mask = slots - 1;
	m->shift = 32;
	for (size_t s = slots; s > 1; s >>= 1)
		m->shift--;
}

#define LRU_MIN_SLOTS 64

static void lru_init(struct lru *m, size_t max, bool scoped)
{
	*m = (struct lru){ .max = max ? max : 1, .scoped = scoped };
	lru_alloc(m, LRU_MIN_SLOTS);
}

static inline bool node_is(const struct lru *m, const struct node *n, const void *scope, struct swl_str key)
{
	if (n->keylen != key.n || (m->scoped && ((const struct live_entry *)n)->family != scope))
		return false;
	/* keys of one length mostly differ at the end ("moon|3", "moon|4"): look there first */
	const char *k = node_key(n);
	return !key.n || (k[key.n - 1] == key.p[key.n - 1] && memcmp(k, key.p, key.n - 1) == 0);
}

static void recent_push(struct lru *m, struct node *n)
{
	memmove(m->recent + 1, m->recent, (LRU_RECENT - 1) * sizeof(m->recent[0]));
	m->recent[0] = n;
}

/* n leaves the map, or moves to another allocation (to; NULL: it leaves). */
static void recent_replace(struct lru *m, const struct node *n, struct node *to)
{
	for (size_t r = 0; r < LRU_RECENT; r++) {
		if (m->recent[r] != n)
			continue;
		if (to) {
			m->recent[r] = to;
		} else {
			memmove(m->recent + r, m->recent + r + 1, (LRU_RECENT - 1 - r) * sizeof(m->recent[0]));
			m->recent[LRU_RECENT - 1] = NULL;
		}
		return;
	}
}

/* The node of key, or NULL with *tag set to the key's tag (for lru_insert: no second hash). */
static struct node *lru_lookup(struct lru *m, const void *scope, struct swl_str key, uint32_t *tag)
{
	for (size_t r = 0; r < LRU_RECENT && m->recent[r]; r++)
		if (node_is(m, m->recent[r], scope, key))
			return m->recent[r]; /* no hashing, and no probe of a slot that is not in the cache */
	*tag = node_tag(scope, key);
	for (size_t i = home(m, *tag); m->tags[i]; i = (i + 1) & m->mask)
		if (m->tags[i] == *tag && node_is(m, m->nodes[i], scope, key)) {
			recent_push(m, m->nodes[i]);
			return m->nodes[i];
		}
	return NULL;
}

static struct node *lru_find(struct lru *m, const void *scope, struct swl_str key)
{
	uint32_t tag;
	return lru_lookup(m, scope, key, &tag);
}

/* The slot holding n (which is in the map). */
static size_t lru_slot(const struct lru *m, const struct node *n)
{
	size_t i = home(m, n->tag);
	while (m->nodes[i] != n)
		i = (i + 1) & m->mask;
	return i;
}

static void slot_put(struct lru *m, uint32_t tag, struct node *n)
{
	size_t i = home(m, tag);
	while (m->tags[i])
		i = (i + 1) & m->mask;
	m->tags[i] = tag;
	m->nodes[i] = n;
}

/* Double the table: tags say where every node goes, no node is read. */
static void lru_grow(struct lru *m)
{
	uint32_t *tags = m->tags;
	struct node **nodes = m->nodes;
	size_t slots = m->mask + 1;
	lru_alloc(m, slots * 2);
	for (size_t i = 0; i < slots; i++)
		if (tags[i])
			slot_put(m, tags[i], nodes[i]);
	free(tags);
	free(nodes);
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

/* Mark n used now. The newest stays where it is: no neighbour is touched. */
static inline void lru_touch(struct lru *m, struct node *n)
{
	if (m->newest != n) {
		list_unlink(m, n);
		list_push_newest(m, n);
	}
}

/* Link a new node into table and list; its key (bounded by the caller, with the tag lru_lookup
 * gave) is at n->keyoff already. */
static void lru_insert(struct lru *m, struct node *n, size_t keylen, uint32_t tag)
{
	n->keylen = (uint16_t)keylen;
	n->tag = tag;
	if ((m->n + 1) * 4 > (m->mask + 1) * 3) /* at most 3/4 full: misses stop after a few slots */
		lru_grow(m);
	slot_put(m, n->tag, n);
	list_push_newest(m, n);
	m->n++;
	recent_push(m, n);
}

/* Empty slot i and shift back the nodes after it that probing would no longer reach. */
static void slot_clear(struct lru *m, size_t i)
{
	for (size_t j = i;;) {
		j = (j + 1) & m->mask;
		if (!m->tags[j])
			break;
		size_t h = home(m, m->tags[j]);
		/* j stays when its home lies cyclically in (i, j] */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		m->tags[i] = m->tags[j];
		m->nodes[i] = m->nodes[j];
		i = j;
	}
	m->tags[i] = 0;
	m->nodes[i] = NULL;
}

static void lru_remove(struct lru *m, struct node *n)
{
	slot_clear(m, lru_slot(m, n));
	list_unlink(m, n);
	m->n--;
	recent_replace(m, n, NULL);
}

/* Put to in from's place in table and list (an entry moved to a larger allocation). */
static void lru_replace(struct lru *m, struct node *from, struct node *to)
{
	m->nodes[lru_slot(m, from)] = to;
	recent_replace(m, from, to);
	if (to->older)
		to->older->newer = to;
	else
		m->oldest = to;
	if (to->newer)
		to->newer->older = to;
	else
		m->newest = to;
}

/* Free every node: the table is read in order, no list is chased (a cache miss per node that
 * the next one would wait for). */
static void lru_free_nodes(struct lru *m)
{
	for (size_t i = 0; m->n && i <= m->mask; i++)
		if (m->nodes[i])
			free(m->nodes[i]);
}

/* Free every node and empty the map. */
static void lru_clear(struct lru *m)
{
	if (!m->n)
		return;
	lru_free_nodes(m);
	memset(m->tags, 0, (m->mask + 1) * sizeof(*m->tags));
	memset(m->nodes, 0, (m->mask + 1) * sizeof(*m->nodes));
	m->n = 0;
	m->oldest = m->newest = NULL;
	memset(m->recent, 0, sizeof(m->recent));
}

/* ---- path counts: how many memory keys lie under a path ---- */

#define PATHS_MIN_SLOTS 16
/* Ancestors counted per key: "a|b|c|d|e" counts under "a" to "a|b|c|d", and any deeper path is
 * walked for while such a key exists (a log that fills keys with '|' costs time, never memory). */
#define PATH_DEPTH 4

static inline uint64_t path_hash(const char *p, size_t n)
{
	uint64_t h = key_hash(hash_seed ^ 0x13198a2e03707344ULL, p, n);
	return h ? h : 1;
}

static struct path_count *path_slot(const struct paths *ps, uint64_t h)
{
	size_t i = (size_t)(h >> 7) & ps->mask; /* low bits are the tag's: use others */
	while (ps->slots[i].hash && ps->slots[i].hash != h)
		i = (i + 1) & ps->mask;
	return &ps->slots[i];
}

/* Rebuild with room for the paths still counted (dropping those at 0). */
static void paths_rebuild(struct paths *ps)
{
	size_t live = 0, old = ps->slots ? ps->mask + 1 : 0;
	for (size_t i = 0; i < old; i++)
		live += ps->slots[i].n != 0;
	size_t slots = PATHS_MIN_SLOTS;
	while (slots < live * 4)
		slots *= 2;
	struct path_count *prev = ps->slots;
	ps->slots = swl_xcalloc(slots, sizeof(*ps->slots));
	ps->mask = slots - 1;
	ps->used = live;
	for (size_t i = 0; i < old; i++)
		if (prev[i].n)
			*path_slot(ps, prev[i].hash) = prev[i];
	free(prev);
}

static void path_add(struct paths *ps, uint64_t h)
{
	struct path_count *pc = path_slot(ps, h);
	if (!pc->hash) {
		if ((ps->used + 1) * 4 > (ps->mask + 1) * 3) {
			paths_rebuild(ps);
			pc = path_slot(ps, h);
		}
		pc->hash = h;
		ps->used++;
	}
	pc->n++;
}

static void path_sub(struct paths *ps, uint64_t h)
{
	struct path_count *pc = path_slot(ps, h);
	if (pc->hash && pc->n)
		pc->n--;
}

/* Count key (+1) or uncount it (-1) under each of its first PATH_DEPTH ancestors: "a|b|c" is
 * under "a", "a|b". */
static void paths_count(struct paths *ps, const char *key, size_t n, bool add)
{
	size_t depth = 0;
	for (const char *p = key + 1, *end = key + n; p < end && (p = memchr(p, '|', (size_t)(end - p))); p++) {
		if (depth++ == PATH_DEPTH) {
			if (add)
				ps->deep++;
			else
				ps->deep--;
			return;
		}
		uint64_t h = path_hash(key, (size_t)(p - key));
		if (add)
			path_add(ps, h);
		else
			path_sub(ps, h);
	}
}

/* May a key lie under path? No when its count is 0 and it is not deeper than the counts go. */
static bool paths_has_children(const struct paths *ps, struct swl_str path)
{
	if (ps->deep) {
		size_t seps = 0;
		for (const char *p = path.p + 1, *end = path.p + path.n;
		     seps < PATH_DEPTH && (p = memchr(p, '|', (size_t)(end - p))); p++)
			seps++;
		if (seps == PATH_DEPTH)
			return true; /* an ancestor of the uncounted depth */
	}
	return path_slot(ps, path_hash(path.p, path.n))->n != 0;
}

/* ---- live entries by group ---- */

#define GROUPS_MIN_SLOTS 64

static void groups_alloc(struct groups *g, size_t slots)
{
	g->slots = swl_xcalloc(slots, sizeof(*g->slots));
	g->mask = slots - 1;
}

static inline size_t group_home(const struct groups *g, uint64_t hash)
{
	return (size_t)(hash >> 7) & g->mask;
}

static uint64_t group_hash(const struct swl_family *f, const char *group, size_t n)
{
	uint64_t h = key_hash(hash_seed ^ 0x452821e638d01377ULL ^ (uint64_t)(uintptr_t)f, group, n);
	return h ? h : 1;
}

static inline const char *entry_group(const struct live_entry *le)
{
	return le->buf + le->node.keylen + 1;
}

/* The slot of (f, group): its list, or the empty slot where it would go. */
static struct group_slot *group_slot(const struct groups *g, uint64_t hash, const struct swl_family *f,
				     struct swl_str group)
{
	size_t i = group_home(g, hash);
	for (; g->slots[i].hash; i = (i + 1) & g->mask) {
		const struct live_entry *first = g->slots[i].first;
		if (g->slots[i].hash == hash && first->family == f && first->grouplen == group.n &&
		    memcmp(entry_group(first), group.p, group.n) == 0)
			break;
	}
	return &g->slots[i];
}

static void groups_grow(struct groups *g)
{
	struct group_slot *old = g->slots;
	size_t n = g->mask + 1;
	groups_alloc(g, n * 2);
	for (size_t i = 0; i < n; i++) {
		if (!old[i].hash)
			continue;
		size_t j = group_home(g, old[i].hash);
		while (g->slots[j].hash)
			j = (j + 1) & g->mask;
		g->slots[j] = old[i];
	}
	free(old);
}

/* Empty slot i and shift back the slots after it that probing would no longer reach. */
static void group_slot_clear(struct groups *g, size_t i)
{
	for (size_t j = i;;) {
		j = (j + 1) & g->mask;
		if (!g->slots[j].hash)
			break;
		size_t h = group_home(g, g->slots[j].hash);
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		g->slots[i] = g->slots[j];
		i = j;
	}
	g->slots[i] = (struct group_slot){ 0 };
	g->used--;
}

static void group_link(struct swl_context *c, struct live_entry *le)
{
	struct swl_str group = { entry_group(le), le->grouplen };
	le->ghash = group_hash(le->family, group.p, group.n);
	struct group_slot *gs = group_slot(&c->groups, le->ghash, le->family, group);
	if (!gs->hash) {
		if ((c->groups.used + 1) * 4 > (c->groups.mask + 1) * 3) {
			groups_grow(&c->groups);
			gs = group_slot(&c->groups, le->ghash, le->family, group);
		}
		gs->hash = le->ghash;
		c->groups.used++;
	}
	le->gprev = NULL;
	le->gnext = gs->first;
	if (gs->first)
		gs->first->gprev = le;
	gs->first = le;
	paths_count(&c->gpaths, group.p, group.n, true);
}

static void group_unlink(struct swl_context *c, struct live_entry *le)
{
	if (le->gnext)
		le->gnext->gprev = le->gprev;
	if (le->gprev) {
		le->gprev->gnext = le->gnext;
	} else {
		struct group_slot *gs = group_slot(&c->groups, le->ghash, le->family,
						   (struct swl_str){ entry_group(le), le->grouplen });
		if (le->gnext)
			gs->first = le->gnext;
		else
			group_slot_clear(&c->groups, (size_t)(gs - c->groups.slots));
	}
	le->gnext = le->gprev = NULL;
	paths_count(&c->gpaths, entry_group(le), le->grouplen, false);
}

/* The first live entry of exactly (f, group), or NULL. */
static struct live_entry *group_first(struct swl_context *c, const struct swl_family *f, struct swl_str group)
{
	return group_slot(&c->groups, group_hash(f, group.p, group.n), f, group)->first;
}

/* ---- the memory ---- */

struct swl_context *swl_context_create(size_t max_entries, int64_t max_age_us)
{
	struct swl_context *c = swl_xcalloc(1, sizeof(*c));
	hash_seed = swl_hash_secret();
	lru_init(&c->mem, max_entries, false);
	lru_init(&c->live, max_entries, true);
	paths_rebuild(&c->paths);
	paths_rebuild(&c->gpaths);
	groups_alloc(&c->groups, GROUPS_MIN_SLOTS);
	c->max_age_us = max_age_us;
	return c;
}

void swl_context_destroy(struct swl_context *c)
{
	if (!c)
		return;
	lru_free_nodes(&c->mem);
	lru_free_nodes(&c->live);
	free(c->mem.tags);
	free(c->mem.nodes);
	free(c->live.tags);
	free(c->live.nodes);
	free(c->paths.slots);
	free(c->gpaths.slots);
	free(c->groups.slots);
	free(c);
}

/* A label's run: name and value lengths (16 bits each, unaligned), name NUL value NUL. */
#define RUN_HEAD 4

static inline size_t run_u16(const char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void run_set_u16(char *p, size_t v)
{
	uint16_t w = (uint16_t)v;
	memcpy(p, &w, sizeof(w));
}

static inline size_t run_size(const char *run)
{
	return RUN_HEAD + run_u16(run) + run_u16(run + 2) + 2;
}

static inline const char *first_run(const struct swl_ctx_entry *e)
{
	return e->key + e->keylen + 1;
}

static const char *nth_run(const struct swl_ctx_entry *e, size_t i)
{
	const char *run = first_run(e);
	while (i--)
		run += run_size(run);
	return run;
}

struct swl_str swl_ctx_entry_name(const struct swl_ctx_entry *e, size_t i)
{
	const char *run = nth_run(e, i);
	return (struct swl_str){ run + RUN_HEAD, run_u16(run) };
}

struct swl_str swl_ctx_entry_value(const struct swl_ctx_entry *e, size_t i)
{
	const char *run = nth_run(e, i);
	return (struct swl_str){ run + RUN_HEAD + run_u16(run) + 1, run_u16(run + 2) };
}

/* A label name's bit in swl_ctx_entry.names. */
static inline uint32_t name_bit(struct swl_str name)
{
	if (!name.n)
		return 1;
	return 1u << (((unsigned char)name.p[0] + (unsigned char)name.p[name.n - 1] * 5u + (unsigned)name.n * 3u) & 31);
}

struct swl_str swl_ctx_entry_label(const struct swl_ctx_entry *e, struct swl_str name)
{
	if (!(e->names & name_bit(name)))
		return SWL_STR_NULL;
	const char *run = first_run(e);
	for (size_t i = 0; i < e->nlabels; i++) {
		size_t nl = run_u16(run), vl = run_u16(run + 2);
		if (nl == name.n && swl_same_bytes(run + RUN_HEAD, name.p, nl))
			return (struct swl_str){ run + RUN_HEAD + nl + 1, vl };
		run += RUN_HEAD + nl + vl + 2;
	}
	return SWL_STR_NULL;
}

const struct swl_ctx_entry *swl_context_get(struct swl_context *c, struct swl_str key, int64_t now_us)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	struct node *n = lru_find(&c->mem, NULL, key);
	if (!n)
		return NULL;
	struct swl_ctx_entry *e = mem_entry(n);
	if (now_us && c->max_age_us && now_us - e->seen_us > c->max_age_us)
		return NULL;
	lru_touch(&c->mem, n);
	return e;
}

/* A new entry is allocated to fit (most are never changed: an SA is remembered once); one
 * that outgrows its allocation moves to one with this much slack, so that it rarely moves
 * again. */
#define MEM_SLACK 32

static struct node *mem_alloc(size_t cap)
{
	struct node *n = swl_xmalloc(sizeof(*n) + sizeof(struct swl_ctx_entry) + cap);
	n->keyoff = (uint16_t)(sizeof(*n) + offsetof(struct swl_ctx_entry, key));
	mem_entry(n)->cap = (uint16_t)cap;
	return n;
}

/* Move e to an allocation with room for need more bytes; returns the new entry (e is freed). */
static struct swl_ctx_entry *mem_grow(struct swl_context *c, struct swl_ctx_entry *e, size_t need)
{
	struct node *from = mem_node(e), *to = mem_alloc((size_t)e->used + need + MEM_SLACK);
	uint16_t cap = mem_entry(to)->cap;
	memcpy(to, from, sizeof(*from) + sizeof(*e) + e->used);
	mem_entry(to)->cap = cap;
	lru_replace(&c->mem, from, to);
	free(from);
	c->moves++;
	return mem_entry(to);
}

/* e's labels changed (or it is new): a new version, which e keeps as its stamp. */
static inline void entry_changed(struct swl_context *c, struct swl_ctx_entry *e)
{
	e->stamp = (uint32_t)++c->version;
}

/* Set one label of e; returns e or where it moved to. Runs stay in label order, without gaps. */
static struct swl_ctx_entry *mem_set(struct swl_context *c, struct swl_ctx_entry *e, struct swl_str name,
				     struct swl_str value)
{
	char *run = e->key + e->keylen + 1;
	size_t i = 0;
	uint32_t bit = name_bit(name);
	if (!(e->names & bit)) { /* no label of that name: it goes after the others */
		i = e->nlabels;
		run = e->key + e->used;
	}
	for (; i < e->nlabels; i++) {
		size_t nl = run_u16(run);
		if (nl == name.n && swl_same_bytes(run + RUN_HEAD, name.p, nl))
			break;
		run += run_size(run);
	}
	if (i < e->nlabels) {
		size_t vl = run_u16(run + 2);
		char *v = run + RUN_HEAD + name.n + 1;
		if (vl == value.n && memcmp(v, value.p, value.n) == 0)
			return e; /* the same value again: nothing to copy, nothing changed */
		if (value.n > vl && e->used + (value.n - vl) > e->cap) {
			size_t at = (size_t)(run - e->key);
			e = mem_grow(c, e, value.n - vl);
			run = e->key + at;
			v = run + RUN_HEAD + name.n + 1;
		}
		/* the runs after this one move by the change in length */
		char *rest = v + vl + 1;
		memmove(v + value.n + 1, rest, (size_t)(e->key + e->used - rest));
		memcpy(v, value.p, value.n);
		v[value.n] = '\0';
		run_set_u16(run + 2, value.n);
		e->used = (uint16_t)(e->used + value.n - vl);
		entry_changed(c, e);
		return e;
	}
	if (e->nlabels == SWL_CTX_MAX_LABELS)
		return e; /* bounded: the loader refuses rules that would need more */
	size_t need = RUN_HEAD + name.n + value.n + 2;
	if ((size_t)e->used + need > e->cap)
		e = mem_grow(c, e, need);
	run = e->key + e->used;
	run_set_u16(run, name.n);
	run_set_u16(run + 2, value.n);
	memcpy(run + RUN_HEAD, name.p, name.n);
	run[RUN_HEAD + name.n] = '\0';
	memcpy(run + RUN_HEAD + name.n + 1, value.p, value.n);
	run[RUN_HEAD + name.n + 1 + value.n] = '\0';
	e->used = (uint16_t)(e->used + need);
	e->nlabels++;
	e->names |= bit;
	entry_changed(c, e);
	return e;
}

/* Whether a 64-bit word holds a zero byte (exact: borrows only start at a zero byte). */
static inline bool word_has_nul(uint64_t w)
{
	return ((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080)) != 0;
}

/* Whether p[0, n) holds a NUL byte, n <= 32: words that overlap at the end, reading only
 * those n bytes. */
static inline bool has_nul_short(const char *p, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (word_has_nul(swl_load64(p + i)))
				return true;
		return word_has_nul(swl_load64(p + n - 8));
	}
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return word_has_nul((uint64_t)a << 32 | b);
	}
	for (size_t i = 0; i < n; i++)
		if (!p[i])
			return true;
	return false;
}

/* A string up to its first NUL byte (what a C-string copy would keep), at most max bytes.
 * Inline: it runs twice for every label remembered. */
static inline __attribute__((always_inline)) struct swl_str upto_nul(struct swl_str s, size_t max)
{
	if (!s.p)
		return (struct swl_str){ "", 0 };
	if (s.n > max)
		s.n = max;
	if (s.n <= 32 && !has_nul_short(s.p, s.n))
		return s; /* most are: a few word tests cost less than the call */
	const char *z = memchr(s.p, '\0', s.n);
	if (z)
		s.n = (size_t)(z - s.p);
	return s;
}

static void mem_remove(struct swl_context *c, struct node *n)
{
	paths_count(&c->paths, node_key(n), n->keylen, false);
	lru_remove(&c->mem, n);
	free(n);
	c->moves++;
	c->version++;
}

void swl_context_remember_labels(struct swl_context *c, struct swl_str key, const struct swl_str *names,
				 const struct swl_str *values, size_t n, int64_t now_us)
{
	if (key.n > SWL_CTX_KEY_MAX)
		key.n = SWL_CTX_KEY_MAX;
	/* names and values as they are stored, cut once (rules pass at most SWL_CTX_MAX_LABELS;
	 * any more are cut as they come) */
	struct swl_str nm[SWL_CTX_MAX_LABELS], val[SWL_CTX_MAX_LABELS];
	size_t cut = n < SWL_CTX_MAX_LABELS ? n : SWL_CTX_MAX_LABELS;
	for (size_t i = 0; i < cut; i++) {
		nm[i] = upto_nul(names[i], SWL_CTX_KEY_MAX);
		val[i] = upto_nul(values[i], SWL_LABEL_VALUE_MAX);
	}
	uint32_t tag;
	struct node *nd = lru_lookup(&c->mem, NULL, key, &tag);
	struct swl_ctx_entry *e;
	if (!nd) {
		if (c->mem.n >= c->mem.max) {
			mem_remove(c, c->mem.oldest);
			c->evictions++;
		}
		size_t need = key.n + 1; /* room for the first labels; mem_set grows it if need be */
		for (size_t i = 0; i < cut; i++)
			need += RUN_HEAD + nm[i].n + val[i].n + 2;
		nd = mem_alloc(need);
		e = mem_entry(nd);
		if (key.n)
			memcpy(e->key, key.p, key.n);
		e->key[key.n] = '\0';
		e->keylen = (uint16_t)key.n;
		e->nlabels = 0;
		e->names = 0;
		e->used = (uint16_t)(key.n + 1);
		lru_insert(&c->mem, nd, key.n, tag);
		paths_count(&c->paths, e->key, key.n, true);
		entry_changed(c, e);
		c->inserts++;
	} else {
		lru_touch(&c->mem, nd);
		e = mem_entry(nd);
		if (now_us && c->max_age_us && now_us - e->seen_us > c->max_age_us) {
			/* expired, so absent: its stale labels must not come back with the new one */
			e->nlabels = 0;
			e->names = 0;
			e->used = (uint16_t)(e->keylen + 1);
			entry_changed(c, e);
			c->inserts++;
		}
	}
	e->seen_us = now_us;
	for (size_t i = 0; i < cut; i++)
		e = mem_set(c, e, nm[i], val[i]);
	for (size_t i = cut; i < n; i++)
		e = mem_set(c, e, upto_nul(names[i], SWL_CTX_KEY_MAX), upto_nul(values[i], SWL_LABEL_VALUE_MAX));
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
	if (!paths_has_children(&c->paths, key)) { /* the key alone, if it is there */
		struct node *n = lru_find(&c->mem, NULL, key);
		if (n)
			mem_remove(c, n);
		return;
	}
	for (struct node *n = c->mem.oldest, *next; n; n = next) {
		next = n->newer;
		if (under(node_key(n), n->keylen, key))
			mem_remove(c, n);
	}
}

void swl_context_forget_all(struct swl_context *c)
{
	lru_clear(&c->mem);
	c->moves++;
	c->version++;
	free(c->paths.slots);
	c->paths = (struct paths){ 0 };
	paths_rebuild(&c->paths);
}

/* ---- live sets ---- */

static struct swl_series *live_take_down(struct swl_context *c, struct live_entry *le, int64_t t_us)
{
	struct swl_series *s = le->series;
	swl_series_add(s, -1, t_us);
	group_unlink(c, le);
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
				   uint32_t tag, struct swl_str group, struct swl_series *s)
{
	group = upto_nul(group, SWL_CTX_KEY_MAX);
	struct live_entry *le = swl_xmalloc(sizeof(*le) + key.n + 1 + group.n + 1);
	if (key.n)
		memcpy(le->buf, key.p, key.n);
	le->buf[key.n] = '\0';
	le->node.keyoff = (uint16_t)offsetof(struct live_entry, buf);
	le->family = f;
	lru_insert(&c->live, &le->node, key.n, tag);
	le->grouplen = le->groupcap = (uint16_t)group.n;
	char *g = live_group(le);
	if (group.n)
		memcpy(g, group.p, group.n);
	g[group.n] = '\0';
	le->series = s;
	group_link(c, le);
	return le;
}

bool swl_context_up(struct swl_context *c, struct swl_family *f, struct swl_str key, struct swl_str group,
		    struct swl_series *s, int64_t t_us)
{
	key = bounded(key);
	group = bounded(group);
	uint32_t tag;
	struct node *n = lru_lookup(&c->live, f, key, &tag);
	if (n) {
		lru_touch(&c->live, n);
		return false;
	}
	if (c->live.n >= c->live.max) {
		live_take_down(c, (struct live_entry *)c->live.oldest, t_us);
		c->evictions++;
	}
	live_new(c, f, key, tag, group, s);
	swl_series_add(s, 1, t_us);
	return true;
}

void swl_context_restore_live(struct swl_context *c, struct swl_family *f, struct swl_str key, struct swl_str group,
			      struct swl_series *s)
{
	key = bounded(key);
	group = bounded(group);
	uint32_t tag;
	if (lru_lookup(&c->live, f, key, &tag) || c->live.n >= c->live.max)
		return; /* past the limit (saved under a larger one): not restored, the gauge keeps its value */
	live_new(c, f, key, tag, group, s);
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
	return le->family == f && under(le->buf + le->node.keylen + 1, le->grouplen, group);
}

size_t swl_context_down_group(struct swl_context *c, struct swl_family *f, struct swl_str group, int64_t t_us,
			      void (*fn)(struct swl_series *s, void *arg), void *arg)
{
	group = bounded(group);
	size_t n = 0;
	if (!group.n)
		return 0; /* an empty group is "no owner", never a wildcard */
	if (!paths_has_children(&c->gpaths, group)) { /* no group under it: its own list is all */
		for (struct live_entry *le; (le = group_first(c, f, group)) != NULL; n++) {
			struct swl_series *s = live_take_down(c, le, t_us);
			if (fn)
				fn(s, arg);
		}
		return n;
	}
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

/* Give le the group g (bounded, without NUL), in a larger allocation when it does not fit. */
static void live_set_group(struct swl_context *c, struct live_entry *le, struct swl_str g)
{
	group_unlink(c, le);
	if (g.n > le->groupcap) {
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
	group_link(c, le);
}

void swl_context_regroup(struct swl_context *c, struct swl_family *f, struct swl_str from, struct swl_str to)
{
	from = bounded(from);
	to = bounded(to);
	if (!from.n)
		return;
	struct swl_str g = upto_nul(to, SWL_CTX_KEY_MAX);
	if (!paths_has_children(&c->gpaths, from)) { /* no group under it: its own list is all */
		if (!swl_str_eq(from, g))
			for (struct live_entry *le; (le = group_first(c, f, from)) != NULL;)
				live_set_group(c, le, g);
		return;
	}
	for (struct node *nd = c->live.oldest, *next; nd; nd = next) {
		next = nd->newer;
		struct live_entry *le = (struct live_entry *)nd;
		if (in_group(le, f, from))
			live_set_group(c, le, g);
	}
}

void swl_context_reset(struct swl_context *c, struct swl_family *f, int64_t t_us)
{
	for (struct node *n = c->live.oldest, *next; n; n = next) {
		next = n->newer;
		if (((struct live_entry *)n)->family == f)
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

uint64_t swl_context_moves(const struct swl_context *c)
{
	return c->moves;
}

uint64_t swl_context_version(const struct swl_context *c)
{
	return c->version;
}

uint64_t swl_context_inserts(const struct swl_context *c)
{
	return c->inserts;
}

void swl_context_foreach(const struct swl_context *c, void (*fn)(const struct swl_ctx_entry *e, void *arg),
			 void *arg)
{
	for (struct node *n = c->mem.oldest; n; n = n->newer)
		fn(mem_entry(n), arg);
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
