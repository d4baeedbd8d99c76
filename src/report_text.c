/* report_text.c - the report's summary as plain text, for a terminal or a ticket. Strings from
 * the logs are made safe for a terminal: control characters and bidi controls are written as
 * \xHH or \u{HHHH}, so a name cannot move the cursor or reorder the text after it. */
#include "report_int.h"

#include <errno.h>
#include <stdlib.h>

/* How many bytes of UTF-8 start at s, and the code point (s is valid UTF-8: the registry
 * stores it so). */
static size_t utf8(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t v = s[0] & (0x3f >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return i;
		}
		v = v << 6 | (s[i] & 0x3f);
	}
	*cp = v;
	return n;
}

static bool unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void safe_as(FILE *f, const char *s, bool double_backslash)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		size_t n = utf8(p, &cp);
		if (cp == '\\' && double_backslash)
			fputs("\\\\", f);
		else if (unsafe(cp))
			fprintf(f, cp < 0x80 ? "\\x%02x" : "\\u{%04x}", cp);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
}

static void safe(FILE *f, const char *s)
{
	safe_as(f, s, true);
}

static void value(FILE *f, double v)
{
	char b[64];
	rp_value(b, sizeof(b), v);
	fputs(b, f);
}

static void when(FILE *f, int64_t t_us)
{
	char b[64];
	rp_time(b, sizeof(b), t_us);
	fputs(b, f);
}

static void duration(FILE *f, int64_t us)
{
	char b[64];
	rp_duration(b, sizeof(b), us);
	fputs(b, f);
}

static void tunnel(FILE *f, const struct swl_report *r, const struct rp_tunnel *t, size_t rank)
{
	fprintf(f, "%3zu. ", rank);
	safe(f, t->conn);
	fputs("  peer ", f);
	safe(f, *t->peer ? t->peer : "-");
	fprintf(f, "\n     up %.1f %% (", 100 * rp_up_share(r, t));
	duration(f, t->up_us);
	fprintf(f, ")%s, downs ", t->up_at_end ? "" : ", down at the end");
	value(f, t->downs);
	fputs(", failures ", f);
	value(f, t->failures);
	fputs(", rekeys ", f);
	value(f, t->rekeys);
	fputs(", rekey failures ", f);
	value(f, t->rekey_failures);
	fputs("\n", f);
	if (t->longest_outage_us) {
		fputs("     longest outage ", f);
		duration(f, t->longest_outage_us);
		if (t->recoveries) {
			fputs(", mean time to recover ", f);
			duration(f, t->recovered_us / (int64_t)t->recoveries);
		}
		fputs("\n", f);
	}
	if (t->first_error_us) {
		fputs("     errors from ", f);
		when(f, t->first_error_us);
		fputs(" to ", f);
		when(f, t->last_error_us);
		fputs("\n", f);
	}
	if (t->bytes_in > 0 || t->bytes_out > 0) {
		fputs("     bytes in ", f);
		value(f, t->bytes_in);
		fputs(", out ", f);
		value(f, t->bytes_out);
		fputs("\n", f);
	}
	for (size_t i = 0; i < t->ncounters; i++) {
		const struct rp_counter *c = &r->counters[t->counters[i]];
		if (c->total <= 0 || (c->cls != RP_FAIL && c->cls != RP_DOWN && c->cls != RP_KERNEL))
			continue;
		fputs("     ", f);
		value(f, c->total);
		fputs(" x ", f);
		safe(f, c->text);
		fputs("\n", f);
	}
}

static void list(FILE *f, const char *head, const struct rp_reason *v, size_t n)
{
	fprintf(f, "\n%s\n", head);
	for (size_t i = 0; i < n && i < 10; i++) {
		fputs("  ", f);
		value(f, v[i].n);
		fputs(" x ", f);
		safe(f, v[i].text);
		fputc('\n', f);
	}
}

/* Every counter of the tunnels shown and of none, as swanlog replay prints them. */
static void counts(FILE *f, const struct swl_report *r, size_t shown)
{
	uint32_t *idx = swl_xmalloc((r->ncounters + 1) * sizeof(*idx)), *sorted = swl_xmalloc((r->ncounters + 1) * sizeof(*idx));
	size_t n = 0;
	for (size_t i = 0; i < shown; i++) {
		const struct rp_tunnel *t = &r->tunnels[r->order[i]];
		memcpy(idx + n, t->counters, t->ncounters * sizeof(*idx));
		n += t->ncounters;
	}
	for (size_t i = 0; i < r->ncounters; i++)
		if (r->counters[i].tunnel == RP_NONE)
			idx[n++] = (uint32_t)i;
	n = rp_sorted_counters(r, idx, n, sorted);
	struct swl_buf b;
	swl_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		b.len = 0;
		rp_series_text(&b, r->counters[sorted[i]].series);
		swl_buf_addc(&b, '\0');
		safe_as(f, b.p, false); /* the exposition doubled every backslash already */
		fputc(' ', f);
		value(f, r->counters[sorted[i]].total);
		fputc('\n', f);
	}
	swl_buf_fini(&b);
	free(idx);
	free(sorted);
}

int swl_report_write_text(const struct swl_report *r, FILE *f)
{
	size_t shown = r->nlisted < r->o.top ? r->nlisted : r->o.top;
	if (r->timeless) {
		fputs("IPsec report: no entry with a time, ", f);
	} else {
		fputs("IPsec report ", f);
		when(f, r->start_us);
		fputs(" - ", f);
		when(f, r->end_us);
		fputs(" (", f);
		duration(f, r->end_us - r->start_us);
		fputs("), ", f);
	}
	value(f, r->lines);
	fprintf(f, " log lines read, %zu tunnel%s, daemon starts ", r->nlisted, r->nlisted == 1 ? "" : "s");
	value(f, r->daemon_starts);
	fputs("\n\nTunnels, worst first\n", f);
	for (size_t i = 0; i < shown; i++)
		tunnel(f, r, &r->tunnels[r->order[i]], i + 1);
	if (shown < r->nlisted)
		fprintf(f, "     ... and %zu more tunnels (--top shows more)\n", r->nlisted - shown);
	list(f, "Top failure reasons", r->reasons, r->nreasons);
	list(f, "Peers that failed to authenticate most", r->auth_peers, r->nauth_peers);
	fputs("\nCounts (as swanlog replay prints them)\n", f);
	counts(f, r, shown);
	return fflush(f) || ferror(f) ? -(errno ? errno : EIO) : 0;
}
