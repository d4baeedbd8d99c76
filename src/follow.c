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
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "expo.h"
#include "fileio.h"
#include "http.h"
#include "log.h"
#include "process.h"
#include "state.h"
#include "webconfig.h"

#define EXPO_MAX (256u << 20)         /* a rendering larger than this is cut (and reported) */

struct follower {
	const struct swl_follow_opts *o;
	char *state_path;    /* o->state_path resolved (owned): see resolve_state */
	struct swl_pipeline *p;
	struct swl_source *src;
	struct swl_series *saves, *save_errors;
	struct swl_series *reload_ok, *reload_ts, *load_errors;
	struct swl_http *http;
	struct swl_process_metrics *process;
	char problem[1024];           /* why nothing can be read, as /healthz was last told ("" none) */
	/* --textfile */
	bool dirty_textfile;
	int64_t last_textfile_us;
	int sigfd;
	bool dirty_render, dirty_save;
	int64_t last_render_us, last_save_us;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* follow's own metrics: one unlabelled series each */
static struct swl_series *series0(struct swl_registry *reg, const char *name, enum swl_metric_type type,
				  const char *help)
{
	return swl_source_series(reg, name, type, help, NULL);
}

static void declare_metrics(struct follower *fl)
{
	struct swl_registry *reg = fl->p->reg;
	fl->saves = series0(reg, "swanlog_state_saves_total", SWL_COUNTER, "State files written.");
	fl->save_errors = series0(reg, "swanlog_state_save_errors_total", SWL_COUNTER,
				  "State saves that failed (the previous state file stays).");
	fl->reload_ok = series0(reg, "swanlog_config_last_reload_successful", SWL_GAUGE,
				"Whether the last rules (re)load succeeded (1) or failed and the old rules still run (0).");
	fl->reload_ts = series0(reg, "swanlog_config_last_reload_success_timestamp_seconds", SWL_GAUGE,
				"Wall-clock time of the last successful rules (re)load.");
	fl->load_errors = series0(reg, "swanlog_rules_load_errors_total", SWL_COUNTER,
				  "Rules reloads refused because a rules file was bad (the old rules kept running).");
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
		swl_log(LOG_ERR, "the exposition exceeds %u bytes and was cut", EXPO_MAX);
	if (!b.p)
		swl_buf_add(&b, "", 0);
	return swl_buf_steal(&b, len);
}

/* /metrics: the registry, then the process metrics read now. The OpenMetrics "# EOF" of the
 * first rendering gives way to the second's. */
static char *render_http(struct follower *fl, enum swl_format fmt, size_t *len)
{
	struct swl_buf b;
	swl_buf_init(&b, EXPO_MAX);
	int r = swl_expo_render(fl->p->reg, fmt, 0, &b);
	static const char eof[] = "# EOF\n";
	if (fmt == SWL_FORMAT_OPENMETRICS && b.len >= sizeof(eof) - 1 &&
	    memcmp(b.p + b.len - (sizeof(eof) - 1), eof, sizeof(eof) - 1) == 0)
		b.len -= sizeof(eof) - 1;
	if (r < 0 || swl_process_metrics_render(fl->process, fmt, &b) < 0)
		swl_log(LOG_ERR, "the exposition exceeds %u bytes and was cut", EXPO_MAX);
	if (!b.p)
		swl_buf_add(&b, "", 0);
	return swl_buf_steal(&b, len);
}

/* changed: the registry changed (not only the process metrics): --textfile is due too. */
static void publish(struct follower *fl, bool changed)
{
	size_t plen, olen;
	char *prom = render_http(fl, SWL_FORMAT_PROMETHEUS, &plen);
	char *om = render_http(fl, SWL_FORMAT_OPENMETRICS, &olen);
	swl_http_publish(fl->http, prom, plen, om, olen);
	fl->dirty_render = false;
	fl->dirty_textfile |= changed;
	fl->last_render_us = mono_us();
}

/* /healthz fails while no part of the source can be read; told when that changes. */
static void health(struct follower *fl)
{
	char why[sizeof(fl->problem)];
	swl_source_readable(fl->src, why, sizeof(why));
	if (strcmp(why, fl->problem) == 0)
		return;
	snprintf(fl->problem, sizeof(fl->problem), "%s", why);
	swl_http_set_problem(fl->http, why);
}

/* --textfile: write path atomically (a temporary file in the same directory, then rename), so
 * node_exporter's textfile collector never reads half a file. The temporary name does not
 * end in .prom, so the collector ignores it. */
static int write_textfile(struct follower *fl, struct swl_err *err)
{
	const char *path = fl->o->textfile;
	size_t len;
	char *text = render(fl->p->reg, SWL_FORMAT_PROMETHEUS, &len);
	int r = swl_replace_file(path, text, len, 0644, 0, NULL);
	if (r < 0)
		swl_errf(err, "--textfile %s: %s", path, strerror(-r));
	free(text);
	fl->dirty_textfile = false;
	fl->last_textfile_us = mono_us();
	return r;
}

/* ---- state ---- */

static int save(struct follower *fl, struct swl_err *err)
{
	struct swl_state_pos pos = { 0 }; /* borrowed from the source: not fini'd */
	fl->src->type->position(fl->src, &pos);
	/* counted before writing, so the file holds its own save */
	swl_series_add(fl->saves, 1, fl->p->last_time_us);
	int r = swl_state_save(fl->state_path, &pos, fl->p->reg, fl->p->ctx, err);
	if (r < 0)
		swl_series_add(fl->save_errors, 1, fl->p->last_time_us);
	if (r == 0 && fl->src->type->saved)
		fl->src->type->saved(fl->src);
	fl->dirty_save = false;
	fl->dirty_render = true;
	fl->last_save_us = mono_us();
	return r;
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
		swl_log(LOG_ERR, "%s", msg);
		swl_series_set(fl->reload_ok, 0, fl->p->last_time_us);
		swl_series_add(fl->load_errors, 1, fl->p->last_time_us);
		return false;
	}
	swl_rules_destroy(swl_pipeline_set_rules(fl->p, rs));
	swl_series_set(fl->reload_ok, 1, fl->p->last_time_us);
	swl_series_set(fl->reload_ts, wall_s(), fl->p->last_time_us);
	snprintf(msg, cap, "rules reloaded from %s (%zu rules)", fl->o->rules_path, swl_rules_count(rs));
	swl_log(LOG_INFO, "%s", msg);
	return true;
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
		struct swl_source_read rd = { 0 };
		fl->src->type->read(fl->src, SWL_FOLLOW_BATCH, &rd);
		if (rd.entries || rd.changed)
			fl->dirty_render = fl->dirty_save = true;
		if (rd.ended)
			return 0;
		int64_t now = mono_us();
		if (fl->dirty_save && now - fl->last_save_us >= (int64_t)save_ms * 1000) {
			struct swl_err e;
			if (save(fl, &e) < 0)
				swl_log(LOG_ERR, "%s", e.msg);
		}
		health(fl);
		/* render when changed, at most every SWL_FOLLOW_RENDER_MS, and always before blocking;
		 * unchanged, every SWL_FOLLOW_REFRESH_MS for the process metrics */
		if (fl->dirty_render && (!rd.more || now - fl->last_render_us >= SWL_FOLLOW_RENDER_MS * 1000))
			publish(fl, true);
		else if (now - fl->last_render_us >= (int64_t)SWL_FOLLOW_REFRESH_MS * 1000)
			publish(fl, false);
		if (fl->o->textfile && fl->dirty_textfile &&
		    now - fl->last_textfile_us >= (int64_t)SWL_FOLLOW_TEXTFILE_MS * 1000) {
			struct swl_err e;
			if (write_textfile(fl, &e) < 0)
				swl_log(LOG_ERR, "%s", e.msg);
		}
		int timeout = 0;
		if (!rd.more) {
			timeout = fl->src->poll_ms;
			int64_t refresh = (fl->last_render_us + (int64_t)SWL_FOLLOW_REFRESH_MS * 1000 - mono_us()) / 1000 + 1;
			if (refresh < timeout)
				timeout = refresh < 0 ? 0 : (int)refresh;
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
					 { .fd = fl->src->fd, .events = POLLIN },
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
		if (fl->src->type->woke)
			fl->src->type->woke(fl->src, r > 0 && (pfd[1].revents & POLLIN));
	}
}

