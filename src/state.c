/* state.c - atomic save and verified restore of position + registry + context (see state.h). */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

#define MAX_TOKENS (8 + 2 * SWL_MAX_LABELS + 2 * SWL_MAX_BUCKETS + 2 * SWL_CTX_MAX_LABELS)

/* ---- writing ---- */

static void put_str(struct swl_buf *b, const char *s)
{
	swl_buf_addc(b, ' ');
	if (!*s) {
		swl_buf_add(b, "\\-", 2);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		/* runs of plain bytes in one append: saves are on the pipeline thread */
		const unsigned char *run = p;
		while (*p > 0x20 && *p != 0x7f && *p != '\\')
			p++;
		swl_buf_add(b, run, (size_t)(p - run));
		if (*p) {
			char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
			swl_buf_add(b, esc, sizeof(esc));
			p++;
		}
	}
}

static void put_double(struct swl_buf *b, double v)
{
	/* hex floats read back bit-exact; inf and nan as strtod reads them */
	if (isnan(v))
		swl_buf_printf(b, " nan");
	else if (isinf(v))
		swl_buf_printf(b, v > 0 ? " inf" : " -inf");
	else
		swl_buf_printf(b, " %a", v);
}

static const char *type_name(enum swl_metric_type t)
{
	return t == SWL_COUNTER ? "counter" : t == SWL_GAUGE ? "gauge" : "histogram";
}

static void put_series(struct swl_buf *b, const struct swl_family *f, const struct swl_series *s)
{
	swl_buf_printf(b, "series %" PRId64, s->updated_us);
	bool hist = f->type == SWL_HISTOGRAM; /* value and sum share their bytes */
	put_double(b, hist ? 0 : s->value);
	put_double(b, hist ? s->sum : 0);
	swl_buf_printf(b, " %" PRIu64 " %zu", s->count, s->buckets ? f->nbuckets + 1 : (size_t)0);
	for (size_t i = 0; s->buckets && i <= f->nbuckets; i++)
		swl_buf_printf(b, " %" PRIu64, s->buckets[i]);
	for (size_t i = 0; i < f->nlabels; i++)
		put_str(b, s->values[i]);
	swl_buf_addc(b, '\n');
}

static void put_ctx(const struct swl_ctx_entry *e, void *arg)
{
	struct swl_buf *b = arg;
	swl_buf_add(b, "ctx", 3);
	put_str(b, e->key);
	swl_buf_printf(b, " %" PRId64 " %zu", e->seen_us, (size_t)e->nlabels);
	for (size_t i = 0; i < e->nlabels; i++) {
		put_str(b, swl_ctx_entry_name(e, i).p);
		put_str(b, swl_ctx_entry_value(e, i).p);
	}
	swl_buf_addc(b, '\n');
}

static void put_live(const struct swl_family *f, const char *key, const char *group, const struct swl_series *s,
		     void *arg)
{
	struct swl_buf *b = arg;
	if (f->retired)
		return;
	swl_buf_add(b, "live", 4);
	put_str(b, f->name);
	put_str(b, key);
	put_str(b, group);
	for (size_t i = 0; i < f->nlabels; i++)
		put_str(b, s->values[i]);
	swl_buf_addc(b, '\n');
}

