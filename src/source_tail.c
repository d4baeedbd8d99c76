/* source_tail.c - follow a file by name across rotation and truncation (see source_tail.h),
 * and follow's --file source: each file followed so, one parser (year tracking) per file.
 *
 * The buffer holds the bytes read but not yet delivered, starting at file offset `off`.
 * A delivered line stays in the buffer until the next call (it is borrowed), and the buffer
 * is compacted only when it needs room, so a line costs no copy. Its size is max_line plus
 * one read chunk: a line that does not fit is cut.
 */
#include "source_tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

#define READ_CHUNK 65536
#define DIR_SCAN_MAX 10000 /* entries looked at to find a file renamed away while stopped */

struct swl_tail {
	char *path;
	size_t max_line;
	int fd;             /* -1 while the path is missing */
	uint64_t ino;
	uint64_t off;       /* file offset of buf[start]: everything before was delivered */
	char *buf;
	size_t start, len, cap;
	bool skipping;      /* inside an oversized line: drop bytes up to its newline */
	bool draining;      /* fd is a file renamed or deleted away: read it to its end, then switch */
	bool head_done;     /* head_len/head_hash are final for this file */
	uint32_t head_len;
	uint64_t head_hash;
	uint64_t rotations, truncations;
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
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->ino = 0;
	t->draining = false;
	reset_file(t);
}

/* Open path into t at offset 0; false when missing (or unreadable: retried later). */
static bool open_path(struct swl_tail *t)
{
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	close_file(t);
	t->fd = fd;
	t->ino = (uint64_t)st.st_ino;
	return true;
}

/* Does fd's first line (head_len bytes of it) hash as saved? */
static bool head_matches(int fd, const struct swl_file_pos *saved)
{
	char head[SWL_POS_HEAD_MAX];
	if (saved->head_len > sizeof(head))
		return false;
	if (pread(fd, head, saved->head_len, 0) != (ssize_t)saved->head_len)
		return false;
	return swl_hash(SWL_HASH_INIT, head, saved->head_len) == saved->head_hash;
}

/* Can reading of fd resume at the saved position? */
static bool resumable(int fd, const struct swl_file_pos *saved)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (uint64_t)st.st_ino == saved->ino && (uint64_t)st.st_size >= saved->offset &&
	       head_matches(fd, saved);
}

static bool seek_to(struct swl_tail *t, uint64_t off, bool skipping)
{
	if (lseek(t->fd, (off_t)off, SEEK_SET) < 0)
		return false;
	t->off = off;
	t->skipping = skipping;
	return true;
}

/* The file renamed away while we were stopped: same inode in the same directory. */
static int find_renamed(const char *path, const struct swl_file_pos *saved)
{
	char *copy = swl_xstrdup(path);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (dfd < 0)
		return -1;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	int found = -1;
	struct dirent *de;
	for (int n = 0; found < 0 && n < DIR_SCAN_MAX && (de = readdir(d)); n++) {
		if ((uint64_t)de->d_ino != saved->ino)
			continue;
		int fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (resumable(fd, saved))
			found = fd;
		else
			close(fd);
	}
	closedir(d);
	return found;
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
	if (saved) {
		if (present && resumable(t->fd, saved)) {
			if (!seek_to(t, saved->offset, saved->skipping))
				close_file(t);
			return t;
		}
		int fd = find_renamed(path, saved);
		if (fd >= 0) {
			/* finish the renamed file first; the file now at path comes after it */
			close_file(t);
			t->fd = fd;
			t->ino = saved->ino;
			t->draining = true;
			if (!seek_to(t, saved->offset, saved->skipping))
				close_file(t);
		}
		/* else: the file at path is new since the save, all of it unread */
		return t;
	}
	if (present && start == SWL_TAIL_END)
		seek_end(t);
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

int swl_tail_next(struct swl_tail *t, const char **line, size_t *len, bool *oversized)
{
	for (;;) {
		if (t->fd < 0 && !open_path(t))
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
		ssize_t r = read(t->fd, t->buf + t->len, t->cap - t->len);
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
			close_file(t);
			t->rotations++;
			continue;
		}
		switch (check_path(t)) {
		case ROTATED:
			t->draining = true; /* read once more: it may have grown since our last read */
			continue;
		case TRUNCATED:
			if (lseek(t->fd, 0, SEEK_SET) < 0)
				return -errno;
			reset_file(t);
			t->truncations++;
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
	if (t->fd < 0)
		return;
	if (!t->head_done) {
		/* the first line, as far as it was read: fixed once it is complete or long enough */
		char head[SWL_POS_HEAD_MAX];
		size_t want = t->off < sizeof(head) ? (size_t)t->off : sizeof(head);
		ssize_t r = want ? pread(t->fd, head, want, 0) : 0;
		if (r == (ssize_t)want) {
			char *nl = memchr(head, '\n', want);
			t->head_len = nl ? (uint32_t)(nl - head) + 1 : (uint32_t)want;
			t->head_hash = swl_hash(SWL_HASH_INIT, head, t->head_len);
			t->head_done = nl || want == sizeof(head);
		}
	}
	pos->ino = t->ino;
	pos->offset = t->off;
	pos->skipping = t->skipping;
	pos->head_len = t->head_len;
	pos->head_hash = t->head_hash;
}

/* ---- follow --file: the source ---- */

#define TAIL_POLL_MS 250 /* a quiet file is looked at again this often (the only way without inotify) */

struct followed {
	struct swl_tail *t;
	struct swl_parser parser;     /* classic syslog's year tracking is per stream */
	struct swl_source_stats stats;
	struct swl_series *rotations, *truncations;
	uint64_t rotations_seen, truncations_seen;
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
		swl_source_stats_init(&f->stats, p->reg, c->paths[i]);
		f->rotations = swl_source_series(p->reg, "swanlog_source_rotations_total", SWL_COUNTER,
						 "Followed files replaced at their path (rename rotation, delete and recreate).",
						 c->paths[i]);
		f->truncations = swl_source_series(p->reg, "swanlog_source_truncations_total", SWL_COUNTER,
						   "Followed files truncated under the read offset (copytruncate): read again from 0.",
						   c->paths[i]);
	}
	return &ts->s;
}

static int tail_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct tail_source *ts = (struct tail_source *)s;
	const struct swl_source_conf *c = ts->c;
	(void)err; /* a missing file is waited for */
	for (size_t i = 0; i < ts->n; i++) {
		ts->files[i].t = swl_tail_open(c->paths[i], c->max_line, c->from_head ? SWL_TAIL_HEAD : SWL_TAIL_END,
					       saved ? swl_state_pos_file(saved, c->paths[i]) : NULL);
		swl_parser_init(&ts->files[i].parser, 0, 0);
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
		swl_source_count(&f->stats, n, p->last_time_us);
		rd->changed |= count_new(f->rotations, swl_tail_rotations(f->t), &f->rotations_seen, p->last_time_us);
		rd->changed |= count_new(f->truncations, swl_tail_truncations(f->t), &f->truncations_seen, p->last_time_us);
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

static const struct swl_source_option tail_options[] = {
	{ "file", "PATH", "a log file, followed by name across rotation, truncation and\nre-creation like tail -F (may be repeated)",
	  1, swl_source_add_path },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct swl_source_type swl_source_tail = {
	.name = "file",
	.options = tail_options,
	.create = tail_create,
	.start = tail_start,
	.read = tail_read,
	.woke = tail_woke,
	.position = tail_position,
	.close = tail_close,
};
