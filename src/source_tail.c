/* source_tail.c - follow a file by name across rotation and truncation (see source_tail.h),
 * and follow's --file source: each file followed so, one parser (year tracking) per file.
 *
 * The buffer holds the bytes read but not yet delivered, starting at file offset `off`.
 * A delivered line stays in the buffer until the next call (it is borrowed), and the buffer
 * is compacted only when it needs room, so a line costs no copy. Its size is max_line plus
 * one read chunk: a line that does not fit is cut.
 *
 * The open file is the one at the path, waited on at its end, or one that is no longer
 * there (renamed away, a copy that copytruncate made, a rotated file on the way): that one
 * is read to its end, then the file after it among the path's rotated files (rotated.h),
 * and so on up to the path's own file.
 */
#include "source_tail.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "rotated.h"
#include "source.h"

#define READ_CHUNK 65536

struct swl_tail {
	char *path;
	size_t max_line;
	int fd;             /* -1 while no file is open */
	gzFile gz;          /* a compressed rotated file is read through zlib (it owns fd then) */
	char name[256];     /* a rotated file's name, for messages */
	uint64_t ino;
	uint64_t off;       /* file offset of buf[start]: everything before was delivered */
	char *buf;
	size_t start, len, cap;
	bool skipping;      /* inside an oversized line: drop bytes up to its newline */
	bool draining;      /* fd is not the file at path: read it to its end, then the next one */
	bool gz_bad;        /* gz is damaged or cut short: read as ended */
	bool copy;          /* fd is the copy a truncation left (not a rotation of its own) */
	bool head_done;     /* head_len/head_hash are final for this file */
	uint32_t head_len;
	uint64_t head_hash;
	/* the file read before this one, while this one gives nothing to recognise it by (empty,
	 * or a first line not yet complete): a position is saved as that one's end */
	struct swl_file_id prev;
	bool has_prev;
	bool check_next;    /* the path's file comes after prev: make sure once it is open */
	uint64_t rotations, truncations, gaps;
	int open_error;     /* why the path could not be opened the last time (0: it was) */
};

static void reset_file(struct swl_tail *t)
{
	t->off = 0;
	t->start = t->len = 0;
	t->skipping = false;
	t->head_done = false;
	t->head_len = 0;
	t->head_hash = 0;
}

static void close_file(struct swl_tail *t)
{
	if (t->gz)
		gzclose(t->gz);
	else if (t->fd >= 0)
		close(t->fd);
	t->gz = NULL;
	t->gz_bad = false;
	t->copy = false;
	t->fd = -1;
	t->ino = 0;
	t->draining = false;
	t->name[0] = '\0';
	reset_file(t);
}

/* Open path into t at offset 0; false when missing (or unreadable: retried later). */
static bool open_path(struct swl_tail *t)
{
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		t->open_error = -errno;
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		t->open_error = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return false;
	}
	t->open_error = 0;
	close_file(t);
	t->fd = fd;
	t->ino = (uint64_t)st.st_ino;
	return true;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* The first line, from n bytes at the file's start; whole: the file holds no more. It is
 * final once it ends, fills SWL_POS_HEAD_MAX or the file is whole; until then only the part
 * already delivered counts (it cannot change). */
static void head_from(struct swl_tail *t, const char *p, size_t n, bool whole)
{
	if (n > SWL_POS_HEAD_MAX)
		n = SWL_POS_HEAD_MAX;
	const char *nl = memchr(p, '\n', n);
	t->head_done = nl || n == SWL_POS_HEAD_MAX || whole;
	t->head_len = nl ? (uint32_t)(nl - p) + 1 : t->head_done || n < t->off ? (uint32_t)n : (uint32_t)t->off;
	t->head_hash = swl_hash(SWL_HASH_INIT, p, t->head_len);
}

/* An uncompressed file's first line, read where it is (a compressed one's is taken on opening). */
static void learn_head(struct swl_tail *t)
{
	if (t->head_done || t->fd < 0 || t->gz)
		return;
	char head[SWL_POS_HEAD_MAX];
	ssize_t r = pread(t->fd, head, sizeof(head), 0);
	if (r >= 0)
		head_from(t, head, (size_t)r, false);
}

