/* util.h - small shared vocabulary: string slices, errors, buffers, allocation.
 *
 * Out of memory aborts (swl_xmalloc and friends): every caller may assume success.
 * Functions elsewhere return 0 or a negative errno; predicates return bool.
 */
#ifndef SWL_UTIL_H
#define SWL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed, not NUL-terminated view of bytes. */
struct swl_str {
	const char *p;
	size_t n;
};

#define SWL_STR_NULL ((struct swl_str){ NULL, 0 })
static inline struct swl_str swl_str_c(const char *s) { return (struct swl_str){ s, s ? strlen(s) : 0 }; }
static inline bool swl_str_eq(struct swl_str a, struct swl_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
static inline bool swl_str_eqc(struct swl_str a, const char *c) { return swl_str_eq(a, swl_str_c(c)); }

/* A load or validation error, already formatted as "path:line:col: message" ("path: message"
 * when it is about the file as a whole: line 0; "path:line: message" when col is 0). */
struct swl_err {
	char msg[1024];
};
void swl_err_set(struct swl_err *err, const char *path, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* An error that is not about a line of a file: the message as given. */
void swl_errf(struct swl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* snprintf for text meant for a person, which may be cut at cap bytes (out is always
 * terminated when cap > 0). */
void swl_strf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A growable byte buffer with a hard maximum (max 0 = no limit). Owns its bytes. */
struct swl_buf {
	char *p;
	size_t len, cap, max;
};
void swl_buf_init(struct swl_buf *b, size_t max);
void swl_buf_fini(struct swl_buf *b);
/* Append; returns -ENOSPC (and appends nothing) when max would be exceeded. */
int swl_buf_add(struct swl_buf *b, const void *p, size_t n);
int swl_buf_addc(struct swl_buf *b, char c);
int swl_buf_printf(struct swl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (who frees them) and reset the buffer. */
char *swl_buf_steal(struct swl_buf *b, size_t *len);

void *swl_xmalloc(size_t n);
void *swl_xcalloc(size_t n, size_t size);
void *swl_xrealloc(void *p, size_t n);
char *swl_xstrdup(const char *s);
char *swl_xstrndup(const char *s, size_t n);

/* FNV-1a, used for label sets and context keys. */
static inline uint64_t swl_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}
#define SWL_HASH_INIT 14695981039346656037ULL

/* Eight bytes at p as a native word (p need not be aligned). */
static inline uint64_t swl_load64(const void *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

/* Whether a[0, n) equals b[0, n), for the short names of labels and programs: up to 16 bytes
 * in two overlapping compares of words, without a call. */
static inline bool swl_same_bytes(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16)
		return swl_load64(a) == swl_load64(b) && swl_load64(a + n - 8) == swl_load64(b + n - 8);
	if (n >= 4 && n < 8) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4);
		memcpy(&b0, b, 4);
		memcpy(&a1, a + n - 4, 4);
		memcpy(&b1, b + n - 4, 4);
		return a0 == b0 && a1 == b1;
	}
	while (n && *a == *b)
		a++, b++, n--;
	return n == 0;
}

/* One step of the word-at-a-time hashes of context keys and label sets: multiply, fold. */
static inline uint64_t swl_hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* A random secret, drawn once per process, that seeds the hash tables log text fills (context
 * keys, label sets): IKE identities and addresses come from the network, and with a known seed
 * a peer could choose ones that all land on one run of slots. Thread-safe. */
uint64_t swl_hash_secret(void);

/* Format a double as Prometheus does (integers without exponent, +Inf/-Inf/NaN). */
int swl_fmt_double(char *out, size_t cap, double v);

#endif
