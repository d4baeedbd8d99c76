/* follow.h - the gateway daemon's loop, for the follow and omprog commands: run one source
 * (source.h), feed the pipeline, serve /metrics, save state.
 *
 * One thread (the caller's) owns the registry: it reads a bounded batch of entries from the
 * source per wakeup, renders and publishes the exposition (when something changed and at
 * least SWL_FOLLOW_RENDER_MS passed, and always before blocking), and saves the state (the
 * source's position with every value) between entries every save interval of activity and at
 * exit. /metrics also holds the process metrics (process.h), read at each rendering: with
 * nothing changed, the exposition is rendered again every SWL_FOLLOW_REFRESH_MS for them.
 * /healthz fails while no part of the source can be read (source.h).
 * Once serving, one line says what it is: its version, the address as bound, the source, the
 * rules and their count, and the state file.
 * It waits for the source's fd, a signalfd and the HTTP server's reload eventfd at once:
 * SIGTERM and SIGINT end the loop, and so does a source with nothing more to come (omprog at
 * the end of stdin); SIGHUP, or POST /-/reload, reloads the rules (on this thread, between
 * entries).
 *
 * --textfile: the Prometheus text is also written to a file (temporary file + rename in its
 * directory) at most every SWL_FOLLOW_TEXTFILE_MS when it changed, and at exit.
 */
#ifndef SWL_FOLLOW_H
#define SWL_FOLLOW_H

#include "pipeline.h"
#include "source.h"

#define SWL_FOLLOW_BATCH 1000      /* entries per wakeup before HTTP rendering and saving get a turn */
#define SWL_FOLLOW_RENDER_MS 250
#define SWL_FOLLOW_SAVE_MS 2000
#define SWL_FOLLOW_TEXTFILE_MS 5000
#define SWL_FOLLOW_REFRESH_MS 5000 /* nothing changed: rendered again this often for the process metrics */
#define SWL_DEFAULT_STATE_PATH "/var/lib/swanlog/state"

struct swl_webconfig;

struct swl_follow_opts {
	const struct swl_source_type *source;
	const struct swl_source_conf *conf; /* the source's settings (mode and state_path are follow's) */
	const char *state_path;
	bool reset_state;                /* ignore (and later overwrite) the state file */
	const char *listen;
	const char *rules_path;          /* SIGHUP loads it again into p->rules (NULL: SIGHUP ignored) */
	unsigned save_ms;                /* 0 = SWL_FOLLOW_SAVE_MS */
	const struct swl_webconfig *web; /* TLS and basic auth for HTTP, or NULL (borrowed) */
	bool lifecycle;                  /* POST /-/reload */
	const char *textfile;            /* also write the exposition here, or NULL */
	const char *version;             /* for the start-up line and the landing page (NULL: SWL_VERSION) */
};

/* Run until SIGTERM or SIGINT, or the source's end. p is fully wired (registry, rules,
 * context) and borrowed; a reload replaces p->rules (the old ruleset is destroyed), so the
 * caller frees p->rules.
 * Returns 0 after a clean stop (state saved); -EBADMSG when the state file is refused;
 * another negative errno on failure. err says why. */
int swl_follow_run(const struct swl_follow_opts *o, struct swl_pipeline *p, struct swl_err *err);

#endif
