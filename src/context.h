/* context.h - what the rules remember between lines, bounded in entries and age.
 *
 * Memory: a key (e.g. "moon|3": host and IKE_SA unique id) maps to a few labels learned on
 * one line (conn, peer, ...) so that later lines naming only the SA can use them. Entries
 * older than max_age (in log time) are treated as absent; past max_entries the least
 * recently used entry is dropped.
 * Live sets: for gauges that count live things (ipsec_ike_sa_up), each (gauge, key) is live
 * in at most one series, so a key counts once however often it is announced and a gauge
 * never goes negative. Bounded the same way: evicting a live key takes it down.
 * Both survive rule reloads and are saved in the state file.
 */
#ifndef SWL_CONTEXT_H
#define SWL_CONTEXT_H

#include "registry.h"

#define SWL_CTX_MAX_LABELS 8
#define SWL_CTX_KEY_MAX 256

struct swl_context;

/* An entry of the memory, as swl_context_get and swl_context_foreach show it (borrowed; any
 * remember or forget may move or free it). One allocation holds the entry, its key and its
 * labels, so a remembered SA costs one malloc: the key, NUL, then one run per label in label
 * order, "NNVVname\0value\0" (NN, VV: the name's and value's lengths, 16 bits each), without
 * gaps. */
struct swl_ctx_entry {
	int64_t seen_us;                /* log time of the last remember */
	uint16_t keylen, nlabels;
	uint16_t used, cap;             /* bytes of key[] in use / allocated */
	uint32_t names;                 /* a bit per label name (a hash of it): a lookup of a name
					 * whose bit is not set reads no label */
	uint32_t stamp;                 /* the memory's version (its low bits) when a label of this
					 * entry last changed: see swl_context_version */
	char key[];                     /* NUL-terminated; the labels follow */
};

/* Label i (< nlabels) of e: its name and value (NUL-terminated slices). */
struct swl_str swl_ctx_entry_name(const struct swl_ctx_entry *e, size_t i);
struct swl_str swl_ctx_entry_value(const struct swl_ctx_entry *e, size_t i);

struct swl_context *swl_context_create(size_t max_entries, int64_t max_age_us);
void swl_context_destroy(struct swl_context *c);

/* The entry for key, or NULL when absent or older than max_age at now_us (0 = no age check). */
const struct swl_ctx_entry *swl_context_get(struct swl_context *c, struct swl_str key, int64_t now_us);
/* The value of label name in e, or an empty slice (p == NULL). */
struct swl_str swl_ctx_entry_label(const struct swl_ctx_entry *e, struct swl_str name);
/* Set label name = value under key (creating the entry; names, values are copied up to a NUL
 * byte and bounded: values to SWL_LABEL_VALUE_MAX, names to SWL_CTX_KEY_MAX). Setting a label
 * to the value it has costs no copy. remember_labels sets n labels under key with one lookup,
 * as n calls of remember would. */
void swl_context_remember(struct swl_context *c, struct swl_str key, struct swl_str name, struct swl_str value,
			  int64_t now_us);
void swl_context_remember_labels(struct swl_context *c, struct swl_str key, const struct swl_str *names,
				 const struct swl_str *values, size_t n, int64_t now_us);
/* Forget key and every key under it (keys are paths: "moon" holds "moon|3"). */
void swl_context_forget(struct swl_context *c, struct swl_str key);
void swl_context_forget_all(struct swl_context *c);

/* Live sets. up: make key live in series s of gauge family f (+1 on s) unless it is live
 * already (in any series of f); group (may be empty) names its owner, e.g. the IKE_SA of a
 * CHILD_SA. Returns true when it became live. down: take key out of f (-1 on the series it
 * was live in) and return that series, or NULL when it was not live. down_group: take down
 * every key of f in group or a group under it ("moon" holds "moon|3"), calling fn with each series (fn may be NULL). regroup: move f's
 * keys of group from to group to (an IKE_SA rekey hands its CHILD_SAs over). reset: take
 * every key of f down. t_us is the log time recorded on the gauge. */
bool swl_context_up(struct swl_context *c, struct swl_family *f, struct swl_str key, struct swl_str group,
		    struct swl_series *s, int64_t t_us);
struct swl_series *swl_context_down(struct swl_context *c, struct swl_family *f, struct swl_str key, int64_t t_us);
size_t swl_context_down_group(struct swl_context *c, struct swl_family *f, struct swl_str group, int64_t t_us,
			      void (*fn)(struct swl_series *s, void *arg), void *arg);
void swl_context_regroup(struct swl_context *c, struct swl_family *f, struct swl_str from, struct swl_str to);
void swl_context_reset(struct swl_context *c, struct swl_family *f, int64_t t_us);

/* Restore a live key from a saved state: like up, but s's value already counts the key,
 * so nothing is added. Ignored when key is already live in f. */
void swl_context_restore_live(struct swl_context *c, struct swl_family *f, struct swl_str key, struct swl_str group,
			      struct swl_series *s);

/* Counters for self-metrics. */
size_t swl_context_size(const struct swl_context *c);
size_t swl_context_live_size(const struct swl_context *c);
uint64_t swl_context_evictions(const struct swl_context *c);
/* Changes whenever a memory entry moves or goes (it grew into a new allocation, was forgotten
 * or evicted): entries swl_context_get returned stay valid while it does not. */
uint64_t swl_context_moves(const struct swl_context *c);
/* Changes whenever what the memory holds changes (an entry added, moved or gone, a label set
 * to a new value; remembering what is there already changes nothing): what a lookup found,
 * and every key made of found labels, holds while it does not. The entry changed gets the
 * new version as its stamp, so finer: what a lookup found holds while moves does not change
 * (and inserts, when it found nothing), and a key made of an entry's labels while the entry
 * keeps its stamp. */
uint64_t swl_context_version(const struct swl_context *c);
/* Changes whenever an entry is added, or an expired one is remembered again. */
uint64_t swl_context_inserts(const struct swl_context *c);

/* Visit every memory entry, oldest first; and every live key with its family and series. */
void swl_context_foreach(const struct swl_context *c, void (*fn)(const struct swl_ctx_entry *e, void *arg),
			 void *arg);
void swl_context_foreach_live(const struct swl_context *c,
			      void (*fn)(const struct swl_family *f, const char *key, const char *group,
					 const struct swl_series *s, void *arg),
			      void *arg);

#endif