/* Does fd start with `head_len` bytes hashing to head_hash? */
static bool starts_with(int fd, uint32_t head_len, uint64_t head_hash)
{
	char head[SWL_POS_HEAD_MAX];
	if (head_len > sizeof(head))
		return false;
	ssize_t r = pread(fd, head, head_len, 0);
	return r == (ssize_t)head_len && swl_hash(SWL_HASH_INIT, head, head_len) == head_hash;
}

/* Can reading of fd resume at the saved position? */
static bool resumable(int fd, const struct swl_file_pos *saved)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (uint64_t)st.st_ino == saved->ino && (uint64_t)st.st_size >= saved->offset &&
	       starts_with(fd, saved->head_len, saved->head_hash);
}

static bool seek_to(struct swl_tail *t, uint64_t off, bool skipping)
{
	if (lseek(t->fd, (off_t)off, SEEK_SET) < 0)
		return false;
	t->off = off;
	t->skipping = skipping;
	return true;
}

/* Start after the last complete line, so a line being written is read whole. */
static void seek_end(struct swl_tail *t)
{
	struct stat st;
	if (fstat(t->fd, &st) < 0 || st.st_size == 0)
		return;
	uint64_t size = (uint64_t)st.st_size;
	size_t n = size < READ_CHUNK ? (size_t)size : READ_CHUNK;
	char *tmp = swl_xmalloc(n);
	ssize_t r = pread(t->fd, tmp, n, (off_t)(size - n));
	if (r == (ssize_t)n) {
		char *nl = memrchr(tmp, '\n', n);
		if (nl)
			seek_to(t, size - n + (uint64_t)(nl - tmp) + 1, false);
		else if (size > n)
			seek_to(t, size, true); /* the middle of a very long line */
	}
	free(tmp);
}

/* What recognises the open file among rotated ones. */
static struct swl_file_id current_id(struct swl_tail *t)
{
	learn_head(t);
	struct swl_file_id id = { .ino = t->ino, .size = t->off, .head_len = t->head_len, .head_hash = t->head_hash };
	struct stat st;
	if (fstat(t->fd, &st) == 0)
		id.mtime_ns = mtime_ns(&st);
	return id;
}

