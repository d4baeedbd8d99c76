/* parse_syslog.c - syslog headers and charon's prefixes -> struct swl_event.
 *
 * This is the hot path of every replay: hand-written scanning over (pointer, length), no
 * allocation, no sscanf/strptime, and mktime at most once per hour of log time. Every index
 * is checked against the length before a byte is read: lines are not NUL-terminated and
 * may hold anything (NUL bytes, truncated headers, endless digits).
 */
#include "parse_syslog.h"

#include <errno.h>

#define US_PER_S 1000000

static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10u; }
static inline bool is_upper(char c) { return (unsigned char)(c - 'A') < 26u; }

/* Exactly k digits at s[*i] (k <= 4, so no overflow); advances *i. */
static bool fixed_digits(const char *s, size_t n, size_t *i, int k, int *out)
{
	if (n - *i < (size_t)k)
		return false;
	int v = 0;
	for (int j = 0; j < k; j++) {
		char c = s[*i + (size_t)j];
		if (!is_digit(c))
			return false;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)k;
	*out = v;
	return true;
}

/* Optional ".digits" at s[*i]: microseconds (extra digits are read and dropped). */
static int fraction_us(const char *s, size_t n, size_t *i)
{
	size_t j = *i;
	if (j >= n || s[j] != '.' || j + 1 >= n || !is_digit(s[j + 1]))
		return 0;
	int v = 0, k = 0;
	for (j++; j < n && is_digit(s[j]); j++) {
		if (k < 6) {
			v = v * 10 + (s[j] - '0');
			k++;
		}
	}
	for (; k < 6; k++)
		v *= 10;
	*i = j;
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil):
 * pure arithmetic, so RFC 3339 times need neither mktime nor the TZ environment. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "Jan".."Dec" -> 0..11, else -1 (s has at least 3 bytes). */
static int month_index(const char *s)
{
	char a = s[0], b = s[1], c = s[2];
	switch (a) {
	case 'J':
		if (b == 'a' && c == 'n')
			return 0;
		if (b == 'u' && c == 'n')
			return 5;
		if (b == 'u' && c == 'l')
			return 6;
		return -1;
	case 'F':
		return b == 'e' && c == 'b' ? 1 : -1;
	case 'M':
		if (b == 'a' && c == 'r')
			return 2;
		if (b == 'a' && c == 'y')
			return 4;
		return -1;
	case 'A':
		if (b == 'p' && c == 'r')
			return 3;
		if (b == 'u' && c == 'g')
			return 7;
		return -1;
	case 'S':
		return b == 'e' && c == 'p' ? 8 : -1;
	case 'O':
		return b == 'c' && c == 't' ? 9 : -1;
	case 'N':
		return b == 'o' && c == 'v' ? 10 : -1;
	case 'D':
		return b == 'e' && c == 'c' ? 11 : -1;
	default:
		return -1;
	}
}

/* "hh:mm:ss" with range checks (a leap second 60 is let through). */
static bool clock_hms(const char *s, size_t n, size_t *i, int *h, int *mi, int *sec)
{
	size_t j = *i;
	if (!fixed_digits(s, n, &j, 2, h) || j >= n || s[j++] != ':' || !fixed_digits(s, n, &j, 2, mi) ||
	    j >= n || s[j++] != ':' || !fixed_digits(s, n, &j, 2, sec))
		return false;
	if (*h > 23 || *mi > 59 || *sec > 60)
		return false;
	*i = j;
	return true;
}

/* RFC 3339 "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)" (also "+hhmm") at s[*i]. */
static bool parse_rfc3339(const char *s, size_t n, size_t *i, int64_t *time_us)
{
	size_t j = *i;
	int y, mo, d, h, mi, sec;
	if (!fixed_digits(s, n, &j, 4, &y) || j >= n || s[j++] != '-' || !fixed_digits(s, n, &j, 2, &mo) ||
	    j >= n || s[j++] != '-' || !fixed_digits(s, n, &j, 2, &d) || j >= n ||
	    (s[j] != 'T' && s[j] != 't'))
		return false;
	j++;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || !clock_hms(s, n, &j, &h, &mi, &sec))
		return false;
	int us = fraction_us(s, n, &j);
	if (j >= n)
		return false;
	int off = 0;
	if (s[j] == 'Z' || s[j] == 'z') {
		j++;
	} else if (s[j] == '+' || s[j] == '-') {
		int sign = s[j++] == '-' ? -1 : 1, oh, om;
		if (!fixed_digits(s, n, &j, 2, &oh))
			return false;
		if (j < n && s[j] == ':')
			j++;
		if (!fixed_digits(s, n, &j, 2, &om) || oh > 23 || om > 59)
			return false;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return false;
	}
	int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
	*time_us = t * US_PER_S + us;
	*i = j;
	return true;
}

/* A classic (RFC 3164 / charon file logger) time: no year, no zone. */
struct classic {
	int mon, day, hour, min, sec, us;
};

/* A local wall time (TZ) in the given year to microseconds since the epoch: mktime once per
 * (year, month, day, hour), cached; 0 when mktime cannot represent it. */
static int64_t local_time_us(struct swl_parser *ps, int year, const struct classic *c)
{
	long key = (((long)year * 12 + c->mon) * 32 + c->day) * 24 + c->hour;
	if (key != ps->cache_key) {
		struct tm tm = {
			.tm_year = year - 1900,
			.tm_mon = c->mon,
			.tm_mday = c->day,
			.tm_hour = c->hour,
			.tm_isdst = -1,
		};
		time_t t = mktime(&tm);
		ps->cache_key = key;
		ps->cache_epoch = t == (time_t)-1 ? INT64_MIN : (int64_t)t;
	}
	if (ps->cache_epoch == INT64_MIN)
		return 0; /* unknown: mktime could not represent it */
	return (ps->cache_epoch + c->min * 60 + c->sec) * US_PER_S + c->us;
}

/* "Mmm dd hh:mm:ss[.frac]" at s[*i]; the day may be space-padded ("Nov  3") or bare ("Nov 3"). */
static bool parse_classic(const char *s, size_t n, size_t *i, struct classic *c)
{
	size_t j = *i;
	if (n - j < 14 || s[j + 3] != ' ')
		return false;
	c->mon = month_index(s + j);
	if (c->mon < 0)
		return false;
	j += 4;
	if (s[j] == ' ')
		j++;
	if (j >= n || !is_digit(s[j]))
		return false;
	c->day = s[j++] - '0';
	if (j < n && is_digit(s[j]))
		c->day = c->day * 10 + (s[j++] - '0');
	if (c->day < 1 || c->day > 31 || j >= n || s[j++] != ' ')
		return false;
	if (!clock_hms(s, n, &j, &c->hour, &c->min, &c->sec))
		return false;
	c->us = fraction_us(s, n, &j);
	*i = j;
	return true;
}

