/* lines.c - bounded line reader over plain or gzip files and stdin.
 *
 * zlib's gzread reads plain files transparently, so one path serves both. Input is read in
 * large blocks and split with memchr; a line that lies wholly inside a block is returned in
 * place, only a line that straddles two blocks is copied into the carry buffer, which never
 * holds more than max_line + 1 bytes (the + 1 keeps room for the '\r' of a CRLF line).
 */
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SWL_LINES_BLOCK (256u * 1024u)

struct swl_lines {
	gzFile gz;
	time_t mtime;
	size_t max_line;
	char *blk;          /* the current block, [pos, len) not yet consumed */
	size_t pos, len;
	char *carry;        /* a line that started in an earlier block */
	size_t carry_len;
	bool pending;       /* a carried line has started (it may still be empty) */
	bool skipping;      /* the carried line is over max_line: drop bytes up to its newline */
	bool eof;
	int err;            /* a deferred read error, reported after the lines read before it */
	uint64_t size;      /* the file's size, 0 when unknown (stdin, a pipe) */
	_Atomic uint64_t consumed; /* bytes of the file read so far: replay's progress reads it */
};

int swl_lines_open(const char *path, size_t max_line, struct swl_lines **out)
{
	*out = NULL;
	if (!path)
		return -EINVAL;
	if (max_line == 0)
		max_line = SWL_DEFAULT_MAX_LINE;
	/* a limit near SIZE_MAX would overflow the carry buffer's size */
	if (max_line > SIZE_MAX / 2)
		return -EINVAL;

	bool is_stdin = strcmp(path, "-") == 0;
	time_t mtime;
	uint64_t size = 0;
	int fd;
	if (is_stdin) {
		/* a duplicate, so closing the reader leaves fd 0 in place for the process */
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
		mtime = time(NULL);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return -EISDIR;
		}
		mtime = st.st_mtime;
		size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	}

	gzFile gz = gzdopen(fd, "rb");
	if (!gz)
		abort(); /* only fails on a bad fd or mode (both ours) or out of memory */
	/* zlib's own input buffer: large reads for compressed input too. A quarter block, because
	 * gzread reads a plain file straight into the caller's buffer only when what is still
	 * wanted after its buffered bytes is at least twice its buffer size; with a larger buffer
	 * every byte of a plain file would be copied once more, through zlib's buffer. */
	gzbuffer(gz, SWL_LINES_BLOCK / 4);

	struct swl_lines *l = swl_xcalloc(1, sizeof(*l));
	l->gz = gz;
	l->mtime = mtime;
	l->size = size;
	l->max_line = max_line;
	/* zeroed: PCRE2's JIT may read a few bytes past the end of a subject (harmless, never
	 * across a page), and past the last line of a block those would be uninitialised */
	l->blk = swl_xcalloc(1, SWL_LINES_BLOCK);
	l->carry = swl_xcalloc(1, max_line + 1);
	*out = l;
	return 0;
}

static int gz_errno(gzFile gz)
{
	int zerr;
	gzerror(gz, &zerr);
	if (zerr == Z_ERRNO)
		return errno ? -errno : -EIO;
	if (zerr == Z_MEM_ERROR)
		abort();
	return -EIO;
}

/* Fill the block. Returns 1 with data, 0 at the end, or a negative errno. */
static int refill(struct swl_lines *l)
{
	errno = 0;
	int n = gzread(l->gz, l->blk, SWL_LINES_BLOCK);
	if (n < 0)
		return gz_errno(l->gz);
	l->pos = 0;
	l->len = (size_t)n;
	/* gzoffset: the file's bytes read, compressed ones for gzip; once a block */
	z_off_t off = gzoffset(l->gz);
	if (off >= 0)
		atomic_store_explicit(&l->consumed, (uint64_t)off, memory_order_relaxed);
	if (n > 0)
		return 1;
	int zerr;
	gzerror(l->gz, &zerr);
	/* Z_BUF_ERROR: the gzip stream is cut short (a truncated or still-written .gz) */
	return zerr == Z_BUF_ERROR ? -EIO : 0;
}

/* Hand out p[0..n) as the line: drop the '\r' of a CRLF line and apply max_line. */
static int emit(struct swl_lines *l, const char *p, size_t n, bool crlf_ok, bool over,
		const char **line, size_t *len, bool *oversized)
{
	if (crlf_ok && !over && n > 0 && p[n - 1] == '\r')
		n--;
	if (over || n > l->max_line) {
		n = l->max_line;
		over = true;
	}
	*line = p;
	*len = n;
	if (oversized)
		*oversized = over;
	return 1;
}

int swl_lines_next(struct swl_lines *l, const char **line, size_t *len, bool *oversized)
{
	*line = NULL;
	*len = 0;
	if (oversized)
		*oversized = false;

	for (;;) {
		if (l->pos == l->len) {
			if (l->err) {
				int r = l->err;
				l->err = 0;
				l->eof = true;
				return r;
			}
			if (l->eof)
				return 0;
			int r = refill(l);
			if (r <= 0) {
				l->eof = true;
				if (r < 0 && !l->pending)
					return r;
				l->err = r;
				if (!l->pending)
					return 0;
				/* the final line has no newline: hand it out as it is */
				l->pending = false;
				bool over = l->skipping;
				l->skipping = false;
				return emit(l, l->carry, l->carry_len, false, over, line, len, oversized);
			}
		}

		char *s = l->blk + l->pos;
		size_t avail = l->len - l->pos;
		char *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) : avail;

		if (nl && !l->pending) {
			/* the whole line is in the block: no copy */
			l->pos += take + 1;
			return emit(l, s, take, true, false, line, len, oversized);
		}

		if (!l->skipping) {
			size_t room = l->max_line + 1 - l->carry_len;
			if (take <= room) {
				memcpy(l->carry + l->carry_len, s, take);
				l->carry_len += take;
			} else {
				memcpy(l->carry + l->carry_len, s, room);
				l->carry_len += room;
				l->skipping = true;
			}
		}
		l->pending = true;
		l->pos += take;
		if (nl) {
			l->pos++;
			bool over = l->skipping;
			size_t n = l->carry_len;
			/* reset for the next line; the bytes stay valid until the next call */
			l->pending = false;
			l->skipping = false;
			l->carry_len = 0;
			return emit(l, l->carry, n, true, over, line, len, oversized);
		}
	}
}

ssize_t swl_lines_read(struct swl_lines *l, void *buf, size_t n)
{
	if (n > SSIZE_MAX)
		return -EINVAL;
	size_t got = 0;
	while (got < n) {
		if (l->pos == l->len) {
			if (l->eof || l->err)
				break;
			int r = refill(l);
			if (r < 0)
				return r;
			if (r == 0) {
				l->eof = true;
				break;
			}
		}
		size_t take = l->len - l->pos < n - got ? l->len - l->pos : n - got;
		if (buf)
			memcpy((char *)buf + got, l->blk + l->pos, take);
		l->pos += take;
		got += take;
	}
	return (ssize_t)got;
}

time_t swl_lines_mtime(const struct swl_lines *l)
{
	return l->mtime;
}

uint64_t swl_lines_size(const struct swl_lines *l)
{
	return l->size;
}

uint64_t swl_lines_consumed(struct swl_lines *l)
{
	return atomic_load_explicit(&l->consumed, memory_order_relaxed);
}

void swl_lines_close(struct swl_lines *l)
{
	if (!l)
		return;
	gzclose(l->gz);
	free(l->blk);
	free(l->carry);
	free(l);
}
