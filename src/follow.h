/* follow.h - the gateway daemon's loop: follow a source, feed the pipeline, serve /metrics,
 * save state.
 *
 * One thread (the caller's) owns the registry: it reads a bounded batch of entries per
 * wakeup, renders and publishes the exposition (when something changed and at least
 * SWL_FOLLOW_RENDER_MS passed, and always before blocking), and saves the state between
 * entries every save interval of activity and at exit. SIGTERM and SIGINT end the loop
 * through a signalfd polled together with the source; SIGHUP, or POST /-/reload through the
 * HTTP server's eventfd, reloads the rules (on this thread, between entries).
 *
 * omprog (SWL_FOLLOW_OMPROG) is one more source: rsyslog's omprog with confirmMessages. Lines
 * come on stdin; each is appended to the write-ahead log (state path + ".wal", wal.h), then
 * applied, then confirmed with "OK\n" on stdout; when the append fails the reply is
 * "Error: ...\n" (rsyslog sends the message again) and nothing is applied. The first "OK\n"
 * is written once the rules, the state and the log are loaded and HTTP is listening. End of
 * stdin ends the loop like SIGTERM.
 *
 * --textfile: the Prometheus text is also written to a file (temporary file + rename in its
 * directory) at most every SWL_FOLLOW_TEXTFILE_MS when it changed, and at exit.
 */
#ifndef SWL_FOLLOW_H
#define SWL_FOLLOW_H

#include "pipeline.h"

#define SWL_FOLLOW_BATCH 1000      /* entries per wakeup before HTTP rendering and saving get a turn */
#define SWL_FOLLOW_RENDER_MS 250
#define SWL_FOLLOW_POLL_MS 250     /* files: how often a quiet file is looked at again */
#define SWL_FOLLOW_SAVE_MS 2000
#define SWL_FOLLOW_TEXTFILE_MS 5000
#define SWL_DEFAULT_STATE_PATH "/var/lib/swanlog/state"

enum swl_follow_source { SWL_FOLLOW_JOURNAL, SWL_FOLLOW_JOURNAL_DIR, SWL_FOLLOW_JOURNAL_FILES, SWL_FOLLOW_FILES,
			 SWL_FOLLOW_OMPROG };

struct swl_webconfig;

struct swl_follow_opts {
	enum swl_follow_source source;
	const char *const *paths;        /* journal dir, journal files or followed files */
	size_t npaths;
	const char *const *identifiers;  /* SYSLOG_IDENTIFIER matches for the journal */
	size_t nidentifiers;
	bool kernel;                     /* also _TRANSPORT=kernel entries */
	bool from_head;                  /* with no saved position: read what is there (else: only new) */
	const char *state_path;
	bool reset_state;                /* ignore (and later overwrite) the state file */
	const char *listen;
	const char *rules_path;          /* SIGHUP loads it again into p->rules (NULL: SIGHUP ignored) */
	size_t max_line;
	unsigned save_ms;                /* 0 = SWL_FOLLOW_SAVE_MS */
	const struct swl_webconfig *web; /* TLS and basic auth for HTTP, or NULL (borrowed) */
	bool lifecycle;                  /* POST /-/reload */
	const char *textfile;            /* also write the exposition here, or NULL */
};

/* Run until SIGTERM or SIGINT. p is fully wired (registry, rules, context) and borrowed;
 * a reload replaces p->rules (the old ruleset is destroyed), so the caller frees p->rules.
 * Returns 0 after a clean stop (state saved); -EBADMSG when the state file is refused;
 * another negative errno on failure. err says why. */
int swl_follow_run(const struct swl_follow_opts *o, struct swl_pipeline *p, struct swl_err *err);

#endif