int swl_state_save(const char *path, const struct swl_state_pos *pos, const struct swl_registry *reg,
		   const struct swl_context *ctx, struct swl_err *err)
{
	struct swl_buf b;
	swl_buf_init(&b, SWL_STATE_MAX_BYTES);
	swl_buf_printf(&b, "%s\n", SWL_STATE_MAGIC);
	if (pos->cursor) {
		swl_buf_add(&b, "cursor", 6);
		put_str(&b, pos->cursor);
		swl_buf_addc(&b, '\n');
	}
	for (size_t i = 0; i < pos->nfiles; i++) {
		const struct swl_file_pos *fp = &pos->files[i];
		swl_buf_add(&b, "file", 4);
		put_str(&b, fp->path);
		swl_buf_printf(&b, " %" PRIu64 " %" PRIu64 " %d %" PRIu32 " %016" PRIx64 " %" PRId64 "\n", fp->ino,
			       fp->offset, fp->skipping, fp->head_len, fp->head_hash, fp->mtime_ns);
	}
	for (size_t i = 0; i < reg->nfamilies; i++) {
		const struct swl_family *f = reg->families[i];
		if (f->retired || f->transient)
			continue;
		swl_buf_add(&b, "family", 6);
		put_str(&b, f->name);
		swl_buf_printf(&b, " %s %zu", type_name(f->type), f->nlabels);
		for (size_t k = 0; k < f->nlabels; k++)
			put_str(&b, f->labels[k]);
		swl_buf_printf(&b, " %zu", f->nbuckets);
		for (size_t k = 0; k < f->nbuckets; k++)
			put_double(&b, f->bounds[k]);
		swl_buf_addc(&b, '\n');
		for (size_t k = 0; k < f->nseries; k++)
			put_series(&b, f, f->series[k]);
	}
	swl_context_foreach(ctx, put_ctx, &b);
	swl_context_foreach_live(ctx, put_live, &b);
	uint64_t sum = swl_hash(SWL_HASH_INIT, b.p, b.len);
	int r = swl_buf_printf(&b, "checksum %016" PRIx64 "\n", sum);
	if (r < 0) {
		swl_buf_fini(&b);
		swl_errf(err, "%s: state larger than %u bytes, not saved", path, SWL_STATE_MAX_BYTES);
		return r;
	}

	const char *what;
	r = swl_replace_file(path, b.p, b.len, 0600, SWL_REPLACE_DURABLE | SWL_REPLACE_MKDIR, &what);
	if (r < 0)
		swl_errf(err, "%s: cannot %s the state file: %s", path, what, strerror(-r));
	swl_buf_fini(&b);
	return r;
}

/* ---- reading ---- */

struct reader {
	const char *path;
	struct swl_err *err;
	unsigned line;
	char *tok[MAX_TOKENS];
	size_t ntok;
};

static int bad(struct reader *rd, const char *why)
{
	swl_errf(rd->err, "%s:%u: corrupt state file: %s (remove it or start with --reset-state)", rd->path, rd->line, why);
	return -EBADMSG;
}

/* Split line (modified in place) at spaces and unescape each token. */
static int tokenize(struct reader *rd, char *line)
{
	rd->ntok = 0;
	for (char *p = line; *p;) {
		if (rd->ntok == MAX_TOKENS)
			return bad(rd, "too many fields");
		char *start = p, *out = p;
		while (*p && *p != ' ') {
			if (*p == '\\') {
				if (p[1] == '-' && p == start && (p[2] == ' ' || !p[2])) {
					p += 2;
					break;
				}
				unsigned v;
				if (p[1] != 'x' || sscanf(p + 2, "%2x", &v) != 1 || !p[2] || !p[3])
					return bad(rd, "bad escape");
				*out++ = (char)v;
				p += 4;
			} else {
				*out++ = *p++;
			}
		}
		if (*p == ' ')
			p++;
		*out = '\0';
		rd->tok[rd->ntok++] = start;
	}
	return 0;
}

static bool to_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (*s == '-' || !*s)
		return false;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool to_i64(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (!*s || errno || *end)
		return false;
	*v = x;
	return true;
}

static bool to_double(const char *s, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (!*s || *end)
		return false;
	*v = x;
	return true;
}

static enum swl_metric_type parse_type(const char *s, bool *ok)
{
	*ok = true;
	if (strcmp(s, "counter") == 0)
		return SWL_COUNTER;
	if (strcmp(s, "gauge") == 0)
		return SWL_GAUGE;
	if (strcmp(s, "histogram") == 0)
		return SWL_HISTOGRAM;
	*ok = false;
	return SWL_COUNTER;
}