/* A part of the chain is gone before it was read: say so, and count it. */
static void gap(struct swl_tail *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gap(struct swl_tail *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	swl_log(LOG_WARNING, "%s: %s", t->path, msg);
	t->gaps++;
}

/* Go on in the rotated file r at off (skipping: inside an oversized line there); when off > 0
 * its first line is id's. */
static void open_rotated(struct swl_tail *t, const struct swl_rotated *r, uint64_t off, bool skipping,
			 const struct swl_file_id *id)
{
	close_file(t);
	t->fd = r->fd;
	t->ino = r->ino;
	t->draining = true;
	snprintf(t->name, sizeof(t->name), "%s", r->name);
	unsigned char magic[2];
	if (pread(r->fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
		if (!seek_to(t, off, skipping))
			t->off = off; /* then the next read tells */
		return;
	}
	t->gz = gzdopen(r->fd, "rb");
	if (!t->gz)
		abort(); /* only fails on a bad fd or mode (both ours) or out of memory */
	if (off) {
		gzseek(t->gz, (z_off_t)off, SEEK_SET); /* past its end: nothing more to read from it */
		t->off = off;
		t->skipping = skipping;
		t->head_len = id->head_len;
		t->head_hash = id->head_hash;
		t->head_done = true;
		return;
	}
	int n = gzread(t->gz, t->buf, SWL_POS_HEAD_MAX);
	t->len = n > 0 ? (size_t)n : 0;
	head_from(t, t->buf, t->len, n < SWL_POS_HEAD_MAX);
}

struct swl_tail *swl_tail_open(const char *path, size_t max_line, enum swl_tail_start start,
			       const struct swl_file_pos *saved)
{
	struct swl_tail *t = swl_xcalloc(1, sizeof(*t));
	t->path = swl_xstrdup(path);
	t->max_line = max_line;
	t->fd = -1;
	t->cap = max_line + 1 + READ_CHUNK;
	t->buf = swl_xmalloc(t->cap);
	bool present = open_path(t);
	if (!saved) {
		if (present && start == SWL_TAIL_END)
			seek_end(t);
		return t;
	}
	if (present && resumable(t->fd, saved)) {
		if (!seek_to(t, saved->offset, saved->skipping))
			close_file(t);
		return t;
	}
	if (!saved->ino)
		return t; /* there was no file at the save: the one there now is all unread */
	/* the saved file was rotated: its rest first, then every file rotated after it */
	struct swl_file_id id = { .ino = saved->ino, .mtime_ns = saved->mtime_ns, .size = saved->offset,
				  .head_len = saved->head_len, .head_hash = saved->head_hash };
	struct swl_rotated r;
	if (swl_rotated_open(path, &id, true, &r) == 0 && r.fd >= 0) {
		open_rotated(t, &r, saved->offset, saved->skipping, &id);
		return t;
	}
	if (saved->offset || saved->head_len)
		gap(t, "the file read up to byte %" PRIu64 " at the last save is gone: the rest of it is lost",
		    saved->offset);
	if (swl_rotated_open(path, &id, false, &r) == 0 && r.fd >= 0)
		open_rotated(t, &r, 0, false, NULL);
	return t;
}

void swl_tail_close(struct swl_tail *t)
{
	if (!t)
		return;
	close_file(t);
	free(t->buf);
	free(t->path);
	free(t);
}

const char *swl_tail_path(const struct swl_tail *t)
{
	return t->path;
}

uint64_t swl_tail_rotations(const struct swl_tail *t)
{
	return t->rotations;
}

uint64_t swl_tail_truncations(const struct swl_tail *t)
{
	return t->truncations;
}

uint64_t swl_tail_gaps(const struct swl_tail *t)
{
	return t->gaps;
}

int swl_tail_open_error(const struct swl_tail *t)
{
	return t->fd >= 0 ? 0 : t->open_error;
}

static void consume(struct swl_tail *t, size_t n)
{
	t->start += n;
	t->off += n;
}

enum change { UNCHANGED, ROTATED, TRUNCATED };

/* At the end of the open file: has the path moved on, or the file shrunk? */
static enum change check_path(struct swl_tail *t)
{
	struct stat st;
	if (stat(t->path, &st) < 0)
		return UNCHANGED; /* missing: keep the old file until a new one appears */
	if ((uint64_t)st.st_ino != t->ino)
		return ROTATED;
	if (fstat(t->fd, &st) == 0 && (uint64_t)st.st_size < t->off + (t->len - t->start))
		return TRUNCATED;
	return UNCHANGED;
}

/* The file at the path starts with another first line than it did: emptied and written
 * again in place (copytruncate), perhaps past the read offset already. */
static bool head_changed(struct swl_tail *t)
{
	learn_head(t);
	return t->head_done && !starts_with(t->fd, t->head_len, t->head_hash);
}

/* The file at the path was emptied under the read offset: what followed the offset is in the
 * copy that copytruncate made, when there is one (then the files after it); else the file
 * is read again from its start. */
static void truncated(struct swl_tail *t)
{
	t->truncations++;
	t->has_prev = t->check_next = false;
	/* (a first line not yet complete may be the new content's: not enough to find a copy by) */
	struct swl_file_id id = { .size = t->off, .head_len = t->head_len, .head_hash = t->head_hash };
	struct swl_rotated r;
	if (t->head_done && swl_rotated_open(t->path, &id, true, &r) == 0 && r.fd >= 0) {
		open_rotated(t, &r, t->off, t->skipping, &id);
		t->copy = true;
		return;
	}
	if (lseek(t->fd, 0, SEEK_SET) < 0) {
		close_file(t); /* opened again from the path */
		return;
	}
	reset_file(t);
}

/* Go on with r, the rotated file after prev. */
static void after_prev(struct swl_tail *t, const struct swl_rotated *r)
{
	if (!r->found)
		gap(t, "the file read last is no longer among the rotated files; going on with %s: "
		       "files rotated between them may be gone", r->name);
	open_rotated(t, r, 0, false, NULL);
}

/* The file read to its end is done: on to the next rotated file, or the path's own.
 * -EAGAIN: the rotated files kept moving, try again later. */
static int next_file(struct swl_tail *t)
{
	struct swl_file_id id = current_id(t);
	struct swl_rotated r;
	int e = swl_rotated_open(t->path, &id, false, &r);
	if (e == -EAGAIN)
		return e;
	t->rotations += !t->copy;
	t->prev = id;
	t->has_prev = true;
	close_file(t);
	t->check_next = r.fd < 0;
	if (r.fd < 0)
		return 0; /* the path's file, opened by the caller */
	after_prev(t, &r);
	return 0;
}

/* The path's file, just opened after prev: a rotation since the rotated files were looked at
 * may have moved the file that came next away. With the path's file held, look again. */
static int check_next(struct swl_tail *t)
{
	struct swl_rotated r;
	int e = swl_rotated_open(t->path, &t->prev, false, &r);
	if (e == -EAGAIN) {
		close_file(t);
		return e;
	}
	t->check_next = false;
	if (r.fd >= 0)
		after_prev(t, &r);
	return 0;
}

/* Up to n more bytes of the open file; 0 at its end. A compressed file that is damaged or cut
 * short ends there. */
static ssize_t fill(struct swl_tail *t, char *p, size_t n)
{
	if (!t->gz)
		return read(t->fd, p, n);
	int r = t->gz_bad ? 0 : gzread(t->gz, p, (unsigned)n);
	if (r >= 0)
		return r;
	gap(t, "%s is damaged or cut short: the rest of it is skipped", t->name);
	t->gz_bad = true;
	return 0;
}

int swl_tail_next(struct swl_tail *t, const char **line, size_t *len, bool *oversized)
{
	for (;;) {
		if (t->fd < 0 && (!open_path(t) || (t->check_next && check_next(t) < 0)))
			return 0;
		char *p = t->buf + t->start;
		size_t n = t->len - t->start;
		if (t->skipping && n) {
			char *nl = memchr(p, '\n', n);
			consume(t, nl ? (size_t)(nl - p) + 1 : n);
			t->skipping = !nl;
			continue;
		}
		if (n) {
			size_t look = n < t->max_line + 1 ? n : t->max_line + 1;
			char *nl = memchr(p, '\n', look);
			if (nl) {
				size_t l = (size_t)(nl - p);
				consume(t, l + 1);
				if (l && p[l - 1] == '\r')
					l--;
				*line = p;
				*len = l;
				*oversized = false;
				return 1;
			}
			if (n > t->max_line) {
				consume(t, t->max_line);
				t->skipping = true;
				*line = p;
				*len = t->max_line;
				*oversized = true;
				return 1;
			}
		}
		/* need more bytes: make room at the end, then read */
		if (t->start) {
			memmove(t->buf, t->buf + t->start, t->len - t->start);
			t->len -= t->start;
			t->start = 0;
		}
		if (!t->draining && head_changed(t)) {
			truncated(t);
			continue;
		}
		ssize_t r = fill(t, t->buf + t->len, t->cap - t->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0) {
			t->len += (size_t)r;
			continue;
		}
		if (t->draining) {
			/* the old file is done: its unterminated last line is all there will be */
			n = t->len - t->start;
			if (n && !t->skipping) {
				p = t->buf + t->start;
				consume(t, n);
				*line = p;
				*len = n;
				*oversized = false;
				return 1;
			}
			if (next_file(t) < 0)
				return 0;
			continue;
		}
		switch (check_path(t)) {
		case ROTATED:
			t->draining = true; /* read once more: it may have grown since our last read */
			continue;
		case TRUNCATED:
			truncated(t);
			continue;
		case UNCHANGED:
			break;
		}
		return 0;
	}
}

void swl_tail_pos(struct swl_tail *t, struct swl_file_pos *pos)
{
	*pos = (struct swl_file_pos){ .path = t->path };
	learn_head(t);
	if (t->has_prev && (t->fd < 0 || (t->off == 0 && t->head_len == 0))) {
		/* nothing of this file to recognise it by: the end of the one before (a restart
		 * finds that one by its first line and goes on after it) */
		pos->ino = t->prev.ino;
		pos->offset = t->prev.size;
		pos->head_len = t->prev.head_len;
		pos->head_hash = t->prev.head_hash;
		pos->mtime_ns = t->prev.mtime_ns;
		return;
	}
	if (t->fd < 0)
		return;
	struct stat st;
	pos->ino = t->ino;
	pos->offset = t->off;
	pos->skipping = t->skipping;
	pos->head_len = t->head_len;
	pos->head_hash = t->head_hash;
	pos->mtime_ns = fstat(t->fd, &st) == 0 ? mtime_ns(&st) : 0;
}

/* ---- follow --file: the source ---- */

#define TAIL_POLL_MS 250 /* a quiet file is looked at again this often (the only way without inotify) */

struct followed {
	struct swl_tail *t;
	struct swl_parser parser;     /* classic syslog's year tracking is per stream */
	struct swl_source_stats stats;
	struct swl_series *rotations, *truncations, *gaps;
	uint64_t rotations_seen, truncations_seen, gaps_seen;
};

struct tail_source {
	struct swl_source s;
	const struct swl_source_conf *c;
	struct swl_pipeline *p;
	struct followed *files;       /* one per path */
	struct swl_file_pos *pos;     /* what position() hands out */
	size_t n;
};

static struct swl_source *tail_create(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	struct tail_source *ts = swl_xcalloc(1, sizeof(*ts));
	ts->s = (struct swl_source){ .fd = -1, .poll_ms = TAIL_POLL_MS };
	ts->c = c;
	ts->p = p;
	ts->n = c->npaths;
	ts->files = swl_xcalloc(ts->n, sizeof(*ts->files));
	ts->pos = swl_xcalloc(ts->n, sizeof(*ts->pos));
	for (size_t i = 0; i < ts->n; i++) {
		struct followed *f = &ts->files[i];
		swl_source_stats_init(&f->stats, &ts->s, p->reg, c->paths[i]);
		f->rotations = swl_source_series(p->reg, "swanlog_source_rotations_total", SWL_COUNTER,
						 "Followed files replaced at their path (rename rotation, delete and recreate).",
						 c->paths[i]);
		f->truncations = swl_source_series(p->reg, "swanlog_source_truncations_total", SWL_COUNTER,
						   "Followed files truncated under the read offset (copytruncate): the rest read "
						   "from the copy when there is one, then the file again from 0.",
						   c->paths[i]);
		f->gaps = swl_source_series(p->reg, "swanlog_source_gaps_total", SWL_COUNTER,
					    "Parts of a followed file's rotation chain gone before they were read "
					    "(the file of the saved position, rotated files, a damaged .gz).",
					    c->paths[i]);
	}
	return &ts->s;
}

/* Whether f's file can be read now, said so when that changes; true when it did. */
static bool file_status(struct followed *f)
{
	int e = swl_tail_open_error(f->t);
	char why[sizeof(f->stats.why)];
	if (e == -ENOENT)
		snprintf(why, sizeof(why), "missing: waiting for it to appear");
	else if (e == -EINVAL)
		snprintf(why, sizeof(why), "not a regular file");
	else if (e)
		swl_source_explain(why, sizeof(why), swl_tail_path(f->t), e);
	return swl_source_status(&f->stats, e, e ? why : NULL);
}

static int tail_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct tail_source *ts = (struct tail_source *)s;
	const struct swl_source_conf *c = ts->c;
	/* (a missing file is waited for: no error) */
	int r = swl_source_own_pos(c, saved, SWL_POS_FILES, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ts->n; i++) {
		ts->files[i].t = swl_tail_open(c->paths[i], c->max_line, c->from_head ? SWL_TAIL_HEAD : SWL_TAIL_END,
					       saved ? swl_state_pos_file(saved, c->paths[i]) : NULL);
		swl_parser_init(&ts->files[i].parser, 0, 0);
		file_status(&ts->files[i]); /* said at the start, and later when it changes */
	}
	/* Wake on any change in the files' directories (writes, renames, creations); the poll
	 * interval stays as the safety net, and the only way when inotify is not available. */
	s->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (size_t i = 0; s->fd >= 0 && i < ts->n; i++) {
		char *copy = swl_xstrdup(c->paths[i]);
		inotify_add_watch(s->fd, dirname(copy),
				  IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB);
		free(copy);
	}
	return 0;
}

/* A count of the tail's that moved on since last time: added to its series. */
static bool count_new(struct swl_series *s, uint64_t now, uint64_t *seen, int64_t t_us)
{
	if (now == *seen)
		return false;
	swl_series_add(s, (double)(now - *seen), t_us);
	*seen = now;
	return true;
}

static int tail_read(struct swl_source *s, size_t max, struct swl_source_read *rd)
{
	struct tail_source *ts = (struct tail_source *)s;
	struct swl_pipeline *p = ts->p;
	for (size_t i = 0; i < ts->n; i++) {
		struct followed *f = &ts->files[i];
		const char *line;
		size_t len, n = 0;
		bool oversized;
		int r = 0;
		p->parser = f->parser;
		while (n < max && (r = swl_tail_next(f->t, &line, &len, &oversized)) > 0) {
			swl_pipeline_line(p, line, len, oversized);
			n++;
		}
		f->parser = p->parser;
		if (r < 0)
			swl_source_error(&f->stats, r);
		rd->changed |= r < 0 || file_status(f);
		swl_source_count(&f->stats, n, p->last_time_us);
		rd->changed |= count_new(f->rotations, swl_tail_rotations(f->t), &f->rotations_seen, p->last_time_us);
		rd->changed |= count_new(f->truncations, swl_tail_truncations(f->t), &f->truncations_seen, p->last_time_us);
		rd->changed |= count_new(f->gaps, swl_tail_gaps(f->t), &f->gaps_seen, p->last_time_us);
		rd->more |= n == max;
		rd->entries += n;
	}
	return 0;
}

static void tail_woke(struct swl_source *s, bool readable)
{
	/* the inotify events only say "look again": empty the queue */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (readable && read(s->fd, buf, sizeof(buf)) > 0)
		;
}

static void tail_position(struct swl_source *s, struct swl_state_pos *pos)
{
	struct tail_source *ts = (struct tail_source *)s;
	for (size_t i = 0; i < ts->n; i++)
		swl_tail_pos(ts->files[i].t, &ts->pos[i]);
	pos->files = ts->pos;
	pos->nfiles = ts->n;
}

static void tail_close(struct swl_source *s)
{
	struct tail_source *ts = (struct tail_source *)s;
	for (size_t i = 0; i < ts->n; i++)
		swl_tail_close(ts->files[i].t);
	if (s->fd >= 0)
		close(s->fd);
	free(ts->files);
	free(ts->pos);
	free(ts);
}

static void tail_describe(const struct swl_source_conf *c, struct swl_buf *b)
{
	swl_buf_printf(b, "file%s", c->npaths > 1 ? "s" : "");
	for (size_t i = 0; i < c->npaths; i++)
		swl_buf_printf(b, "%s %s", i ? "," : "", c->paths[i]);
}

static const struct swl_source_option tail_options[] = {
	{ "file", "PATH", "a log file, followed by name across rotation, truncation and\nre-creation like tail -F (may be repeated)",
	  1, swl_source_add_path },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct swl_source_type swl_source_tail = {
	.name = "file",
	.options = tail_options,
	.describe = tail_describe,
	.create = tail_create,
	.start = tail_start,
	.read = tail_read,
	.woke = tail_woke,
	.position = tail_position,
	.close = tail_close,
};
