/* source.h - where entries come from: the interface every source implements, and the list
 * of sources.
 *
 * A source reads entries and hands each to the pipeline; it knows nothing of rules. follow
 * (the follow and omprog commands) runs one source without end: it declares the source's
 * self-metrics before the state is loaded, starts it at the saved position, reads a bounded
 * batch per wakeup, polls its fd, and saves its position together with the values. replay
 * runs, for each input in turn, the first source that claims the input's path, to its end.
 *
 * Adding a source: one file, source_NAME.c, defining a `const struct swl_source_type`, and
 * its line in source.c's list. Its command-line options, and their lines in follow --help,
 * come from its options table.
 */
#ifndef SWL_SOURCE_H
#define SWL_SOURCE_H

#include "pipeline.h"
#include "position.h"

#define SWL_SOURCE_MAX_PATHS 64
#define SWL_SOURCE_MAX_IDENTIFIERS 64

enum swl_source_mode { SWL_SOURCE_FOLLOW, SWL_SOURCE_REPLAY };

/* What a source is asked to read. Strings are borrowed. */
struct swl_source_conf {
	enum swl_source_mode mode;
	int variant;                  /* the `selects` of the option that chose the source, or 0 */
	const char *paths[SWL_SOURCE_MAX_PATHS]; /* follow: from the options; replay: the input */
	size_t npaths;
	const char *identifiers[SWL_SOURCE_MAX_IDENTIFIERS]; /* journal: SYSLOG_IDENTIFIER matches */
	size_t nidentifiers;
	bool no_kernel;               /* journal: not also _TRANSPORT=kernel entries */
	bool from_head;               /* follow, with no saved position: read what is there already */
	size_t max_line;
	const char *state_path;       /* follow: the state file (omprog logs ahead next to it) */
	bool reset_state;             /* follow: --reset-state, nothing saved is carried over */
};

/* One command-line option of a source (follow's; follow --help lists it from here). */
struct swl_source_option {
	const char *name;             /* the long option, without "--" */
	const char *arg;              /* its argument's name in --help ("DIR"), or NULL: a flag */
	const char *help;             /* --help text; a "\n" starts a continuation line */
	int selects;                  /* > 0: naming it chooses this source, as conf->variant */
	/* Take the option into c (NULL: nothing to take). Returns NULL, or why it is refused. */
	const char *(*set)(struct swl_source_conf *c, const char *arg);
};

/* What one read did. */
struct swl_source_read {
	size_t entries;               /* entries handed to the pipeline (omprog: messages answered) */
	bool more;                    /* more may be there now: read again before waiting */
	bool changed;                 /* the source's own metrics changed without an entry */
	bool ended;                   /* nothing more will come */
};

/* An open source: each source's own struct starts with this. */
struct swl_source {
	const struct swl_source_type *type; /* set by swl_source_create */
	int fd;                       /* follow waits for it to be readable, or -1 */
	int poll_ms;                  /* follow reads again after this long without a wakeup */
};

struct swl_source_type {
	const char *name;
	const struct swl_source_option *options; /* ends with a NULL name; NULL: none */
	const char *options_heading;  /* follow --help's heading of the options that choose nothing */
	/* replay: whether path is an input of this source (NULL: not a replay source) */
	bool (*claims)(const char *path);
	/* A source for c and p, both borrowed until close; in follow mode its self-metrics are
	 * declared in p->reg. Nothing is opened yet. */
	struct swl_source *(*create)(const struct swl_source_conf *c, struct swl_pipeline *p);
	/* Open, after the saved position (NULL or empty: where c says to start). Returns 0, or a
	 * negative errno with err set: -EBADMSG when saved is not a position of this source. */
	int (*start)(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err);
	/* Read up to max entries into the pipeline. follow reads first once it serves (rules,
	 * state and HTTP are up). In follow mode a read error is reported (once) and reading goes
	 * on; in replay mode it is returned (a negative errno, and r->ended). */
	int (*read)(struct swl_source *s, size_t max, struct swl_source_read *r);
	/* follow, after each wait; readable: s->fd woke it. NULL: nothing to do. */
	void (*woke)(struct swl_source *s, bool readable);
	/* follow: the position to save with the values (borrowed from s until the next call). */
	void (*position)(struct swl_source *s, struct swl_state_pos *pos);
	/* follow: a state file holding that position was written. NULL: nothing to do. */
	void (*saved)(struct swl_source *s);
	void (*close)(struct swl_source *s);
};

/* t->create, with the result's type set. */
struct swl_source *swl_source_create(const struct swl_source_type *t, const struct swl_source_conf *c,
				     struct swl_pipeline *p);

/* Every source, NULL-terminated: in the order follow --help lists their options and replay
 * asks them to claim an input. */
extern const struct swl_source_type *const swl_source_types[];
/* The source called name, or NULL. */
const struct swl_source_type *swl_source_find(const char *name);
/* The first source that claims path, or NULL. */
const struct swl_source_type *swl_source_for_path(const char *path);

/* For options' set: one more path; NULL or "at most 64 paths". */
const char *swl_source_add_path(struct swl_source_conf *c, const char *path);

/* The self-metrics of what a source reads, labelled source="label" (a journal, a file,
 * omprog's stdin): entries read, and the log time of the last one. */
struct swl_source_stats {
	const char *label;            /* borrowed */
	struct swl_series *read, *last;
	bool error_reported;
};
void swl_source_stats_init(struct swl_source_stats *st, struct swl_registry *reg, const char *label);
/* One more series of a source's own, labelled source="label" (NULL: unlabelled). */
struct swl_series *swl_source_series(struct swl_registry *reg, const char *name, enum swl_metric_type type,
				     const char *help, const char *label);
/* n entries read, the last at t_us (0: unknown). Nothing when st was not initialised. */
void swl_source_count(struct swl_source_stats *st, size_t n, int64_t t_us);
/* 0 when saved (may be NULL) holds no position or one of kind mine; else -EBADMSG with a
 * message naming c->state_path: a state file of another mode is not carried over. */
int swl_source_own_pos(const struct swl_source_conf *c, const struct swl_state_pos *saved, enum swl_pos_kind mine,
		       struct swl_err *err);
/* A reading error (negative errno), reported on stderr the first time. */
void swl_source_error(struct swl_source_stats *st, int err);

#endif