/* Local wall clock as seconds "as if UTC": compares dates without mktime (DST is noise next
 * to the one-day margin it is used with). */
static int64_t wall_seconds(int year, const struct classic *c)
{
	return days_from_civil(year, (unsigned)c->mon + 1, (unsigned)c->day) * 86400 + c->hour * 3600 +
	       c->min * 60 + c->sec;
}

/* Complete a classic time to microseconds since the epoch.
 *
 * The year rule:
 *  - pinned (ps->year): start at that year and add one whenever the month jumps back by more
 *    than six months (Dec -> Jan inside one file); a small step back (a late line across a
 *    month boundary) is not a new year.
 *  - otherwise from ref_time (the file's mtime, or now): take ref_time's local year; if that
 *    puts the line more than a day after ref_time, the line is from the previous year (logs
 *    are not from the future; a day of slack absorbs clock and zone skew). A Dec -> Jan file
 *    read after New Year thus gets Dec in the old year and Jan in the new one. The previous
 *    line's year also counts, moved by the rollover rule above (and back by one when the
 *    month jumps forward by more than six months: a late Dec line after Jan 1): the later
 *    of the two wins, so a file followed live across New Year moves on to the new year
 *    although its ref_time is from the old one.
 * Local time (TZ) is resolved by local_time_us. */
static int64_t classic_time_us(struct swl_parser *ps, const struct classic *c)
{
	int year;
	bool seen = ps->last_mon >= 0;
	bool rolled = seen && c->mon + 6 < ps->last_mon && ps->cur_year < 100000; /* no int overflow */
	if (ps->year) {
		year = ps->cur_year + (rolled ? 1 : 0);
	} else {
		year = ps->ref_year;
		if (wall_seconds(year, c) > ps->ref_wall + 86400)
			year--;
		if (seen) {
			int prev = ps->cur_year + (rolled ? 1 : 0) - (c->mon > ps->last_mon + 6 ? 1 : 0);
			if (prev > year)
				year = prev;
		}
	}
	ps->cur_year = year;
	ps->last_mon = c->mon;
	return local_time_us(ps, year, c);
}

