/* source_omprog.c - rsyslog's omprog protocol (see source_omprog.h), and the omprog command's
 * source: that protocol on stdin and stdout, logged ahead next to the state file. */
#include "source_omprog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "source.h"
#include "wal.h"

struct swl_omprog {
	int in_fd, out_fd;
	size_t max_line;
	struct swl_omprog_ops ops;
	struct swl_wal *wal;
	char *in;                     /* bytes read and not yet handled: max_line + 1 */
	size_t inlen;
	bool in_skip, in_eof;         /* in_skip: inside an oversized line, up to its newline */
	bool resend_check;            /* the first message may be a resend of the log's last */
	bool reply_failed;            /* out_fd is gone: rsyslog stopped */
};

static void replay_record(void *arg, const char *line, size_t len)
{
	struct swl_omprog *o = arg;
	o->ops.apply(o->ops.arg, line, len, false);
}

int swl_omprog_open(int in_fd, int out_fd, const char *wal_path, size_t max_line, uint64_t after,
		    const struct swl_omprog_ops *ops, struct swl_omprog **out, long *replayed)
{
	*out = NULL;
	*replayed = 0;
	struct swl_omprog *o = swl_xcalloc(1, sizeof(*o));
	*o = (struct swl_omprog){ .in_fd = in_fd, .out_fd = out_fd, .max_line = max_line, .ops = *ops,
				  .resend_check = true };
	int r = swl_wal_open(wal_path, max_line, &o->wal);
	long applied = r < 0 ? r : swl_wal_replay(o->wal, after, replay_record, o);
	if (applied < 0) {
		swl_omprog_close(o);
		return (int)applied;
	}
	*replayed = applied;
	o->in = swl_xmalloc(max_line + 1);
	*out = o;
	return 0;
}

void swl_omprog_close(struct swl_omprog *o)
{
	if (!o)
		return;
	swl_wal_close(o->wal);
	free(o->in);
	free(o);
}

