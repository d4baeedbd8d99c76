/* wal.c - omprog's write-ahead log (see wal.h). */
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lines.h"
#include "log.h"

#define SEQ_MAX_DIGITS 20

struct swl_wal {
	char *path;
	int fd;
	size_t max_line;
	uint64_t seq;
	off_t size;            /* bytes of complete records */
	char *rec;             /* scratch for one record: digits, space, line, newline */
	char *last;            /* the newest record's line, for swl_wal_is_last */
	size_t last_len;
	bool has_last;
};

int swl_wal_open(const char *path, size_t max_line, struct swl_wal **out)
{
	*out = NULL;
	/* never through a symlink someone left in the state directory, never a FIFO (the first
	 * read would wait for a writer) */
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	struct stat st;
	int e = fstat(fd, &st) < 0 ? errno : S_ISFIFO(st.st_mode) ? EINVAL : 0;
	if (e) {
		close(fd);
		return -e;
	}
	struct swl_wal *w = swl_xcalloc(1, sizeof(*w));
	w->path = swl_xstrdup(path);
	w->fd = fd;
	w->max_line = max_line;
	w->rec = swl_xmalloc(max_line + SEQ_MAX_DIGITS + 2);
	w->last = swl_xmalloc(max_line + 1);
	*out = w;
	return 0;
}

void swl_wal_close(struct swl_wal *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w->path);
	free(w->rec);
	free(w->last);
	free(w);
}

static void remember(struct swl_wal *w, const char *line, size_t len)
{
	if (len > w->max_line)
		len = w->max_line;
	memcpy(w->last, line, len);
	w->last_len = len;
	w->has_last = true;
}

/* "SEQ LINE" -> seq and the line; false when the record is malformed. */
static bool split(const char *rec, size_t n, uint64_t *seq, const char **line, size_t *len)
{
	size_t i = 0;
	uint64_t v = 0;
	while (i < n && i < SEQ_MAX_DIGITS && rec[i] >= '0' && rec[i] <= '9')
		v = v * 10 + (uint64_t)(rec[i++] - '0');
	if (i == 0 || i >= n || rec[i] != ' ')
		return false;
	*seq = v;
	*line = rec + i + 1;
	*len = n - i - 1;
	return true;
}

long swl_wal_replay(struct swl_wal *w, uint64_t after, void (*fn)(void *arg, const char *line, size_t len),
		    void *arg)
{
	struct stat st;
	if (fstat(w->fd, &st) < 0)
		return -errno;
	struct swl_lines *l;
	int r = swl_lines_open(w->path, w->max_line + SEQ_MAX_DIGITS + 1, &l);
	if (r < 0)
		return r;
	/* One record is held back until the next is read: only then is it known to be complete
	 * (the file's last record may be torn, missing its newline). */
	char *held = swl_xmalloc(w->max_line + SEQ_MAX_DIGITS + 2);
	size_t held_len = 0;
	bool holding = false;
	uint64_t off = 0, top = after;
	long applied = 0;
	const char *rec;
	size_t n;
	bool oversized;
	for (;;) {
		r = swl_lines_next(l, &rec, &n, &oversized);
		if (holding && r >= 0) {
			uint64_t seq;
			const char *line;
			size_t len;
			bool torn = r == 0 && off > (uint64_t)st.st_size;
			if (!torn && split(held, held_len, &seq, &line, &len)) {
				if (seq > after) {
					fn(arg, line, len);
					applied++;
				}
				if (seq > top)
					top = seq;
				remember(w, line, len);
			}
			if (torn)
				off -= held_len + 1;
			holding = false;
		}
		if (r <= 0)
			break;
		memcpy(held, rec, n);
		held_len = n;
		holding = !oversized;
		off += n + 1;
	}
	swl_lines_close(l);
	free(held);
	if (r < 0)
		return r;
	w->seq = top;
	/* a torn record is cut off, so the next append starts on a line of its own */
	if (off < (uint64_t)st.st_size && ftruncate(w->fd, (off_t)off) < 0)
		return -errno;
	w->size = (off_t)off;
	return applied;
}

int swl_wal_append(struct swl_wal *w, const char *line, size_t len)
{
	if (len > w->max_line)
		len = w->max_line;
	int h = snprintf(w->rec, SEQ_MAX_DIGITS + 2, "%" PRIu64 " ", w->seq + 1);
	memcpy(w->rec + h, line, len);
	w->rec[h + len] = '\n';
	size_t total = (size_t)h + len + 1;
	ssize_t wr = write(w->fd, w->rec, total);
	if (wr == (ssize_t)total) {
		w->seq++;
		w->size += (off_t)total;
		remember(w, line, len);
		return 0;
	}
	int e = wr < 0 ? errno : ENOSPC; /* a short write: the file system is full */
	/* cut the partial record off, or the next record would be glued to it */
	if (wr > 0 && ftruncate(w->fd, w->size) < 0)
		swl_log(LOG_ERR, "%s: cannot cut off a partial record: %s", w->path, strerror(errno));
	return -e;
}

uint64_t swl_wal_seq(const struct swl_wal *w)
{
	return w->seq;
}

int swl_wal_checkpoint(struct swl_wal *w, bool keep_last)
{
	if (ftruncate(w->fd, 0) < 0)
		return -errno;
	w->size = 0;
	w->has_last &= keep_last;
	if (!w->has_last)
		return 0;
	/* keep the last record (its SEQ is covered by the save, so it is never applied again) */
	int h = snprintf(w->rec, SEQ_MAX_DIGITS + 2, "%" PRIu64 " ", w->seq);
	memcpy(w->rec + h, w->last, w->last_len);
	w->rec[h + w->last_len] = '\n';
	size_t total = (size_t)h + w->last_len + 1;
	ssize_t wr = write(w->fd, w->rec, total);
	if (wr != (ssize_t)total) {
		int e = wr < 0 ? errno : ENOSPC;
		if (ftruncate(w->fd, 0) < 0)
			return -errno;
		return -e;
	}
	w->size = (off_t)total;
	return 0;
}

bool swl_wal_is_last(const struct swl_wal *w, const char *line, size_t len)
{
	if (len > w->max_line)
		len = w->max_line;
	return w->has_last && len == w->last_len && memcmp(line, w->last, len) == 0;
}

void swl_wal_pos_format(uint64_t seq, char *out, size_t cap)
{
	snprintf(out, cap, "wal:%" PRIu64, seq);
}

int swl_wal_pos_parse(const char *s, uint64_t *seq)
{
	if (strncmp(s, "wal:", 4) != 0 || !s[4])
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s + 4, &end, 10);
	if (*end || errno || s[4] == '-')
		return -EINVAL;
	*seq = v;
	return 0;
}