/* The state file the operator named, as it really is: through a symlink the lock, the loads
 * and the saves go to the file it points at (two paths to one file are one lock, and a save
 * replaces the file, not the operator's link). What exists and is not a regular file is
 * refused: a FIFO would block the start, a device or directory cannot hold a state. */
static int resolve_state(const char *path, char **real, struct swl_err *err)
{
	struct stat st;
	*real = realpath(path, NULL);
	if (!*real) {
		int r = -errno;
		if (r == -ENOENT && lstat(path, &st) < 0) {
			*real = swl_xstrdup(path); /* a first start: no file yet */
			return 0;
		}
		swl_errf(err, "%s: %s", path, r == -ENOENT ? "a symlink to a missing file" : strerror(-r));
		return r == -ENOENT ? -EBADMSG : r;
	}
	if (stat(*real, &st) == 0 && !S_ISREG(st.st_mode)) {
		swl_errf(err, "%s: not a regular file: refused as the state file", path);
		free(*real);
		*real = NULL;
		return -EBADMSG;
	}
	return 0;
}

/* What the source reads, in words: the start-up line and the landing page say it. */
static void describe_source(const struct swl_follow_opts *o, struct swl_buf *b)
{
	const struct swl_source_conf *c = o->conf;
	if (o->source->describe)
		o->source->describe(c, b);
	else
		swl_buf_printf(b, "%s", o->source->name);
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
	struct follower fl = { .o = o, .p = p, .sigfd = -1 };
	struct swl_state_pos saved = { 0 };
	int r = resolve_state(o->state_path, &fl.state_path, err);
	if (r < 0)
		return r;
	p->wall_clock = true; /* entries carrying no time are stamped with now */
	struct swl_source_conf conf = *o->conf;
	conf.mode = SWL_SOURCE_FOLLOW;
	conf.state_path = fl.state_path;
	conf.reset_state = o->reset_state;
	/* the source's metrics first, then follow's: all declared before the state is loaded */
	fl.src = swl_source_create(o->source, &conf, p);
	declare_metrics(&fl);
	int lockfd = r = lock_state(fl.state_path, err);
	if (r < 0)
		goto out;

	if (!o->reset_state) {
		size_t dropped;
		r = swl_state_load(fl.state_path, &saved, p->reg, p->ctx, &dropped, err);
		if (r < 0 && r != -ENOENT)
			goto out;
		if (dropped)
			swl_log(LOG_WARNING, "%s: %zu saved series of metrics no longer in the rules were dropped",
				fl.state_path, dropped);
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

	r = fl.src->type->start(fl.src, &saved, err);
	if (r < 0)
		goto out;

	/* save once now: a state path that cannot be written fails at the start, not at exit */
	r = save(&fl, err);
	if (r < 0)
		goto out;

	struct swl_buf source;
	swl_buf_init(&source, 0);
	describe_source(o, &source);
	swl_source_readable(fl.src, fl.problem, sizeof(fl.problem)); /* /healthz is true from the start */
	struct swl_http_config hc = { .listen = o->listen, .web = o->web, .lifecycle = o->lifecycle,
				      .version = o->version, .source = source.p, .problem = fl.problem };
	r = swl_http_start(&hc, &fl.http, err);
	if (r == 0)
		swl_log(LOG_INFO, "swanlog %s serving %s://%s/metrics; source: %s; rules: %s (%zu rules); state: %s",
			o->version ? o->version : SWL_VERSION, o->web && o->web->tls ? "https" : "http",
			swl_http_address(fl.http), source.p, o->rules_path ? o->rules_path : "-",
			swl_rules_count(p->rules), o->state_path);
	swl_buf_fini(&source);
	if (r < 0)
		goto out;
	fl.process = swl_process_metrics_create();
	health(&fl);
	publish(&fl, true);
	if (o->textfile && (r = write_textfile(&fl, err)) < 0)
		goto out;
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
	swl_process_metrics_destroy(fl.process);
	fl.src->type->close(fl.src);
	if (fl.sigfd >= 0)
		close(fl.sigfd);
	if (lockfd >= 0)
		close(lockfd);
	swl_state_pos_fini(&saved);
	free(fl.state_path);
	return r;
}