/* One reply to rsyslog, written at once. */
static void reply(struct swl_omprog *o, const char *s)
{
	size_t n = strlen(s), off = 0;
	while (off < n && !o->reply_failed) {
		ssize_t w = write(o->out_fd, s + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->reply_failed = true; /* rsyslog is gone: stop like at end of input */
		else
			off += (size_t)w;
	}
}

void swl_omprog_ready(struct swl_omprog *o)
{
	reply(o, "OK\n");
}

/* One message: logged, applied and confirmed, or refused. Returns 1 when it was applied. */
static size_t message(struct swl_omprog *o, const char *line, size_t len, bool oversized)
{
	/* a line end of \r\n (or more \r) is a line end: without them the message is the same
	 * live, in the log and read back from it after a crash */
	while (len && line[len - 1] == '\r')
		len--;
	/* rsyslog is gone: what it cannot be told it will send again to the next swanlog */
	if (o->reply_failed)
		return 0;
	if (o->resend_check) {
		o->resend_check = false;
		if (swl_wal_is_last(o->wal, line, len)) {
			o->ops.resent(o->ops.arg);
			reply(o, "OK\n");
			return 0;
		}
	}
	int r = swl_wal_append(o->wal, line, len);
	if (r < 0) {
		char msg[512];
		/* one line: rsyslog logs it and sends the message again after its resume interval */
		snprintf(msg, sizeof(msg), "Error: cannot append to the write-ahead log: %s\n", strerror(-r));
		o->ops.refused(o->ops.arg);
		reply(o, msg);
		return 0;
	}
	o->ops.apply(o->ops.arg, line, len, oversized);
	reply(o, "OK\n");
	return 1;
}

/* Handle the complete lines in o->in, up to budget of them. */
static size_t lines(struct swl_omprog *o, size_t budget, size_t *applied)
{
	size_t max = o->max_line, start = 0, n = 0;
	while (n < budget) {
		char *nl = memchr(o->in + start, '\n', o->inlen - start);
		if (!nl) {
			/* a full buffer without a newline: the line is cut, the rest skipped */
			if (start == 0 && o->inlen > max && !o->in_skip) {
				*applied += message(o, o->in, max, true);
				o->in_skip = true;
				o->inlen = 0;
				n++;
			} else if (start == 0 && o->inlen > max) {
				o->inlen = 0;
			}
			break;
		}
		size_t ll = (size_t)(nl - (o->in + start));
		if (o->in_skip)
			o->in_skip = false;
		else {
			*applied += message(o, o->in + start, ll, false);
			n++;
		}
		start += ll + 1;
	}
	memmove(o->in, o->in + start, o->inlen - start);
	o->inlen -= start;
	return n;
}

int swl_omprog_read(struct swl_omprog *o, size_t max, size_t *handled, size_t *applied, bool *more)
{
	*applied = 0;
	size_t n = lines(o, max, applied);
	bool got = false;
	int err = 0;
	if (n < max && !o->in_eof && !o->reply_failed) {
		ssize_t r = read(o->in_fd, o->in + o->inlen, o->max_line + 1 - o->inlen);
		if (r > 0) {
			o->inlen += (size_t)r;
			got = true;
			n += lines(o, max - n, applied);
		} else if (r == 0) {
			o->in_eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			err = -errno;
			o->in_eof = true;
		}
	}
	/* a last line without a newline at the end of input */
	if (o->in_eof && o->inlen && n < max) {
		if (!o->in_skip)
			*applied += message(o, o->in, o->inlen, false);
		o->inlen = 0;
		n++;
	}
	*handled = n;
	*more = n == max || got;
	return err;
}

bool swl_omprog_done(const struct swl_omprog *o)
{
	return o->reply_failed || (o->in_eof && !o->inlen);
}

uint64_t swl_omprog_seq(const struct swl_omprog *o)
{
	return swl_wal_seq(o->wal);
}

int swl_omprog_checkpoint(struct swl_omprog *o)
{
	/* the input ended after every message in it was answered: rsyslog closes it (at its
	 * restart) only with every reply in hand, so it will send none of them again; the next
	 * start must not take a repeat of the last for a resend */
	bool clean_end = o->in_eof && !o->inlen && !o->reply_failed;
	return swl_wal_checkpoint(o->wal, !clean_end);
}

/* ---- the omprog command's source ---- */

#define OMPROG_POLL_MS 250

struct omprog_source {
	struct swl_source s;
	const struct swl_source_conf *c;
	struct swl_pipeline *p;
	struct swl_omprog *o;
	struct swl_source_stats stats;
	struct swl_series *errors, *resent;
	bool ready;                   /* rsyslog was told */
	char pos[32];                 /* "wal:SEQ", what position() hands out */
};

static struct swl_source *omprog_create(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	struct omprog_source *os = swl_xcalloc(1, sizeof(*os));
	os->s = (struct swl_source){ .fd = STDIN_FILENO, .poll_ms = OMPROG_POLL_MS };
	os->c = c;
	os->p = p;
	swl_source_stats_init(&os->stats, &os->s, p->reg, "omprog");
	os->errors = swl_source_series(p->reg, "swanlog_omprog_errors_total", SWL_COUNTER,
				       "Messages answered with an error (not applied; rsyslog sends them again), "
				       "because the write-ahead log could not be written.",
				       NULL);
	os->resent = swl_source_series(p->reg, "swanlog_omprog_resent_total", SWL_COUNTER,
				       "Messages rsyslog sent again after a crash cut off their confirmation: "
				       "confirmed, not counted twice.",
				       NULL);
	return &os->s;
}

static void omprog_apply(void *arg, const char *line, size_t len, bool oversized)
{
	struct omprog_source *os = arg;
	swl_pipeline_line(os->p, line, len, oversized);
}

static void omprog_resent(void *arg)
{
	struct omprog_source *os = arg;
	swl_series_add(os->resent, 1, os->p->last_time_us);
}

static void omprog_refused(void *arg)
{
	struct omprog_source *os = arg;
	swl_series_add(os->errors, 1, os->p->last_time_us);
}

static int omprog_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct omprog_source *os = (struct omprog_source *)s;
	const struct swl_source_conf *c = os->c;
	const char *state_path = c->state_path;
	uint64_t after = 0;
	int r = swl_source_own_pos(os->c, saved, SWL_POS_WAL, err);
	if (r < 0)
		return r;
	if (saved && saved->cursor)
		swl_wal_pos_parse(saved->cursor, &after); /* (checked just now) */
	size_t pl = strlen(state_path) + 5;
	char *path = swl_xmalloc(pl);
	snprintf(path, pl, "%s.wal", state_path);
	/* starting over: what the log holds belongs to the state given up */
	if (c->reset_state && truncate(path, 0) < 0 && errno != ENOENT) {
		r = -errno;
		swl_errf(err, "write-ahead log %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	const struct swl_omprog_ops ops = { omprog_apply, omprog_resent, omprog_refused, os };
	long applied;
	r = swl_omprog_open(STDIN_FILENO, STDOUT_FILENO, path, os->c->max_line, after, &ops, &os->o, &applied);
	if (r < 0) {
		swl_errf(err, "write-ahead log %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	if (applied) {
		swl_log(LOG_INFO, "%s: %ld messages after the last save applied again", path, applied);
		swl_source_count(&os->stats, (size_t)applied, os->p->last_time_us);
	}
	free(path);
	/* non-blocking, so follow polls stdin together with signals and reloads */
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	if (fl < 0 || fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK) < 0) {
		r = -errno;
		swl_errf(err, "stdin: %s", strerror(-r));
		return r;
	}
	return 0;
}

static int omprog_read(struct swl_source *s, size_t max, struct swl_source_read *rd)
{
	struct omprog_source *os = (struct omprog_source *)s;
	/* the first read: rules, state, log and HTTP are up, rsyslog may send the first message */
	if (!os->ready) {
		swl_omprog_ready(os->o);
		os->ready = true;
	}
	size_t applied;
	int r = swl_omprog_read(os->o, max, &rd->entries, &applied, &rd->more);
	if (r < 0)
		swl_source_error(&os->stats, r);
	rd->changed |= r < 0 || swl_source_status(&os->stats, 0, NULL);
	swl_source_count(&os->stats, applied, os->p->last_time_us);
	rd->ended = swl_omprog_done(os->o);
	return 0;
}

static void omprog_position(struct swl_source *s, struct swl_state_pos *pos)
{
	struct omprog_source *os = (struct omprog_source *)s;
	swl_wal_pos_format(swl_omprog_seq(os->o), os->pos, sizeof(os->pos));
	pos->cursor = os->pos;
}

/* The save holds every record up to its sequence number: the log can be cut. */
static void omprog_saved(struct swl_source *s)
{
	struct omprog_source *os = (struct omprog_source *)s;
	int r = swl_omprog_checkpoint(os->o);
	if (r < 0)
		swl_log(LOG_ERR, "cutting the write-ahead log: %s", strerror(-r));
}

static void omprog_close(struct swl_source *s)
{
	struct omprog_source *os = (struct omprog_source *)s;
	swl_omprog_close(os->o);
	free(os);
}

static void omprog_describe(const struct swl_source_conf *c, struct swl_buf *b)
{
	(void)c;
	swl_buf_printf(b, "rsyslog omprog on stdin");
}

const struct swl_source_type swl_source_omprog = {
	.name = "omprog",
	.describe = omprog_describe,
	.create = omprog_create,
	.start = omprog_start,
	.read = omprog_read,
	.position = omprog_position,
	.saved = omprog_saved,
	.close = omprog_close,
};