void swl_parser_init(struct swl_parser *ps, int year, time_t ref_time)
{
	if (ref_time == 0)
		ref_time = time(NULL); /* no reference given: lines are not from the future */
	*ps = (struct swl_parser){
		.year = year,
		.ref_time = ref_time,
		.last_mon = -1,
		.cur_year = year,
		.cache_key = -1,
	};
	struct tm tm;
	if (localtime_r(&ref_time, &tm)) {
		ps->ref_year = tm.tm_year + 1900;
		ps->ref_wall = days_from_civil(ps->ref_year, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
			       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	} else {
		ps->ref_year = 1970;
	}
}

void swl_parser_next_file(struct swl_parser *ps, time_t ref_time)
{
	struct swl_parser prev = *ps;
	swl_parser_init(ps, prev.year, ref_time);
	if (prev.year && prev.last_mon >= 0) {
		ps->cur_year = prev.cur_year;
		ps->last_mon = prev.last_mon;
	}
}

/* "[GRP] " or, with charon's log_level option, "[GRP1] " at s[k] (s[k] == '[', at least six bytes
 * from k): the length, or 0. Three capitals, not one of charon's names: see is_charon_group. */
static inline __attribute__((always_inline)) size_t bracket_group(const char *s, size_t n, size_t k)
{
	if (!is_upper(s[k + 1]) || !is_upper(s[k + 2]) || !is_upper(s[k + 3]))
		return 0;
	size_t e = k + 4;
	if (s[e] != ']') {
		if (!is_digit(s[e]) || n - k < 7 || s[e + 1] != ']')
			return 0;
		e++;
	}
	return e + 1 < n && s[e + 1] == ' ' ? e + 2 - k : 0;
}

/* Length of charon's "NN[GRP] " at s (2+ digits, three capitals, the level digit that
 * log_level = yes adds), or 0 when it is not there. Inline: once per charon line, and its
 * call cost as much as the check. */
static inline size_t charon_thread_group(const char *s, size_t n, size_t *ndigits)
{
	size_t k = 0;
	while (k < n && is_digit(s[k]))
		k++;
	if (k < 2 || n - k < 6 || s[k] != '[')
		return 0;
	size_t g = bracket_group(s, n, k);
	if (!g)
		return 0;
	*ndigits = k;
	return k + g;
}

/* charon_thread_group's answer is 0 unless two digits start the span: checked in line, since
 * after every timestamp the span is mostly a host name. */
static inline bool may_be_thread_group(const char *s, size_t n)
{
	return n >= 8 && is_digit(s[0]) && is_digit(s[1]);
}

/* One of charon's log groups (debug_names in libstrongswan, 5.x and 6.x). A line of another
 * program is taken for charon's only with one of these, not with any three capitals. */
static bool is_charon_group(const char *g)
{
	static const char names[][3] = { "DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN",
					  "ENC", "TNC", "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB" };
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (memcmp(g, names[k], 3) == 0)
			return true;
	return false;
}

/* Length of charon's marker at s: "NN[GRP] ", or "[GRP] " where charon prints no thread
 * (swanctl --initiate), with one of charon's groups; 0 when it is not there. Out of line:
 * only messages that start with two digits or "[" and a capital come here. */
static __attribute__((noinline)) size_t charon_marker(const char *s, size_t n)
{
	size_t nd = 0, i;
	if (n >= 6 && s[0] == '[')
		i = bracket_group(s, n, 0);
	else
		i = charon_thread_group(s, n, &nd);
	return i && is_charon_group(s + nd + 1) ? i : 0;
}

/* Whether charon_marker may find something: a byte or two, in line, for every message of
 * another program. */
static inline bool may_be_marker(const char *s, size_t n)
{
	return n >= 6 && ((s[0] == '[' && is_upper(s[1])) || (is_digit(s[0]) && is_digit(s[1])));
}

bool swl_has_charon_marker(struct swl_str msg)
{
	return msg.p && may_be_marker(msg.p, msg.n) && charon_marker(msg.p, msg.n);
}

/* Digits only, 1..20 of them (a unique id is an unsigned int in charon). */
static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* Add a field of the prefix unless the event has it already (a journal entry's own fields win).
 * fresh: the event had no fields before the prefix, so only the prefix's own names (all
 * different) are there and the lookup is skipped. Every value here points into the message,
 * so none is the NULL slice swl_event_add_field would have to replace. */
static void add_missing(struct swl_event *ev, bool fresh, struct swl_str name, struct swl_str value)
{
	if (!fresh && swl_event_field(ev, name).p)
		return;
	if (ev->nfields < SWL_EVENT_MAX_FIELDS)
		ev->fields[ev->nfields++] = (struct swl_field){ name, value };
}

#define FIELD_NAME(lit) ((struct swl_str){ lit, sizeof(lit) - 1 })

/* charon truncates " <name|id>" to 127 bytes; a longer candidate is not its prefix. */
#define SWL_CHARON_SA_MAX 128

void swl_parse_charon_prefix(struct swl_event *ev)
{
	const char *p = ev->msg.p;
	size_t n = ev->msg.n, nd = 0, i;
	if (!p)
		return;
	bool fresh = ev->nfields == 0;
	if (may_be_thread_group(p, n)) {
		i = charon_thread_group(p, n, &nd);
		if (i == 0)
			return;
		/* THREAD as charon-systemd writes it: "%d", so "09" becomes "9" like in the journal. */
		struct swl_str thread = { p, nd };
		while (thread.n > 1 && thread.p[0] == '0') {
			thread.p++;
			thread.n--;
		}
		add_missing(ev, fresh, FIELD_NAME("THREAD"), thread);
	} else if (n >= 6 && p[0] == '[' && is_upper(p[1])) {
		i = charon_marker(p, n); /* no thread (swanctl --initiate): one of charon's groups */
		if (i == 0)
			return;
	} else {
		return;
	}
	add_missing(ev, fresh, FIELD_NAME("GROUP"), (struct swl_str){ p + nd + 1, 3 });

	if (i < n && p[i] == '<') {
		size_t lim = n - i < SWL_CHARON_SA_MAX ? n : i + SWL_CHARON_SA_MAX;
		size_t j = i + 1;
		while (j < lim && p[j] != '|' && p[j] != '>')
			j++;
		struct swl_str name = SWL_STR_NULL, uid = SWL_STR_NULL;
		size_t end = 0; /* index of the closing '>' when the prefix is well-formed */
		if (j < lim && p[j] == '>') {
			uid = (struct swl_str){ p + i + 1, j - i - 1 };
			end = j;
		} else if (j < lim) {
			name = (struct swl_str){ p + i + 1, j - i - 1 };
			size_t u = j + 1;
			while (u < lim && p[u] != '>')
				u++;
			if (u < lim) {
				uid = (struct swl_str){ p + j + 1, u - j - 1 };
				end = u;
			}
		}
		/* "> " then the message, or the line ends right after '>' */
		if (end && all_digits(uid.p, uid.n) && (end + 1 == n || p[end + 1] == ' ')) {
			if (name.n)
				add_missing(ev, fresh, FIELD_NAME("IKE_SA_NAME"), name);
			add_missing(ev, fresh, FIELD_NAME("IKE_SA_UNIQUE_ID"), uid);
			i = end + 1 < n ? end + 2 : n;
		}
	}
	ev->msg = (struct swl_str){ p + i, n - i };
}

/* Bytes that end a program name: one table lookup per byte instead of four comparisons
 * (this scan runs over the host and the program of every line). */
static const bool tag_stop[256] = { [':'] = true, ['['] = true, [' '] = true, [']'] = true };

/* Index of the first tag_stop byte in s[j..n), or n. Four bytes a round while four are left,
 * so the bound is checked once per round: hosts and program names are short, a word at a
 * time would not pay for its setup. */
static inline size_t name_end(const char *s, size_t n, size_t j)
{
	for (; n - j >= 4; j += 4) {
		if (tag_stop[(unsigned char)s[j]])
			return j;
		if (tag_stop[(unsigned char)s[j + 1]])
			return j + 1;
		if (tag_stop[(unsigned char)s[j + 2]])
			return j + 2;
		if (tag_stop[(unsigned char)s[j + 3]])
			return j + 3;
	}
	while (j < n && !tag_stop[(unsigned char)s[j]])
		j++;
	return j;
}

/* Eight bytes as a little-endian word: byte 0 is the lowest, on any host. */
static inline uint64_t load_le64(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

#define BYTES8(b) (0x0101010101010101ULL * (uint8_t)(b))

/* How many of the 8 bytes in w (load_le64) are ASCII digits before the first one that is not.
 * A byte is a digit when its high nibble is 3 and stays 3 when 6 is added. Adding 6 carries
 * into the next byte only from bytes >= 0xFA, which are no digits themselves, so every byte
 * up to the first non-digit is judged right. */
static inline unsigned leading_digits8(uint64_t w)
{
	uint64_t high = (w & BYTES8(0xF0)) ^ BYTES8(0x30);
	uint64_t high6 = ((w + BYTES8(6)) & BYTES8(0xF0)) ^ BYTES8(0x30);
	uint64_t bad = high | high6;
	return bad ? (unsigned)__builtin_ctzll(bad) / 8 : 8;
}

/* The value of the first d (1..7) digits in w: they are moved to the top of the word behind
 * 8 - d zero digits, then added up in pairs, quads and the whole (three multiplications
 * instead of a loop with one per digit). */
static inline unsigned long digits8_value(uint64_t w, unsigned d)
{
	uint64_t v = (w & BYTES8(0x0F)) << (8 * (8 - d));
	v = v * 10 + (v >> 8);                                          /* bytes 0,2,4,6: 2 digits */
	v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) + /* then 4, then 8 */
	     (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
	return (unsigned long)v;
}

/* bracket_pid for what the word at a time does not take: pids of 8 and more digits, no ']'
 * behind the digits, or fewer than 8 bytes left. Out of line: rare, and kept out of the two
 * inlined copies of parse_tag. */
static __attribute__((noinline)) size_t bracket_pid_bytewise(const char *s, size_t n, size_t j, long *pid)
{
	size_t k = j + 1;
	size_t lim = n - k > 18 ? k + 18 : n; /* 18 digits fit a long: no check inside the loop */
	unsigned long v = 0;
	for (; k < lim; k++) {
		unsigned d = (unsigned char)s[k] - (unsigned)'0';
		if (d > 9)
			break;
		v = v * 10 + d;
	}
	if (k > j + 1 && k < n && s[k] == ']') {
		*pid = (long)v;
		return k + 1;
	}
	*pid = -1;
	while (k < n && s[k] != ']' && s[k] != ' ')
		k++;
	return k < n && s[k] == ']' ? k + 1 : 0;
}

/* The pid in "[pid]" at s[j] == '[': 1..18 digits then ']' give their value, anything else
 * up to ']' gives -1 (no space allowed). Returns the index after ']', or 0 when there is none.
 * Pids have up to 7 digits: with 8 bytes to read they are taken a word at a time. */
static inline size_t bracket_pid(const char *s, size_t n, size_t j, long *pid)
{
	size_t k = j + 1;
	if (n - k >= 8) {
		uint64_t w = load_le64(s + k);
		unsigned d = leading_digits8(w);
		if (d >= 1 && d < 8 && s[k + d] == ']') {
			*pid = (long)digits8_value(w, d);
			return k + d + 1;
		}
	}
	return bracket_pid_bytewise(s, n, j, pid);
}

/* A syslog tag at s[i]: "prog[pid]: " or "prog: " (a colon at the end of the line will do).
 * The colon must be followed by a space or the end, so an IPv6 host ("fe80::1") is no tag.
 * *stop: where the name ended (no space before it), also when there is no tag. Inlined into
 * its two calls on every line (GCC leaves it out of line otherwise: 3 % of all instructions). */
static inline __attribute__((always_inline)) bool parse_tag(const char *s, size_t n, size_t i,
							   struct swl_event *ev, size_t *msg_at, size_t *stop)
{
	size_t j = name_end(s, n, i);
	*stop = j;
	if (j == i || j >= n || s[j] == ' ')
		return false; /* the space: the common way out, after a host name */
	struct swl_str prog = { s + i, j - i };
	long pid = -1;
	if (s[j] == '[') {
		j = bracket_pid(s, n, j, &pid);
		if (j == 0)
			return false;
	}
	if (j >= n || s[j] != ':' || (j + 1 < n && s[j + 1] != ' '))
		return false;
	j++;
	if (j < n)
		j++; /* the space */
	ev->program = prog;
	ev->pid = pid;
	*msg_at = j;
	return true;
}

/* What follows a timestamp and its space (3164 or 3339), from s[i]: "09[IKE] ..." (charon's
 * file logger), "prog[pid]: msg" (no host), "host prog[pid]: msg", or "host msg" (no tag). */
static inline __attribute__((always_inline)) int after_space(const char *s, size_t n, size_t i,
							     struct swl_event *ev)
{
	size_t nd, m, stop;
	if (may_be_thread_group(s + i, n - i) && charon_thread_group(s + i, n - i, &nd)) {
		ev->program = swl_str_c("charon");
		ev->msg = (struct swl_str){ s + i, n - i };
		return 0;
	}
	if (parse_tag(s, n, i, ev, &m, &stop)) {
		ev->msg = (struct swl_str){ s + m, n - m };
		return 0;
	}
	/* the host ends at the first space, and there is none before stop */
	size_t h = stop;
	if (h < n && s[h] != ' ') {
		const char *sp = memchr(s + h, ' ', n - h);
		h = sp ? (size_t)(sp - s) : n;
	}
	if (h == i || h >= n)
		return -EINVAL; /* no host, or a host and nothing after it */
	ev->host = (struct swl_str){ s + i, h - i };
	i = h + 1;
	if (parse_tag(s, n, i, ev, &m, &stop))
		ev->msg = (struct swl_str){ s + m, n - m };
	else
		ev->msg = (struct swl_str){ s + i, n - i };
	return 0;
}

/* A timestamp ended at s[i]: a space must follow it. */
static int after_time(const char *s, size_t n, size_t i, struct swl_event *ev)
{
	if (i >= n || s[i] != ' ')
		return -EINVAL;
	return after_space(s, n, i + 1, ev);
}

/* A space-separated RFC 5424 header field at s[*i]; NILVALUE "-" gives an empty slice. */
static bool field5424(const char *s, size_t n, size_t *i, struct swl_str *out)
{
	size_t j = *i;
	while (j < n && s[j] != ' ')
		j++;
	if (j == *i || j >= n)
		return false;
	*out = (j - *i == 1 && s[*i] == '-') ? SWL_STR_NULL : (struct swl_str){ s + *i, j - *i };
	*i = j + 1;
	return true;
}

/* RFC 5424 after "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG]. */
static int parse_5424(const char *s, size_t n, size_t i, struct swl_event *ev)
{
	int64_t t = 0;
	if (i < n && s[i] == '-') {
		i++;
	} else if (!parse_rfc3339(s, n, &i, &t)) {
		return -EINVAL;
	}
	if (i >= n || s[i] != ' ')
		return -EINVAL;
	i++;
	struct swl_str host, app, procid, msgid;
	if (!field5424(s, n, &i, &host) || !field5424(s, n, &i, &app) || !field5424(s, n, &i, &procid) ||
	    !field5424(s, n, &i, &msgid))
		return -EINVAL;
	/* STRUCTURED-DATA: "-" or one or more [id param="value" ...]; '\' escapes the next byte
	 * (\" \\ \] inside values), and ']' closes an element only outside quotes. */
	if (i < n && s[i] == '-') {
		i++;
	} else {
		if (i >= n || s[i] != '[')
			return -EINVAL;
		while (i < n && s[i] == '[') {
			bool quoted = false, closed = false;
			for (i++; i < n; i++) {
				char c = s[i];
				if (c == '\\') {
					i++; /* skip the escaped byte (the loop's i++ moves past it) */
					continue;
				}
				if (c == '"') {
					quoted = !quoted;
				} else if (c == ']' && !quoted) {
					closed = true;
					i++;
					break;
				}
			}
			if (!closed)
				return -EINVAL;
		}
	}
	if (i < n && s[i] != ' ')
		return -EINVAL;
	if (i < n)
		i++;
	/* MSG may start with a UTF-8 BOM, which is not part of the text. */
	if (n - i >= 3 && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBB &&
	    (unsigned char)s[i + 2] == 0xBF)
		i += 3;
	ev->time_us = t;
	ev->host = host;
	ev->program = app;
	ev->pid = swl_pid_parse(procid);
	ev->msg = (struct swl_str){ s + i, n - i };
	return 0;
}

/* "<PRI>" with 1..3 digits and PRI <= 191; returns the index after '>' (and *pri) or 0. */
static inline __attribute__((always_inline)) size_t skip_pri(const char *s, size_t n, int *pri)
{
	if (n < 3 || s[0] != '<')
		return 0;
	size_t j = 1;
	int v = 0;
	while (j < n && j <= 3 && is_digit(s[j]))
		v = v * 10 + (s[j++] - '0');
	if (j == 1 || j >= n || s[j] != '>' || v > 191)
		return 0;
	*pri = v;
	return j + 1;
}

/* A <PRI>'s facility as the journal names it: charon's daemon and auth loggers write the
 * same message under two facilities, which is how twins.c tells the copies apart. */
static const char *const facility_names[24] = { "0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",
						"8",  "9",  "10", "11", "12", "13", "14", "15",
						"16", "17", "18", "19", "20", "21", "22", "23" };

/* memcmp(a, b, len) == 0 for len >= 8 (a cached timestamp: 15 bytes and more), a word at a
 * time, the last word overlapping the one before: two compares for "Nov 29 17:51:52 ". */
static inline bool same_span(const char *a, const char *b, size_t len)
{
	if (load_le64(a) != load_le64(b) || load_le64(a + len - 8) != load_le64(b + len - 8))
		return false;
	for (size_t k = 8; len > 16 && k < len - 8; k += 8) /* a fraction makes it longer */
		if (load_le64(a + k) != load_le64(b + k))
			return false;
	return true;
}

static int parse_after_pri(struct swl_parser *ps, const char *s, size_t n, size_t i, struct swl_event *ev)
{
	if (i && n - i >= 2 && s[i] == '1' && s[i + 1] == ' ') {
		int r = parse_5424(s, n, i + 2, ev);
		ps->last_us = ev->time_us;
		return r;
	}
	int64_t t = 0;
	struct classic c;
	bool classic = false;
	size_t t0 = i;
	if (i < n && is_digit(s[i])) {
		if (!parse_rfc3339(s, n, &i, &t)) {
			size_t nd;
			if (i != 0 || !charon_thread_group(s, n, &nd))
				return -EINVAL;
			/* charon's file logger without time_format: the bare "NN[GRP] msg" */
			ev->program = swl_str_c("charon");
			ev->msg = (struct swl_str){ s, n };
			return 0;
		}
	} else if (ps->ts_len && n - i > ps->ts_len && same_span(s + i, ps->ts, ps->ts_len + 1)) {
		/* The same timestamp as the last classic line taken (bytes and the space after them):
		 * the same time, and the year state is already where this line would leave it. */
		t = ps->ts_us;
		i += ps->ts_len;
	} else if (parse_classic(s, n, &i, &c)) {
		classic = true;
	} else {
		return -EINVAL;
	}
	/* One call for every form, so it is inlined here. The shape is checked before the year
	 * state is touched: the rollover rule must only see real header lines. */
	int r = after_time(s, n, i, ev);
	if (r < 0)
		return r;
	if (classic) {
		t = classic_time_us(ps, &c);
		/* after_time saw a space at s[i], so the bytes to compare next time are all read */
		ps->ts_len = 0;
		if (i - t0 < sizeof(ps->ts)) {
			memcpy(ps->ts, s + t0, i - t0 + 1);
			ps->ts_len = i - t0;
			ps->ts_us = t;
		}
	}
	ev->time_us = t;
	ps->last_us = t;
	return 0;
}

static int parse_header(struct swl_parser *ps, const char *s, size_t n, struct swl_event *ev)
{
	int pri = -1;
	size_t i = skip_pri(s, n, &pri);
	int r = parse_after_pri(ps, s, n, i, ev);
	if (r == 0 && pri >= 0)
		swl_event_add_field(ev, "SYSLOG_FACILITY", swl_str_c(facility_names[pri >> 3]));
	return r;
}

/* ---- The layouts that people save and paste -------------------------------------------------
 * A line that none of the forms above takes comes here (and only such a line): a time in
 * another layout, then a host and a tag, columns, Android's logcat, OpenWrt's facility; and
 * when that fails too, charon's marker anywhere in the line makes it a charon line, whatever
 * stands in front of it. Nothing here runs for a line with a known header. */

/* after_space, for these layouts: one copy out of line, so that the header forms keep theirs
 * inlined. */
static __attribute__((noinline)) int after_space_other(const char *s, size_t n, size_t i, struct swl_event *ev)
{
	return after_space(s, n, i, ev);
}

/* A time as one of these layouts writes it. It is turned into microseconds only once the line
 * is taken: the year and day rules must only see the lines that are taken. */
struct when {
	enum { WHEN_NONE, WHEN_UTC, WHEN_LOCAL, WHEN_NO_YEAR, WHEN_TIME_OF_DAY } kind;
	int year;          /* WHEN_LOCAL */
	struct classic c;  /* WHEN_LOCAL, WHEN_NO_YEAR, WHEN_TIME_OF_DAY (its clock only) */
	int64_t us;        /* WHEN_UTC */
};

/* The date of a day number (days since 1970-01-01): days_from_civil the other way round. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* A time of day alone takes the date of the line before (any line of this file or stream
 * that had a time), and the next day when its clock is more than 12 hours behind that
 * line's. With no line before: the date of ref_time (the file's mtime, or now; in the pinned
 * year), or the day before when the clock is past ref_time's (a file is not written to after
 * its mtime). */
static int64_t time_of_day_us(struct swl_parser *ps, const struct classic *clock)
{
	bool before = ps->last_us != 0;
	time_t base = before ? (time_t)(ps->last_us / US_PER_S) : ps->ref_time;
	struct tm tm;
	if (!localtime_r(&base, &tm))
		return 0;
	int year = tm.tm_year + 1900;
	if (!before && ps->year)
		year = ps->cur_year;
	int64_t day = days_from_civil(year, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
	int base_s = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	int clock_s = clock->hour * 3600 + clock->min * 60 + clock->sec;
	if (before && clock_s + 12 * 3600 < base_s)
		day++;
	else if (!before && clock_s > base_s)
		day--;
	struct classic c = *clock;
	int m;
	civil_from_days(day, &year, &m, &c.day);
	c.mon = m - 1;
	return local_time_us(ps, year, &c);
}

static int64_t when_us(struct swl_parser *ps, const struct when *w)
{
	switch (w->kind) {
	case WHEN_UTC:
		return w->us;
	case WHEN_LOCAL:
		return local_time_us(ps, w->year, &w->c);
	case WHEN_NO_YEAR:
		return classic_time_us(ps, &w->c);
	case WHEN_TIME_OF_DAY:
		return time_of_day_us(ps, &w->c);
	default:
		return 0;
	}
}

/* "hh:mm:ss[.frac]" into c's clock. */
static bool clock_into(const char *s, size_t n, size_t *i, struct classic *c)
{
	size_t j = *i;
	if (!clock_hms(s, n, &j, &c->hour, &c->min, &c->sec))
		return false;
	c->us = fraction_us(s, n, &j);
	*i = j;
	return true;
}

/* "YYYY-MM-DD" + sep + clock at s[*i]. */
static bool date_clock(const char *s, size_t n, size_t *i, char sep, int *year, struct classic *c)
{
	size_t j = *i;
	int mo;
	if (!fixed_digits(s, n, &j, 4, year) || j >= n || s[j++] != '-' || !fixed_digits(s, n, &j, 2, &mo) ||
	    j >= n || s[j++] != '-' || !fixed_digits(s, n, &j, 2, &c->day) || j >= n ||
	    (s[j] != sep && !(sep == 'T' && (s[j] == 't' || s[j] == ' '))))
		return false;
	j++;
	if (mo < 1 || mo > 12 || c->day < 1 || c->day > 31 || !clock_into(s, n, &j, c))
		return false;
	c->mon = mo - 1;
	*i = j;
	return true;
}

/* A numeric zone "+hh:mm", "+hhmm" or "+hh" at s[*i] (seconds east of UTC). */
static bool zone_offset(const char *s, size_t n, size_t *i, int *off)
{
	size_t j = *i;
	if (j >= n || (s[j] != '+' && s[j] != '-'))
		return false;
	int sign = s[j++] == '-' ? -1 : 1, oh, om = 0;
	if (!fixed_digits(s, n, &j, 2, &oh) || oh > 23)
		return false;
	size_t k = j + (j < n && s[j] == ':');
	if (fixed_digits(s, n, &k, 2, &om)) {
		if (om > 59)
			return false;
		j = k;
	}
	*off = sign * (oh * 3600 + om * 60);
	*i = j;
	return true;
}

static void when_utc(struct when *w, int year, int off)
{
	const struct classic *c = &w->c;
	int64_t t = days_from_civil(year, (unsigned)c->mon + 1, (unsigned)c->day) * 86400 + c->hour * 3600 +
		    c->min * 60 + c->sec - off;
	w->kind = WHEN_UTC;
	w->us = t * US_PER_S + c->us;
}

/* RFC 3339 with or without its zone ("2025-05-11T12:13:18", a log viewer's export: local
 * time), or with a space for the 'T' ("2025-05-11 12:13:18"). */
static bool iso_time(const char *s, size_t n, size_t *i, struct when *w)
{
	size_t j = *i;
	int year, off;
	if (!date_clock(s, n, &j, 'T', &year, &w->c))
		return false;
	if (j < n && (s[j] == 'Z' || s[j] == 'z')) {
		j++;
		when_utc(w, year, 0);
	} else if (zone_offset(s, n, &j, &off)) {
		when_utc(w, year, off);
	} else {
		w->kind = WHEN_LOCAL;
		w->year = year;
	}
	*i = j;
	return true;
}

/* "1795974712.304533" (journalctl -o short-unix): seconds since the epoch and a fraction. */
static bool epoch_time(const char *s, size_t n, size_t *i, struct when *w)
{
	size_t j = *i;
	int64_t v = 0;
	while (j < n && is_digit(s[j]) && j - *i < 12)
		v = v * 10 + (s[j++] - '0');
	if (j - *i < 9 || j + 1 >= n || s[j] != '.' || !is_digit(s[j + 1]))
		return false;
	int us = fraction_us(s, n, &j);
	w->kind = WHEN_UTC;
	w->us = v * US_PER_S + us;
	*i = j;
	return true;
}

/* Android logcat's "MM-DD hh:mm:ss.mmm": no year, as in classic syslog. */
static bool logcat_time(const char *s, size_t n, size_t *i, struct when *w)
{
	size_t j = *i;
	int mo;
	if (!fixed_digits(s, n, &j, 2, &mo) || j >= n || s[j++] != '-' || !fixed_digits(s, n, &j, 2, &w->c.day) ||
	    j >= n || s[j++] != ' ' || mo < 1 || mo > 12 || w->c.day < 1 || w->c.day > 31 ||
	    !clock_into(s, n, &j, &w->c))
		return false;
	w->c.mon = mo - 1;
	w->kind = WHEN_NO_YEAR;
	*i = j;
	return true;
}

/* "Sat " as date(1), ctime and journalctl print a weekday. */
static bool weekday(const char *s, size_t n, size_t i)
{
	static const char days[][3] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	if (n - i < 5 || s[i + 3] != ' ')
		return false;
	for (size_t k = 0; k < 7; k++)
		if (memcmp(s + i, days[k], 3) == 0)
			return true;
	return false;
}

/* After a weekday: "Nov 29 17:51:52 2025" (ctime, OpenWrt's logread; local time), or
 * "2026-11-29 17:51:52 UTC" (journalctl -o short-full: UTC and GMT as such, a numeric zone,
 * any other zone name is the local one). */
static bool weekday_time(const char *s, size_t n, size_t *i, struct when *w)
{
	size_t j = *i + 4;
	int year, off;
	if (parse_classic(s, n, &j, &w->c)) {
		if (j >= n || s[j++] != ' ' || !fixed_digits(s, n, &j, 4, &year))
			return false;
		w->kind = WHEN_LOCAL;
		w->year = year;
	} else if (date_clock(s, n, &j, ' ', &year, &w->c) && j < n && s[j] == ' ') {
		size_t z = ++j;
		if (zone_offset(s, n, &j, &off)) {
			when_utc(w, year, off);
		} else {
			while (j < n && j - z < 8 && ((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z')))
				j++;
			if (j == z)
				return false;
			struct swl_str zone = { s + z, j - z };
			if (swl_str_eqc(zone, "UTC") || swl_str_eqc(zone, "GMT")) {
				when_utc(w, year, 0);
			} else {
				w->kind = WHEN_LOCAL;
				w->year = year;
			}
		}
	} else {
		return false;
	}
	*i = j;
	return true;
}

/* A time at s[*i] in one of the layouts above, or a classic one (which the header forms
 * turned down for what follows it, a tab say). *logcat: it was logcat's. */
static bool other_time(const char *s, size_t n, size_t *i, struct when *w, bool *logcat)
{
	size_t j = *i;
	*logcat = false;
	if (j >= n)
		return false;
	if (is_digit(s[j])) {
		if (iso_time(s, n, &j, w) || epoch_time(s, n, &j, w))
			goto found;
		if (logcat_time(s, n, &j, w)) {
			*logcat = true;
			goto found;
		}
		if (!clock_into(s, n, &j, &w->c))
			return false;
		w->kind = WHEN_TIME_OF_DAY;
		goto found;
	}
	if (weekday(s, n, j) && weekday_time(s, n, &j, w))
		goto found;
	if (!parse_classic(s, n, &j, &w->c))
		return false;
	w->kind = WHEN_NO_YEAR;
found:
	*i = j;
	return true;
}

/* A logcat priority letter: verbose, debug, info, warning, error, fatal, assert. */
static bool is_logcat_level(char c)
{
	return c == 'V' || c == 'D' || c == 'I' || c == 'W' || c == 'E' || c == 'F' || c == 'A';
}

/* Android logcat's tag "L/tag( pid): " (brief and time formats; "L/tag: " without a pid). */
static bool logcat_tag(const char *s, size_t n, size_t i, struct swl_event *ev, size_t *msg_at)
{
	if (n - i < 4 || !is_logcat_level(s[i]) || s[i + 1] != '/')
		return false;
	size_t t0 = i + 2, j = t0;
	while (j < n && s[j] != '(' && s[j] != ':')
		j++;
	size_t t1 = j;
	while (t1 > t0 && s[t1 - 1] == ' ')
		t1--;
	if (j >= n || t1 == t0)
		return false;
	long pid = -1;
	if (s[j] == '(') {
		for (j++; j < n && s[j] == ' '; j++)
			;
		size_t d0 = j;
		while (j < n && is_digit(s[j]))
			j++;
		if (j == d0 || j + 1 >= n || s[j] != ')' || s[j + 1] != ':')
			return false;
		pid = swl_pid_parse((struct swl_str){ s + d0, j - d0 });
		j++;
	}
	j++; /* the colon */
	if (j < n && s[j] == ' ')
		j++;
	ev->program = (struct swl_str){ s + t0, t1 - t0 };
	ev->pid = pid;
	*msg_at = j;
	return true;
}

/* After a logcat time: "  1234  1250 I tag     : msg" (threadtime: pid, thread id, level), or
 * "I/tag( 1234): msg" (the time format). */
static int logcat_who(const char *s, size_t n, size_t i, struct swl_event *ev)
{
	size_t m;
	if (logcat_tag(s, n, i, ev, &m)) {
		ev->msg = (struct swl_str){ s + m, n - m };
		return 0;
	}
	size_t p0 = i, j = i;
	while (j < n && is_digit(s[j]))
		j++;
	struct swl_str pid = { s + p0, j - p0 };
	size_t t = j;
	while (t < n && s[t] == ' ')
		t++;
	size_t tid = t;
	while (t < n && is_digit(s[t]))
		t++;
	if (pid.n == 0 || tid == j || t == tid || n - t < 4 || s[t] != ' ' || !is_logcat_level(s[t + 1]) ||
	    s[t + 2] != ' ')
		return -EINVAL;
	size_t t0 = t + 3, e = t0;
	while (e < n && s[e] != ':')
		e++;
	size_t t1 = e;
	while (t1 > t0 && s[t1 - 1] == ' ')
		t1--;
	if (e >= n || t1 == t0)
		return -EINVAL;
	e++;
	if (e < n && s[e] == ' ')
		e++;
	ev->program = (struct swl_str){ s + t0, t1 - t0 };
	ev->pid = swl_pid_parse(pid);
	ev->msg = (struct swl_str){ s + e, n - e };
	return 0;
}

/* A column's "name", "name[pid]" or either with a colon, ending at e: the program. */
static bool column_tag(const char *s, size_t e, size_t i, struct swl_event *ev)
{
	size_t j = i;
	while (j < e && s[j] != '[' && s[j] != ':' && s[j] != ' ')
		j++;
	if (j == i)
		return false;
	long pid = -1;
	size_t k = j;
	if (k < e && s[k] == '[') {
		k = bracket_pid(s, e, k, &pid);
		if (k == 0)
			return false;
	}
	if (k < e && s[k] == ':')
		k++;
	if (k != e)
		return false;
	ev->program = (struct swl_str){ s + i, j - i };
	ev->pid = pid;
	return true;
}

/* Words log viewers print for a syslog severity. */
static bool is_severity(struct swl_str w)
{
	static const char *const words[] = { "Emergency", "Alert",  "Critical", "Error", "Warning",
					     "Notice",    "Informational", "Info", "Debug", "emerg",
					     "alert",     "crit",   "err",      "error", "warning",
					     "warn",      "notice", "info",     "debug" };
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (swl_str_eqc(w, words[k]))
			return true;
	return false;
}

/* The end of the tab-separated column at s[i]: its tab, or n. */
static size_t column_end(const char *s, size_t n, size_t i)
{
	const char *t = memchr(s + i, '\t', n - i);
	return t ? (size_t)(t - s) : n;
}

/* Tab-separated columns after a time, as log viewers export them ("time<TAB>Informational
 * <TAB>charon<TAB>15[IKE] msg"): a severity word is skipped; the message is the column that
 * starts with charon's marker (within the next three), the column before it the program and
 * one before that the host; without a marker, the message follows the program's column. */
static int columns(const char *s, size_t n, size_t i, struct swl_event *ev)
{
	size_t e = column_end(s, n, i);
	if (e < n && is_severity((struct swl_str){ s + i, e - i })) {
		i = e + 1;
		e = column_end(s, n, i);
	}
	size_t col[3] = { i }, k = 0, msg = n;
	for (;;) {
		if (may_be_marker(s + col[k], n - col[k]) && charon_marker(s + col[k], n - col[k])) {
			msg = col[k];
			break;
		}
		e = column_end(s, n, col[k]);
		if (e >= n || k == 2)
			break;
		col[++k] = e + 1;
	}
	if (msg == n) { /* no marker: program, then the message */
		e = column_end(s, n, i);
		if (e >= n || !column_tag(s, e, i, ev))
			return -EINVAL;
		ev->msg = (struct swl_str){ s + e + 1, n - e - 1 };
		return 0;
	}
	if (k >= 1 && !column_tag(s, col[k] - 1, col[k - 1], ev))
		return -EINVAL;
	if (k >= 2)
		ev->host = (struct swl_str){ s + col[0], col[1] - 1 - col[0] };
	ev->msg = (struct swl_str){ s + msg, n - msg };
	return 0;
}

/* OpenWrt's logread prints "daemon.info " between the time and the tag: the facility's
 * number, or -1. *i moves past the word and its space. */
static int facility_word(const char *s, size_t n, size_t *i)
{
	static const struct {
		const char *name;
		int facility;
	} facilities[] = { { "kern", 0 },   { "user", 1 },     { "mail", 2 },     { "daemon", 3 },  { "auth", 4 },
			   { "syslog", 5 }, { "lpr", 6 },      { "news", 7 },     { "uucp", 8 },    { "cron", 9 },
			   { "authpriv", 10 }, { "ftp", 11 }, { "ntp", 12 },     { "security", 13 }, { "console", 14 },
			   { "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 }, { "local4", 20 },
			   { "local5", 21 }, { "local6", 22 }, { "local7", 23 } };
	static const char *const levels[] = { "emerg", "panic", "alert", "crit",   "err",  "error",
					      "warn",  "warning", "notice", "info", "debug" };
	size_t dot = *i;
	while (dot < n && dot - *i < 9 && s[dot] >= 'a' && s[dot] <= 'z')
		dot++;
	while (dot < n && dot - *i < 9 && is_digit(s[dot]))
		dot++;
	if (dot >= n || s[dot] != '.')
		return -1;
	size_t end = dot + 1;
	while (end < n && s[end] >= 'a' && s[end] <= 'z')
		end++;
	if (end >= n || s[end] != ' ')
		return -1;
	struct swl_str fac = { s + *i, dot - *i }, lvl = { s + dot + 1, end - dot - 1 };
	bool level = false;
	for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++)
		level |= swl_str_eqc(lvl, levels[k]);
	for (size_t k = 0; level && k < sizeof(facilities) / sizeof(facilities[0]); k++) {
		if (swl_str_eqc(fac, facilities[k].name)) {
			*i = end + 1;
			return facilities[k].facility;
		}
	}
	return -1;
}

/* What follows a time of these layouts, from s[i] (spaces or tabs first). */
static int after_other_time(const char *s, size_t n, size_t i, bool logcat, struct swl_event *ev, int *facility)
{
	size_t j = i;
	bool tab = false;
	for (; j < n && (s[j] == ' ' || s[j] == '\t'); j++)
		tab |= s[j] == '\t';
	if (j == i || j >= n)
		return -EINVAL;
	if (logcat)
		return logcat_who(s, n, j, ev);
	if (tab)
		return columns(s, n, j, ev);
	*facility = facility_word(s, n, &j);
	return after_space_other(s, n, j, ev);
}

/* Where charon's marker starts in s[from..n): at from or after a space or tab. */
static size_t find_marker(const char *s, size_t n, size_t from)
{
	for (size_t k = from; k < n;) {
		const char *b = memchr(s + k, '[', n - k);
		if (!b)
			break;
		size_t at = (size_t)(b - s), d = at;
		k = at + 1;
		while (d > from && is_digit(s[d - 1]))
			d--;
		if (d > from && s[d - 1] != ' ' && s[d - 1] != '\t')
			continue;
		if (at - d != 1 && charon_marker(s + d, n - d))
			return d;
	}
	return n;
}

/* A line with charon's marker at s[m] and no header: what stands before it, from s[i], gives
 * the host and pid when it is a tag ("prog[pid]: ", "host prog: ", logcat's "I/tag( pid): ")
 * that ends right at the marker. */
static void before_marker(const char *s, size_t i, size_t m, struct swl_event *ev)
{
	struct swl_event who;
	size_t at;
	/* the parts the tag parsers may leave unset when they turn a tag down */
	who.time_us = 0;
	who.nfields = 0;
	who.host = SWL_STR_NULL;
	who.program = SWL_STR_NULL;
	who.msg = SWL_STR_NULL;
	who.pid = -1;
	if (logcat_tag(s, m, i, &who, &at) && at == m) {
		ev->pid = who.pid;
		return;
	}
	if (m > i && after_space_other(s, m, i, &who) == 0 && who.program.p && who.msg.n == 0) {
		ev->host = who.host;
		ev->pid = who.pid;
	}
}

static inline void clear_event(struct swl_event *ev)
{
	ev->time_us = 0;
	ev->host = SWL_STR_NULL;
	ev->program = SWL_STR_NULL;
	ev->pid = -1;
	ev->msg = SWL_STR_NULL;
	ev->nfields = 0;
}

/* A line the header forms turned down. Cold: out of the way of parse_header's callers. */
static __attribute__((noinline, cold)) int parse_other(struct swl_parser *ps, const char *s, size_t n,
						      struct swl_event *ev)
{
	int pri = -1, facility = -1;
	size_t i = skip_pri(s, n, &pri);
	struct when w = { .kind = WHEN_NONE };
	bool logcat;
	clear_event(ev);
	if (other_time(s, n, &i, &w, &logcat) && after_other_time(s, n, i, logcat, ev, &facility) == 0) {
		if (pri >= 0)
			facility = pri >> 3;
	} else {
		/* no header: charon's marker, anywhere after the time if there was one */
		clear_event(ev);
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t m = find_marker(s, n, i);
		if (m == n)
			return -EINVAL;
		before_marker(s, i, m, ev);
		ev->program = swl_str_c("charon");
		ev->msg = (struct swl_str){ s + m, n - m };
		facility = pri >= 0 ? pri >> 3 : -1;
	}
	ev->time_us = when_us(ps, &w);
	if (ev->time_us)
		ps->last_us = ev->time_us;
	if (facility >= 0)
		swl_event_add_field(ev, "SYSLOG_FACILITY", swl_str_c(facility_names[facility]));
	return 0;
}

/* Spaces, tabs and CRs that end a line are nobody's message: a pasted line, a CRLF file, a
 * relay's padding. */
static inline bool trailing_blank(char c)
{
	return (unsigned char)c <= ' ' && (c == ' ' || c == '\t' || c == '\r');
}

/* A message of another program that may start with charon's marker: then it is charon's line,
 * whatever the program's name. Out of line: few messages start with digits or "[A". */
static __attribute__((noinline)) void take_marker(struct swl_event *ev)
{
	if (!charon_marker(ev->msg.p, ev->msg.n))
		return;
	ev->program = swl_str_c("charon");
	swl_parse_charon_prefix(ev);
}

int swl_parse_line(struct swl_parser *ps, const char *line, size_t len, struct swl_event *ev)
{
	/* Only the scalars: the field array is 2 KiB and nfields bounds what is read of it. */
	clear_event(ev);
	if (!line)
		len = 0;
	while (len && trailing_blank(line[len - 1]))
		len--;
	int r = line ? parse_header(ps, line, len, ev) : -EINVAL;
	if (r < 0 && line)
		r = parse_other(ps, line, len, ev);
	if (r < 0) {
		clear_event(ev);
		ev->msg = (struct swl_str){ line, len };
		return -EINVAL;
	}
	if (swl_is_charon(ev->program))
		swl_parse_charon_prefix(ev);
	else if (may_be_marker(ev->msg.p, ev->msg.n))
		take_marker(ev);
	return 0;
}