/* The state family a series line belongs to: resolved against the registry, or NULL (dropped). */
struct cur_family {
	bool seen;
	size_t nlabels, nbuckets;
	struct swl_family *f;
};

static bool same_shape(const struct swl_family *f, enum swl_metric_type type, char **labels, size_t nlabels,
		       const double *bounds, size_t nbounds)
{
	if (f->type != type || f->nlabels != nlabels)
		return false;
	for (size_t i = 0; i < nlabels; i++)
		if (strcmp(f->labels[i], labels[i]) != 0)
			return false;
	if (type != SWL_HISTOGRAM)
		return true;
	if (f->nbuckets != nbounds)
		return false;
	for (size_t i = 0; i < nbounds; i++)
		if (f->bounds[i] != bounds[i])
			return false;
	return true;
}

static int rd_family(struct reader *rd, struct cur_family *cf, struct swl_registry *reg)
{
	uint64_t nl, nb;
	bool ok;
	if (rd->ntok < 5 || !to_u64(rd->tok[3], &nl) || nl > SWL_MAX_LABELS || rd->ntok < 5 + nl ||
	    !to_u64(rd->tok[4 + nl], &nb) || nb > SWL_MAX_BUCKETS || rd->ntok != 5 + nl + nb)
		return bad(rd, "bad family record");
	enum swl_metric_type type = parse_type(rd->tok[2], &ok);
	if (!ok)
		return bad(rd, "unknown metric type");
	double bounds[SWL_MAX_BUCKETS];
	for (size_t i = 0; i < nb; i++)
		if (!to_double(rd->tok[5 + nl + i], &bounds[i]))
			return bad(rd, "bad bucket bound");
	*cf = (struct cur_family){ .seen = true, .nlabels = nl, .nbuckets = nb };
	struct swl_family *f = swl_registry_find(reg, rd->tok[1]);
	if (f && same_shape(f, type, rd->tok + 4, nl, bounds, nb))
		cf->f = f;
	return 0;
}

static int rd_series(struct reader *rd, struct cur_family *cf, bool apply, size_t *dropped)
{
	int64_t updated;
	double value, sum;
	uint64_t count, nb;
	if (!cf->seen)
		return bad(rd, "series before any family");
	if (rd->ntok < 6 || !to_i64(rd->tok[1], &updated) || !to_double(rd->tok[2], &value) ||
	    !to_double(rd->tok[3], &sum) || !to_u64(rd->tok[4], &count) || !to_u64(rd->tok[5], &nb) ||
	    (nb != 0 && nb != cf->nbuckets + 1) || rd->ntok != 6 + nb + cf->nlabels)
		return bad(rd, "bad series record");
	uint64_t buckets[SWL_MAX_BUCKETS + 1];
	for (size_t i = 0; i < nb; i++)
		if (!to_u64(rd->tok[6 + i], &buckets[i]))
			return bad(rd, "bad bucket count");
	if (!apply)
		return 0;
	struct swl_family *f = cf->f;
	if (!f) {
		(*dropped)++;
		return 0;
	}
	struct swl_str values[SWL_MAX_LABELS];
	for (size_t i = 0; i < cf->nlabels; i++)
		values[i] = swl_str_c(rd->tok[6 + nb + i]);
	struct swl_series *s = swl_family_series(f, values);
	/* add, not set: the series may be the overflow one, already holding other values */
	if (f->type == SWL_GAUGE)
		s->value = value;
	else if (f->type == SWL_COUNTER)
		s->value += value;
	if (f->type == SWL_HISTOGRAM) {
		s->sum += sum;
		s->count += count;
		for (size_t i = 0; s->buckets && i < nb; i++)
			s->buckets[i] += buckets[i];
	}
	if (updated > s->updated_us)
		s->updated_us = updated;
	return 0;
}

