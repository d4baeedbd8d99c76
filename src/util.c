/* util.c - errors, bounded buffers, allocation that aborts on OOM. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void swl_err_set(struct swl_err *err, const char *path, unsigned line, unsigned col, const char *fmt, ...)
{
	if (!err)
		return;
	/* no line (the file as a whole): "path: message"; no column: "path:line: message" */
	int n = line == 0  ? snprintf(err->msg, sizeof(err->msg), "%s: ", path ? path : "-")
		: col == 0 ? snprintf(err->msg, sizeof(err->msg), "%s:%u: ", path ? path : "-", line)
			   : snprintf(err->msg, sizeof(err->msg), "%s:%u:%u: ", path ? path : "-", line, col);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

void swl_errf(struct swl_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void swl_strf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

void swl_buf_init(struct swl_buf *b, size_t max)
{
	*b = (struct swl_buf){ .max = max };
}

void swl_buf_fini(struct swl_buf *b)
{
	free(b->p);
	*b = (struct swl_buf){ .max = b->max };
}

static int reserve(struct swl_buf *b, size_t extra)
{
	if (b->max && (extra > b->max || b->len > b->max - extra))
		return -ENOSPC;
	size_t need = b->len + extra + 1; /* keep room for a terminating NUL */
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->p = swl_xrealloc(b->p, cap);
	b->cap = cap;
	return 0;
}

int swl_buf_add(struct swl_buf *b, const void *p, size_t n)
{
	int r = reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int swl_buf_addc(struct swl_buf *b, char c)
{
	return swl_buf_add(b, &c, 1);
}

int swl_buf_printf(struct swl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return swl_buf_add(b, small, (size_t)n);
	int r = reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *swl_buf_steal(struct swl_buf *b, size_t *len)
{
	if (!b->p)
		b->p = swl_xcalloc(1, 1);
	char *p = b->p;
	if (len)
		*len = b->len;
	*b = (struct swl_buf){ .max = b->max };
	return p;
}

void *swl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *swl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *swl_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *swl_xstrdup(const char *s)
{
	return swl_xstrndup(s, strlen(s));
}

char *swl_xstrndup(const char *s, size_t n)
{
	char *p = swl_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int swl_fmt_double(char *out, size_t cap, double v)
{
	if (isnan(v))
		return snprintf(out, cap, "NaN");
	if (isinf(v))
		return snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
	/* range first: the cast of a value beyond int64_t is undefined */
	if (fabs(v) < 1e15 && v == (double)(int64_t)v)
		return snprintf(out, cap, "%lld", (long long)v);
	/* the shortest precision that reads back as the same double: 0.1, not 0.10000000000000001 */
	char tmp[64];
	for (int prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			return snprintf(out, cap, "%s", tmp);
	}
	return snprintf(out, cap, "%.17g", v);
}

static uint64_t hash_secret;
static pthread_once_t hash_secret_once = PTHREAD_ONCE_INIT;

static void draw_hash_secret(void)
{
	/* GRND_NONBLOCK: early at boot, before the pool is ready, a weaker seed beats a hang */
	if (getrandom(&hash_secret, sizeof(hash_secret), GRND_NONBLOCK) != (ssize_t)sizeof(hash_secret)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		hash_secret = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec ^
			      (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&ts;
	}
}

uint64_t swl_hash_secret(void)
{
	pthread_once(&hash_secret_once, draw_hash_secret);
	return hash_secret;
}
