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

struct swl_source_stats;

/* An open source: each source's own struct starts with this. */
struct swl_source {
	const struct swl_source_type *type; /* set by swl_source_create */
	int fd;                       /* follow waits for it to be readable, or -1 */
	int poll_ms;                  /* follow reads again after this long without a wakeup */
	struct swl_source_stats *parts; /* what it reads (a file, the journal), each with its status */
};

struct swl_source_type {
	const char *name;
	const struct swl_source_option *options; /* ends with a NULL name; NULL: none */
	const char *options_heading;  /* follow --help's heading of the options that choose nothing */
	/* follow: what c reads, in words, appended to b (the start-up line, the landing page);
	 * NULL: the source's name */
	void (*describe)(const struct swl_source_conf *c, struct swl_buf *b);
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
	/* replay: bytes of the input read so far and its size (0: unknown), for the progress
	 * shown on a terminal. NULL: not known until the input ends. */
	void (*progress)(struct swl_source *s, uint64_t *done, uint64_t *size);
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

/* The self-metrics of each thing a source reads, labelled source="label" (a journal, a file,
 * omprog's stdin): entries read, the log time of the last one, whether it can be read now
 * (swanlog_source_up) and read errors. Whether it can be read is told to the log when it
 * changes (with what would fix it), and follow's /healthz fails while no part can be read. */
struct swl_source_stats {
	const char *label;            /* borrowed */
	struct swl_series *read, *last, *up, *errors;
	int status;                   /* 0: can be read; else the negative errno of why not */
	char why[512];                /* why not, and what would fix it */
	bool told;                    /* the status was logged (or, up at the start, need not be) */
	struct swl_source_stats *next; /* the source's next part */
};
/* Declares the series in reg (swanlog_source_up is not saved in the state) and adds st to
 * src's parts; up until swl_source_status says otherwise. */
void swl_source_stats_init(struct swl_source_stats *st, struct swl_source *src, struct swl_registry *reg,
			   const char *label);
/* One more series of a source's own, labelled source="label" (NULL: unlabelled). */
struct swl_series *swl_source_series(struct swl_registry *reg, const char *name, enum swl_metric_type type,
				     const char *help, const char *label);
/* n entries read, the last at t_us (0: unknown). Nothing when st was not initialised. */
void swl_source_count(struct swl_source_stats *st, size_t n, int64_t t_us);
/* 0 when saved (may be NULL) holds no position or one of kind mine; else -EBADMSG with a
 * message naming c->state_path: a state file of another mode is not carried over. */
int swl_source_own_pos(const struct swl_source_conf *c, const struct swl_state_pos *saved, enum swl_pos_kind mine,
		       struct swl_err *err);
/* Whether the part can be read: status 0, or a negative errno and why not (NULL: the errno's
 * text), with what would fix it. Logged when it changes: going down as an error (a missing
 * file as a warning), coming back as information. Nothing when st was not initialised.
 * Returns whether it changed (a metric with it). */
bool swl_source_status(struct swl_source_stats *st, int status, const char *why);
/* A reading error (negative errno): counted in swanlog_source_read_errors_total, and the part
 * is down until a read succeeds (swl_source_status(st, 0, NULL)). */
void swl_source_error(struct swl_source_stats *st, int err);
/* true when some part of s can be read (or s has none); otherwise why (cap bytes) says what
 * is wrong with each. */
bool swl_source_readable(const struct swl_source *s, char *why, size_t cap);
/* Why path cannot be opened for reading (err: the negative errno of the attempt), said to an
 * operator: for a permission, the user swanlog runs as and the groups that may read path (its
 * group, and those of its access ACL), or that a directory on the way is closed. */
void swl_source_explain(char *out, size_t cap, const char *path, int err);

#endif
