/* follow.c - the follow loop (see follow.h): source -> pipeline, render, save, signals.
 *
 * Exactly once: the state is saved only here, on the pipeline thread, between batches, so
 * the position written (the journal cursor of the last entry read, or each file's offset
 * after its last delivered line) is exactly where the saved values stop. A restart after
 * SIGKILL replays what came after the last save onto the values of that save.
 */
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "expo.h"
#include "fileio.h"
#include "http.h"
#include "source_journal.h"
#include "source_omprog.h"
#include "source_tail.h"
#include "state.h"
#include "wal.h"

#define JOURNAL_POLL_MS 1000          /* a safety net: journal changes normally wake us via inotify */
#define EXPO_MAX (256u << 20)         /* a rendering larger than this is cut (and reported) */

/* Self-metrics of one source. */
struct src {
	const char *label;
	struct swl_series *read, *last, *gaps, *rotations, *truncations;
	uint64_t rotations_seen, truncations_seen;
	bool error_reported;
};

struct follower {
	const struct swl_follow_opts *o;
	struct swl_pipeline *p;
	struct swl_journal *j;
	char *cursor;                 /* last known journal cursor (owned) */
	struct swl_tail **tails;
	struct swl_parser *parsers;   /* one per file: classic syslog's year tracking is per stream */
	size_t ntails;
	struct src *srcs;             /* one per file, or one for the journal */
	struct swl_series *saves, *save_errors;
	struct swl_series *reload_ok, *reload_ts, *load_errors;
	struct swl_http *http;
	/* omprog */
	struct swl_omprog *omprog;
	struct swl_series *omprog_errors, *omprog_resent;
	/* --textfile */
	bool dirty_textfile;
	int64_t last_textfile_us;
	int sigfd, jfd;
	int infd;                     /* files: inotify on their directories, or -1 (then polling only) */
	bool dirty_render, dirty_save;
	int64_t last_render_us, last_save_us;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct swl_series *series1(struct swl_registry *reg, const char *name, enum swl_metric_type type,
				  const char *help, const char *label)
{
	static const char *const labels[] = { "source" };
	struct swl_family *f = swl_registry_family(reg, name, type, help, labels, label ? 1 : 0, NULL, 0, 0);
	struct swl_str v = swl_str_c(label);
	return swl_family_series(f, label ? &v : NULL);
}

static void declare_metrics(struct follower *fl)
{
	struct swl_registry *reg = fl->p->reg;
	size_t n = fl->o->source == SWL_FOLLOW_FILES ? fl->o->npaths : 1;
	fl->srcs = swl_xcalloc(n, sizeof(*fl->srcs));
	for (size_t i = 0; i < n; i++) {
		struct src *s = &fl->srcs[i];
		s->label = fl->o->source == SWL_FOLLOW_FILES ? fl->o->paths[i]
			   : fl->o->source == SWL_FOLLOW_OMPROG ? "omprog"
								 : "journal";
		s->read = series1(reg, "swanlog_source_entries_read_total", SWL_COUNTER,
				  "Entries (journal entries or lines) read from each source.", s->label);
		s->last = series1(reg, "swanlog_source_last_entry_timestamp_seconds", SWL_GAUGE,
				  "Log time of the last entry read from each source.", s->label);
		if (fl->o->source == SWL_FOLLOW_FILES) {
			s->rotations = series1(reg, "swanlog_source_rotations_total", SWL_COUNTER,
					       "Followed files replaced at their path (rename rotation, delete and recreate).",
					       s->label);
			s->truncations = series1(reg, "swanlog_source_truncations_total", SWL_COUNTER,
						 "Followed files truncated under the read offset (copytruncate): read again from 0.",
						 s->label);
		} else if (fl->o->source != SWL_FOLLOW_OMPROG) {
			s->gaps = series1(reg, "swanlog_source_gaps_total", SWL_COUNTER,
					  "Saved journal positions gone on restart (vacuumed or rotated away): "
					  "reading went on from the oldest entry.",
					  s->label);
		}
	}
	fl->saves = series1(reg, "swanlog_state_saves_total", SWL_COUNTER, "State files written.", NULL);
	fl->save_errors = series1(reg, "swanlog_state_save_errors_total", SWL_COUNTER,
				  "State saves that failed (the previous state file stays).", NULL);
	fl->reload_ok = series1(reg, "swanlog_config_last_reload_successful", SWL_GAUGE,
				"Whether the last rules (re)load succeeded (1) or failed and the old rules still run (0).",
				NULL);
	fl->reload_ts = series1(reg, "swanlog_config_last_reload_success_timestamp_seconds", SWL_GAUGE,
				"Wall-clock time of the last successful rules (re)load.", NULL);
	fl->load_errors = series1(reg, "swanlog_rules_load_errors_total", SWL_COUNTER,
				  "Rules reloads refused because a rules file was bad (the old rules kept running).",
				  NULL);
	if (fl->o->source == SWL_FOLLOW_OMPROG) {
		fl->omprog_errors = series1(reg, "swanlog_omprog_errors_total", SWL_COUNTER,
					    "Messages answered with an error (not applied; rsyslog sends them again), "
					    "because the write-ahead log could not be written.",
					    NULL);
		fl->omprog_resent = series1(reg, "swanlog_omprog_resent_total", SWL_COUNTER,
					    "Messages rsyslog sent again after a crash cut off their confirmation: "
					    "confirmed, not counted twice.",
					    NULL);
	}
}

static double wall_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- rendering ---- */

static char *render(const struct swl_registry *reg, enum swl_format fmt, size_t *len)
{
	struct swl_buf b;
	swl_buf_init(&b, EXPO_MAX);
	if (swl_expo_render(reg, fmt, 0, &b) < 0)
		fprintf(stderr, "swanlog: the exposition exceeds %u bytes and was cut\n", EXPO_MAX);
	if (!b.p)
		swl_buf_add(&b, "", 0);
	return swl_buf_steal(&b, len);
}

static void publish(struct follower *fl)
{
	size_t plen, olen;
	char *prom = render(fl->p->reg, SWL_FORMAT_PROMETHEUS, &plen);
	char *om = render(fl->p->reg, SWL_FORMAT_OPENMETRICS, &olen);
	swl_http_publish(fl->http, prom, plen, om, olen);
	fl->dirty_render = false;
	fl->dirty_textfile = true;
	fl->last_render_us = mono_us();
}

/* --textfile: write path atomically (a temporary file in the same directory, then rename), so
 * node_exporter's textfile collector never reads half a file. The temporary name does not
 * end in .prom, so the collector ignores it. */
static int write_textfile(struct follower *fl, struct swl_err *err)
{
	const char *path = fl->o->textfile;
	size_t len;
	char *text = render(fl->p->reg, SWL_FORMAT_PROMETHEUS, &len);
	size_t tl = strlen(path) + 32;
	char *tmp = swl_xmalloc(tl);
	snprintf(tmp, tl, "%s.tmp.%ld", path, (long)getpid());
	int r = swl_replace_file(path, tmp, text, len, 0644, 0, NULL);
	if (r < 0)
		swl_errf(err, "--textfile %s: %s", path, strerror(-r));
	free(tmp);
	free(text);
	fl->dirty_textfile = false;
	fl->last_textfile_us = mono_us();
	return r;
}

/* ---- state ---- */

static int save(struct follower *fl, struct swl_err *err)
{
	struct swl_state_pos pos = { 0 };
	char walpos[32];
	if (fl->omprog) {
		swl_wal_pos_format(swl_omprog_seq(fl->omprog), walpos, sizeof(walpos));
		pos.cursor = walpos; /* borrowed */
	}
	if (fl->j) {
		char *c = swl_journal_cursor(fl->j);
		if (c) {
			free(fl->cursor);
			fl->cursor = c;
		}
		pos.cursor = fl->cursor; /* borrowed: not fini'd below */
	}
	struct swl_file_pos files[fl->ntails ? fl->ntails : 1];
	for (size_t i = 0; i < fl->ntails; i++)
		swl_tail_pos(fl->tails[i], &files[i]);
	pos.files = files;
	pos.nfiles = fl->ntails;
	/* counted before writing, so the file holds its own save */
	swl_series_add(fl->saves, 1, fl->p->last_time_us);
	int r = swl_state_save(fl->o->state_path, &pos, fl->p->reg, fl->p->ctx, err);
	if (r < 0)
		swl_series_add(fl->save_errors, 1, fl->p->last_time_us);
	/* the save holds every record up to its sequence number: the log can be cut */
	if (r == 0 && fl->omprog) {
		int wr = swl_omprog_checkpoint(fl->omprog);
		if (wr < 0)
			fprintf(stderr, "swanlog: cutting the write-ahead log: %s\n", strerror(-wr));
	}
	fl->dirty_save = false;
	fl->dirty_render = true;
	fl->last_save_us = mono_us();
	return r;
}

/* ---- sources ---- */

static void source_read(struct src *s, size_t n, int64_t t_us)
{
	if (!n)
		return;
	swl_series_add(s->read, (double)n, t_us);
	if (t_us)
		swl_series_set(s->last, (double)t_us / 1e6, t_us);
}

static void source_error(struct src *s, int r)
{
	if (!s->error_reported)
		fprintf(stderr, "swanlog: reading %s: %s\n", s->label, strerror(-r));
	s->error_reported = true;
}

/* Up to SWL_FOLLOW_BATCH entries; *more when a source may have more right now. */
static size_t read_journal(struct follower *fl, bool *more)
{
	struct swl_event ev;
	size_t n = 0;
	int r = 0;
	while (n < SWL_FOLLOW_BATCH && (r = swl_journal_next(fl->j, &ev)) > 0) {
		swl_pipeline_event(fl->p, &ev);
		n++;
	}
	if (r < 0)
		source_error(&fl->srcs[0], r);
	source_read(&fl->srcs[0], n, fl->p->last_time_us);
	*more = n == SWL_FOLLOW_BATCH;
	return n;
}

static size_t read_files(struct follower *fl, bool *more)
{
	size_t total = 0;
	*more = false;
	for (size_t i = 0; i < fl->ntails; i++) {
		struct src *s = &fl->srcs[i];
		const char *line;
		size_t len, n = 0;
		bool oversized;
		int r = 0;
		fl->p->parser = fl->parsers[i];
		while (n < SWL_FOLLOW_BATCH && (r = swl_tail_next(fl->tails[i], &line, &len, &oversized)) > 0) {
			swl_pipeline_line(fl->p, line, len, oversized);
			n++;
		}
		fl->parsers[i] = fl->p->parser;
		if (r < 0)
			source_error(s, r);
		source_read(s, n, fl->p->last_time_us);
		uint64_t rot = swl_tail_rotations(fl->tails[i]), tr = swl_tail_truncations(fl->tails[i]);
		if (rot != s->rotations_seen) {
			swl_series_add(s->rotations, (double)(rot - s->rotations_seen), fl->p->last_time_us);
			s->rotations_seen = rot;
			fl->dirty_save = fl->dirty_render = true;
		}
		if (tr != s->truncations_seen) {
			swl_series_add(s->truncations, (double)(tr - s->truncations_seen), fl->p->last_time_us);
			s->truncations_seen = tr;
			fl->dirty_save = fl->dirty_render = true;
		}
		*more |= n == SWL_FOLLOW_BATCH;
		total += n;
	}
	return total;
}

static int open_journal(struct follower *fl, const struct swl_state_pos *saved, struct swl_err *err)
{
	const struct swl_follow_opts *o = fl->o;
	enum swl_journal_kind kind = o->source == SWL_FOLLOW_JOURNAL ? SWL_JOURNAL_LOCAL
				     : o->source == SWL_FOLLOW_JOURNAL_DIR ? SWL_JOURNAL_DIR
									   : SWL_JOURNAL_FILES;
	int r = swl_journal_open(kind, o->paths, o->npaths, o->identifiers, o->nidentifiers, o->kernel, &fl->j);
	if (r < 0) {
		swl_errf(err, "cannot open the journal%s%s: %s", o->npaths ? " at " : "", o->npaths ? o->paths[0] : "",
		     strerror(-r));
		return r;
	}
	/* the inotify watches first, so nothing appended from here on is missed */
	fl->jfd = swl_journal_fd(fl->j);
	if (fl->jfd < 0) {
		swl_errf(err, "cannot watch the journal: %s", strerror(-fl->jfd));
		return fl->jfd;
	}
	if (saved->cursor) {
		fl->cursor = swl_xstrdup(saved->cursor);
		r = swl_journal_seek_cursor(fl->j, saved->cursor);
		if (r == 0) {
			fprintf(stderr, "swanlog: the saved journal position is gone: reading from the oldest entry\n");
			swl_series_add(fl->srcs[0].gaps, 1, fl->p->last_time_us);
		}
	} else {
		r = o->from_head ? swl_journal_seek_head(fl->j) : swl_journal_seek_tail(fl->j);
	}
	if (r < 0) {
		swl_errf(err, "cannot position in the journal: %s", strerror(-r));
		return r;
	}
	return 0;
}

static void open_files(struct follower *fl, const struct swl_state_pos *saved)
{
	const struct swl_follow_opts *o = fl->o;
	fl->ntails = o->npaths;
	fl->tails = swl_xcalloc(o->npaths, sizeof(*fl->tails));
	fl->parsers = swl_xcalloc(o->npaths, sizeof(*fl->parsers));
	for (size_t i = 0; i < o->npaths; i++) {
		fl->tails[i] = swl_tail_open(o->paths[i], o->max_line, o->from_head ? SWL_TAIL_HEAD : SWL_TAIL_END,
					     swl_state_pos_file(saved, o->paths[i]));
		swl_parser_init(&fl->parsers[i], 0, 0);
	}
	/* Wake on any change in the files' directories (writes, renames, creations); the poll
	 * interval stays as the safety net, and the only way when inotify is not available. */
	fl->infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (size_t i = 0; fl->infd >= 0 && i < o->npaths; i++) {
		char *copy = swl_xstrdup(o->paths[i]);
		inotify_add_watch(fl->infd, dirname(copy),
				  IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB);
		free(copy);
	}
}

/* Empty the inotify queue: the events only say "look again". */
static void inotify_drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* SIGHUP or POST /-/reload: load the rules again; on success they replace the old ones
 * between two entries, on failure the old ones stay. Values and context are kept either way.
 * msg (cap bytes) says what happened. */
static bool reload(struct follower *fl, char *msg, size_t cap)
{
	if (!fl->o->rules_path) {
		snprintf(msg, cap, "no rules path to reload");
		return false;
	}
	struct swl_ruleset *rs;
	struct swl_err e;
	fl->dirty_render = true;
	if (swl_rules_load(fl->o->rules_path, fl->p->reg, &rs, &e) < 0) {
		snprintf(msg, cap, "reload failed, keeping the old rules: %s", e.msg);
		fprintf(stderr, "swanlog: %s\n", msg);
		swl_series_set(fl->reload_ok, 0, fl->p->last_time_us);
		swl_series_add(fl->load_errors, 1, fl->p->last_time_us);
		return false;
	}
	swl_rules_destroy(swl_pipeline_set_rules(fl->p, rs));
	swl_series_set(fl->reload_ok, 1, fl->p->last_time_us);
	swl_series_set(fl->reload_ts, wall_s(), fl->p->last_time_us);
	snprintf(msg, cap, "rules reloaded from %s (%zu rules)", fl->o->rules_path, swl_rules_count(rs));
	fprintf(stderr, "swanlog: %s\n", msg);
	return true;
}

/* ---- omprog: stdin with a confirmation per message ---- */

static void omprog_apply(void *arg, const char *line, size_t len, bool oversized)
{
	struct follower *fl = arg;
	swl_pipeline_line(fl->p, line, len, oversized);
}

static void omprog_resent(void *arg)
{
	struct follower *fl = arg;
	swl_series_add(fl->omprog_resent, 1, fl->p->last_time_us);
}

static void omprog_refused(void *arg)
{
	struct follower *fl = arg;
	swl_series_add(fl->omprog_errors, 1, fl->p->last_time_us);
	fl->dirty_render = true;
}

static size_t read_omprog(struct follower *fl, bool *more)
{
	size_t n, applied;
	int r = swl_omprog_read(fl->omprog, SWL_FOLLOW_BATCH, &n, &applied, more);
	if (r < 0)
		source_error(&fl->srcs[0], r);
	source_read(&fl->srcs[0], applied, fl->p->last_time_us);
	return n;
}

static int open_omprog(struct follower *fl, const struct swl_state_pos *saved, struct swl_err *err)
{
	uint64_t after = 0;
	if (saved->cursor && swl_wal_pos_parse(saved->cursor, &after) < 0) {
		swl_errf(err, "%s: the saved position is not an omprog one (a state file of another mode?)",
			 fl->o->state_path);
		return -EBADMSG;
	}
	size_t pl = strlen(fl->o->state_path) + 5;
	char *path = swl_xmalloc(pl);
	snprintf(path, pl, "%s.wal", fl->o->state_path);
	const struct swl_omprog_ops ops = { omprog_apply, omprog_resent, omprog_refused, fl };
	long applied;
	int r = swl_omprog_open(STDIN_FILENO, STDOUT_FILENO, path, fl->o->max_line, after, &ops, &fl->omprog, &applied);
	if (r < 0) {
		swl_errf(err, "write-ahead log %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	if (applied) {
		fprintf(stderr, "swanlog: %s: %ld messages after the last save applied again\n", path, applied);
		source_read(&fl->srcs[0], (size_t)applied, fl->p->last_time_us);
	}
	free(path);
	/* non-blocking, so the loop polls stdin together with signals and reloads */
	int fdfl = fcntl(STDIN_FILENO, F_GETFL);
	if (fdfl < 0 || fcntl(STDIN_FILENO, F_SETFL, fdfl | O_NONBLOCK) < 0) {
		r = -errno;
		swl_errf(err, "stdin: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* ---- the loop ---- */

static int setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* blocked before the HTTP thread exists, so only the signalfd ever sees them */
	int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r != 0)
		return -r;
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int loop(struct follower *fl, struct swl_err *err)
{
	unsigned save_ms = fl->o->save_ms ? fl->o->save_ms : SWL_FOLLOW_SAVE_MS;
	fl->last_save_us = mono_us();
	for (;;) {
		bool more;
		size_t n = fl->omprog ? read_omprog(fl, &more) : fl->j ? read_journal(fl, &more) : read_files(fl, &more);
		if (n)
			fl->dirty_render = fl->dirty_save = true;
		if (fl->omprog && swl_omprog_done(fl->omprog))
			return 0;
		int64_t now = mono_us();
		if (fl->dirty_save && now - fl->last_save_us >= (int64_t)save_ms * 1000) {
			struct swl_err e;
			if (save(fl, &e) < 0)
				fprintf(stderr, "swanlog: %s\n", e.msg);
		}
		/* render when changed, at most every SWL_FOLLOW_RENDER_MS, and always before blocking */
		if (fl->dirty_render && (!more || now - fl->last_render_us >= SWL_FOLLOW_RENDER_MS * 1000))
			publish(fl);
		if (fl->o->textfile && fl->dirty_textfile &&
		    now - fl->last_textfile_us >= (int64_t)SWL_FOLLOW_TEXTFILE_MS * 1000) {
			struct swl_err e;
			if (write_textfile(fl, &e) < 0)
				fprintf(stderr, "swanlog: %s\n", e.msg);
		}
		int timeout = 0;
		if (!more) {
			/* omprog waits on stdin alone: no safety-net polling needed */
			timeout = fl->j ? JOURNAL_POLL_MS : SWL_FOLLOW_POLL_MS;
			if (fl->o->textfile && fl->dirty_textfile) {
				int64_t due = (fl->last_textfile_us + (int64_t)SWL_FOLLOW_TEXTFILE_MS * 1000 - mono_us()) / 1000 + 1;
				if (due < timeout)
					timeout = due < 0 ? 0 : (int)due;
			}
			if (fl->dirty_save) {
				int64_t due = (fl->last_save_us + (int64_t)save_ms * 1000 - mono_us()) / 1000 + 1;
				if (due < timeout)
					timeout = due < 0 ? 0 : (int)due;
			}
		}
		/* a negative fd is skipped by poll */
		struct pollfd pfd[3] = { { .fd = fl->sigfd, .events = POLLIN },
					 { .fd = fl->omprog ? STDIN_FILENO : fl->j ? fl->jfd : fl->infd, .events = POLLIN },
					 { .fd = swl_http_reload_fd(fl->http), .events = POLLIN } };
		int r = poll(pfd, 3, timeout);
		if (r < 0 && errno != EINTR) {
			int e = errno;
			swl_errf(err, "poll: %s", strerror(e));
			return -e;
		}
		char msg[sizeof(((struct swl_err *)0)->msg) + 64];
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(fl->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo != SIGHUP)
					return 0;
				reload(fl, msg, sizeof(msg));
			}
		}
		if (r > 0 && (pfd[2].revents & POLLIN)) {
			uint64_t ticket = swl_http_reload_take(fl->http);
			bool ok = reload(fl, msg, sizeof(msg));
			swl_http_reload_done(fl->http, ticket, ok, msg);
		}
		if (!fl->omprog && fl->infd >= 0 && r > 0 && (pfd[1].revents & POLLIN))
			inotify_drain(fl->infd);
		if (fl->j) {
			/* let sd-journal process its inotify events (new files, rotation, appends) */
			r = swl_journal_wait(fl->j, 0);
			if (r < 0)
				source_error(&fl->srcs[0], r);
		}
	}
}

/* One process per state file: a second one (a second rsyslog worker running omprog, or a
 * restart while the old process still saves) would overwrite the other's saves and cut its
 * write-ahead log. The lock is on PATH.lock and goes away with the process. */
static int lock_state(const char *state_path, struct swl_err *err)
{
	size_t n = strlen(state_path) + 6;
	char *path = swl_xmalloc(n);
	snprintf(path, n, "%s.lock", state_path);
	/* a first start: the directory is created (one level), as the state save does */
	int fd = swl_open_mkdir(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int r = fd < 0 ? fd : 0;
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
	}
	if (r == -EBUSY)
		swl_errf(err, "%s: another swanlog is using this state file", state_path);
	else if (r < 0)
		swl_errf(err, "%s: %s", path, strerror(-r));
	free(path);
	return r < 0 ? r : fd;
}

int swl_follow_run(const struct swl_follow_opts *o, struct swl_pipeline *p, struct swl_err *err)
{
	struct follower fl = { .o = o, .p = p, .sigfd = -1, .jfd = -1, .infd = -1 };
	struct swl_state_pos saved = { 0 };
	int r;
	p->wall_clock = true; /* entries carrying no time are stamped with now */
	declare_metrics(&fl);
	int lockfd = r = lock_state(o->state_path, err);
	if (r < 0)
		goto out;

	if (!o->reset_state) {
		size_t dropped;
		r = swl_state_load(o->state_path, &saved, p->reg, p->ctx, &dropped, err);
		if (r < 0 && r != -ENOENT)
			goto out;
		if (dropped)
			fprintf(stderr, "swanlog: %s: %zu saved series of metrics no longer in the rules were dropped\n",
				o->state_path, dropped);
	}
	/* the rules were loaded by the caller just now (after any saved value of these) */
	swl_series_set(fl.reload_ok, 1, p->last_time_us);
	swl_series_set(fl.reload_ts, wall_s(), p->last_time_us);

	r = setup_signals();
	if (r < 0) {
		swl_errf(err, "signals: %s", strerror(-r));
		goto out;
	}
	fl.sigfd = r;

	if (o->source == SWL_FOLLOW_FILES) {
		open_files(&fl, &saved);
	} else if (o->source == SWL_FOLLOW_OMPROG) {
		if ((r = open_omprog(&fl, &saved, err)) < 0)
			goto out;
	} else if ((r = open_journal(&fl, &saved, err)) < 0) {
		goto out;
	}

	/* save once now: a state path that cannot be written fails at the start, not at exit */
	r = save(&fl, err);
	if (r < 0)
		goto out;

	struct swl_http_config hc = { .listen = o->listen, .web = o->web, .lifecycle = o->lifecycle };
	r = swl_http_start(&hc, &fl.http, err);
	if (r < 0)
		goto out;
	publish(&fl);
	if (o->textfile && (r = write_textfile(&fl, err)) < 0)
		goto out;
	/* omprog: ready (rules, state, log, HTTP): rsyslog may send the first message */
	if (fl.omprog)
		swl_omprog_ready(fl.omprog);

	r = loop(&fl, err);
	struct swl_err e;
	int sr = save(&fl, &e);
	if (sr < 0 && r == 0) {
		*err = e;
		r = sr;
	}
	if (o->textfile && (sr = write_textfile(&fl, &e)) < 0 && r == 0) {
		*err = e;
		r = sr;
	}
out:
	swl_http_stop(fl.http);
	for (size_t i = 0; i < fl.ntails; i++)
		swl_tail_close(fl.tails[i]);
	free(fl.tails);
	free(fl.parsers);
	swl_journal_close(fl.j);
	free(fl.cursor);
	free(fl.srcs);
	swl_omprog_close(fl.omprog);
	if (fl.sigfd >= 0)
		close(fl.sigfd);
	if (fl.infd >= 0)
		close(fl.infd);
	if (lockfd >= 0)
		close(lockfd);
	swl_state_pos_fini(&saved);
	return r;
}