static int rd_ctx(struct reader *rd, struct swl_context *ctx, bool apply)
{
	int64_t seen;
	uint64_t n;
	if (rd->ntok < 4 || !to_i64(rd->tok[2], &seen) || !to_u64(rd->tok[3], &n) || n == 0 ||
	    n > SWL_CTX_MAX_LABELS || rd->ntok != 4 + 2 * n)
		return bad(rd, "bad ctx record");
	for (size_t i = 0; apply && i < n; i++)
		swl_context_remember(ctx, swl_str_c(rd->tok[1]), swl_str_c(rd->tok[4 + 2 * i]),
				     swl_str_c(rd->tok[5 + 2 * i]), seen);
	return 0;
}

static int rd_live(struct reader *rd, struct swl_registry *reg, struct swl_context *ctx, bool apply)
{
	if (rd->ntok < 4)
		return bad(rd, "bad live record");
	if (!apply)
		return 0;
	struct swl_family *f = swl_registry_find(reg, rd->tok[1]);
	/* a family gone or reshaped drops its live keys with its series */
	if (!f || f->type != SWL_GAUGE || rd->ntok != 4 + f->nlabels)
		return 0;
	struct swl_str values[SWL_MAX_LABELS];
	for (size_t i = 0; i < f->nlabels; i++)
		values[i] = swl_str_c(rd->tok[4 + i]);
	swl_context_restore_live(ctx, f, swl_str_c(rd->tok[2]), swl_str_c(rd->tok[3]), swl_family_series(f, values));
	return 0;
}

static int rd_file(struct reader *rd, struct swl_state_pos *pos, bool apply)
{
	uint64_t ino, off, skip, hlen, hhash;
	int64_t mtime = 0;
	char *end;
	/* (files saved before the mtime was kept have 7 fields) */
	if (rd->ntok < 7 || rd->ntok > 8 || !to_u64(rd->tok[2], &ino) || !to_u64(rd->tok[3], &off) ||
	    !to_u64(rd->tok[4], &skip) || skip > 1 || !to_u64(rd->tok[5], &hlen) || hlen > SWL_POS_HEAD_MAX ||
	    (rd->ntok == 8 && (!to_i64(rd->tok[7], &mtime) || mtime < 0)))
		return bad(rd, "bad file record");
	errno = 0;
	hhash = strtoull(rd->tok[6], &end, 16);
	if (errno || *end || !*rd->tok[6])
		return bad(rd, "bad file record");
	if (!apply)
		return 0;
	pos->files = swl_xrealloc(pos->files, (pos->nfiles + 1) * sizeof(*pos->files));
	pos->files[pos->nfiles++] = (struct swl_file_pos){ .path = swl_xstrdup(rd->tok[1]), .ino = ino, .offset = off,
							    .skipping = skip, .head_len = (uint32_t)hlen,
							    .head_hash = hhash, .mtime_ns = mtime };
	return 0;
}

/* One pass over the verified text: check every record, and with apply restore them. */
static int parse(struct reader *rd, char *text, size_t len, bool apply, struct swl_state_pos *pos,
		 struct swl_registry *reg, struct swl_context *ctx, size_t *dropped)
{
	struct cur_family cf = { 0 };
	rd->line = 1;
	char *p = text + strlen(SWL_STATE_MAGIC) + 1, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		rd->line++;
		*nl = '\0'; /* tokens point into the line: the text is consumed by this pass */
		int r = tokenize(rd, p);
		if (r < 0)
			return r;
		if (rd->ntok == 0)
			return bad(rd, "empty line");
		const char *k = rd->tok[0];
		if (strcmp(k, "cursor") == 0) {
			if (rd->ntok != 2 || !*rd->tok[1])
				return bad(rd, "bad cursor record");
			if (apply) {
				free(pos->cursor);
				pos->cursor = swl_xstrdup(rd->tok[1]);
			}
		} else if (strcmp(k, "file") == 0) {
			r = rd_file(rd, pos, apply);
		} else if (strcmp(k, "family") == 0) {
			r = rd_family(rd, &cf, reg);
		} else if (strcmp(k, "series") == 0) {
			r = rd_series(rd, &cf, apply, dropped);
		} else if (strcmp(k, "ctx") == 0) {
			r = rd_ctx(rd, ctx, apply);
		} else if (strcmp(k, "live") == 0) {
			r = rd_live(rd, reg, ctx, apply);
		} else {
			return bad(rd, "unknown record");
		}
		if (r < 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

static int read_whole(const char *path, char **out, size_t *len, struct swl_err *err)
{
	/* (O_NONBLOCK: a FIFO put there does not block the open; it is refused below) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int r = -errno;
		if (r != -ENOENT)
			swl_errf(err, "%s: cannot open the state file: %s", path, strerror(-r));
		return r;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		swl_errf(err, "%s: not a regular file: refused as the state file", path);
		return -EBADMSG;
	}
	int r = swl_read_all(fd, SWL_STATE_MAX_BYTES, out, len);
	close(fd);
	if (r == -EFBIG) {
		swl_errf(err, "%s: state file larger than %u bytes: refused", path, SWL_STATE_MAX_BYTES);
		return -EBADMSG;
	}
	if (r < 0)
		swl_errf(err, "%s: cannot read the state file: %s", path, strerror(-r));
	return r;
}

int swl_state_load(const char *path, struct swl_state_pos *pos, struct swl_registry *reg, struct swl_context *ctx,
		   size_t *dropped, struct swl_err *err)
{
	*pos = (struct swl_state_pos){ 0 };
	*dropped = 0;
	char *text = NULL;
	size_t len = 0;
	int r = read_whole(path, &text, &len, err);
	if (r < 0)
		return r;
	struct reader rd = { .path = path, .err = err, .line = 1 };
	size_t mlen = strlen(SWL_STATE_MAGIC);
	if (len < mlen + 1 || memcmp(text, SWL_STATE_MAGIC, mlen) != 0 || text[mlen] != '\n') {
		swl_errf(err, "%s: not a swanlog state file (version 1): refused "
			    "(remove it or start with --reset-state)", path);
		free(text);
		return -EBADMSG;
	}
	/* the checksum line ends the file: its absence means a truncated or foreign file */
	char *last = NULL;
	if (len > 0 && text[len - 1] == '\n') {
		last = text + len - 1;
		while (last > text && last[-1] != '\n')
			last--;
	}
	uint64_t want;
	char tail[64];
	size_t tlen = last ? (size_t)(text + len - last) : 0;
	if (!last || tlen >= sizeof(tail)) {
		r = bad(&rd, "no checksum line at the end (truncated?)");
		goto out;
	}
	memcpy(tail, last, tlen);
	tail[tlen] = '\0';
	if (sscanf(tail, "checksum %16" SCNx64 "\n", &want) != 1 || strlen(tail) != 26) {
		r = bad(&rd, "no checksum line at the end (truncated?)");
		goto out;
	}
	size_t body = (size_t)(last - text);
	if (swl_hash(SWL_HASH_INIT, text, body) != want) {
		r = bad(&rd, "checksum mismatch");
		goto out;
	}
	if (memchr(text, '\0', body)) {
		r = bad(&rd, "NUL byte");
		goto out;
	}
	/* verify every record first, so a bad file changes nothing; then apply */
	char *copy = swl_xmalloc(body);
	memcpy(copy, text, body);
	r = parse(&rd, copy, body, false, pos, reg, ctx, dropped);
	free(copy);
	if (r == 0)
		r = parse(&rd, text, body, true, pos, reg, ctx, dropped);
out:
	free(text);
	if (r < 0)
		swl_state_pos_fini(pos);
	return r;
}
