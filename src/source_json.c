/* source_json.c - `journalctl -o json` saved to a file, as journal entries (see source_json.h). */
#include "source_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lines.h"
#include "parse_fields.h"
#include "source.h"

/* ---- one line of JSON ---- */

/* A line being decoded: s[i..n) is left to read, out[0..used) holds what was decoded. Every
 * decoded byte stands for at least one byte read, so out never needs more than n bytes. */
struct json {
	const char *s;
	size_t n, i;
	char *out;
	size_t used;
	struct swl_field *fields;
	struct swl_fields_kept kept;
};

static void skip_ws(struct json *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\r' || j->s[j->i] == '\n'))
		j->i++;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Four hex digits at s[i], or -1. */
static long hex4(const struct json *j)
{
	if (j->n - j->i < 4)
		return -1;
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		char c = j->s[j->i + k];
		int d = is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static void put_utf8(struct json *j, unsigned long cp)
{
	char *o = j->out + j->used;
	if (cp < 0x80) {
		o[0] = (char)cp;
		j->used += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		j->used += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		j->used += 3;
	} else {
		o[0] = (char)(0xF0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		j->used += 4;
	}
}

/* "\uXXXX" after the backslash and 'u': a surrogate pair is one code point, a lone surrogate
 * becomes U+FFFD. */
static bool unicode_escape(struct json *j)
{
	long cp = hex4(j);
	if (cp < 0)
		return false;
	j->i += 4;
	if (cp >= 0xD800 && cp < 0xDC00 && j->n - j->i >= 6 && j->s[j->i] == '\\' && j->s[j->i + 1] == 'u') {
		j->i += 2;
		long lo = hex4(j);
		if (lo >= 0xDC00 && lo < 0xE000) {
			j->i += 4;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else {
			j->i -= 2; /* not the low half: the next escape is read on its own */
			cp = 0xFFFD;
		}
	} else if (cp >= 0xD800 && cp < 0xE000) {
		cp = 0xFFFD;
	}
	put_utf8(j, (unsigned long)cp);
	return true;
}

/* A string at s[i] == '"', decoded: *v is its slice of out. */
static bool string(struct json *j, struct swl_str *v)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return false;
	j->i++;
	size_t start = j->used;
	while (j->i < j->n) {
		char c = j->s[j->i++];
		if (c == '"') {
			*v = (struct swl_str){ j->out + start, j->used - start };
			return true;
		}
		if (c != '\\') {
			j->out[j->used++] = c;
			continue;
		}
		if (j->i >= j->n)
			return false;
		c = j->s[j->i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (!unicode_escape(j))
				return false;
			continue;
		default:
			return false;
		}
		j->out[j->used++] = c;
	}
	return false;
}

/* A number at s[i], as written: *v is a copy of its text. */
static bool number(struct json *j, struct swl_str *v)
{
	size_t start = j->i;
	while (j->i < j->n && (is_digit(j->s[j->i]) || j->s[j->i] == '-' || j->s[j->i] == '+' || j->s[j->i] == '.' ||
			       j->s[j->i] == 'e' || j->s[j->i] == 'E'))
		j->i++;
	if (j->i == start)
		return false;
	memcpy(j->out + j->used, j->s + start, j->i - start);
	*v = (struct swl_str){ j->out + j->used, j->i - start };
	j->used += j->i - start;
	return true;
}

/* An array of byte values at s[i] == '[' ("[104,105]"): *v is the bytes. */
static bool bytes(struct json *j, struct swl_str *v)
{
	size_t start = j->used;
	j->i++;
	skip_ws(j);
	if (j->i < j->n && j->s[j->i] == ']') {
		j->i++;
		*v = (struct swl_str){ j->out + start, 0 };
		return true;
	}
	for (;;) {
		skip_ws(j);
		unsigned b = 0;
		size_t d0 = j->i;
		while (j->i < j->n && is_digit(j->s[j->i]) && j->i - d0 < 3)
			b = b * 10 + (unsigned)(j->s[j->i++] - '0');
		if (j->i == d0 || b > 255)
			return false;
		j->out[j->used++] = (char)b;
		skip_ws(j);
		if (j->i >= j->n)
			return false;
		char c = j->s[j->i++];
		if (c == ']')
			break;
		if (c != ',')
			return false;
	}
	*v = (struct swl_str){ j->out + start, j->used - start };
	return true;
}

static void add(struct json *j, struct swl_str name, struct swl_str value)
{
	if (swl_fields_keep(&j->kept, name))
		j->fields[j->kept.n - 1] = (struct swl_field){ name, value };
}

/* The literal word at s[i], if it is w. */
static bool word(struct json *j, const char *w)
{
	size_t n = strlen(w);
	if (j->n - j->i < n || memcmp(j->s + j->i, w, n) != 0)
		return false;
	j->i += n;
	return true;
}

/* A value of field name at s[i]; within a field's array of values (nested) only strings,
 * byte arrays and null. */
static bool value(struct json *j, struct swl_str name, bool nested)
{
	struct swl_str v;
	skip_ws(j);
	if (j->i >= j->n)
		return false;
	char c = j->s[j->i];
	if (c == '"') {
		if (!string(j, &v))
			return false;
	} else if (word(j, "null")) {
		return true;
	} else if (c == '[') {
		size_t at = j->i + 1;
		while (at < j->n && (j->s[at] == ' ' || j->s[at] == '\t'))
			at++;
		if (nested || (at < j->n && (is_digit(j->s[at]) || j->s[at] == ']'))) {
			if (!bytes(j, &v))
				return false;
		} else {
			j->i++; /* several values of one field */
			for (;;) {
				if (!value(j, name, true))
					return false;
				skip_ws(j);
				if (j->i >= j->n)
					return false;
				c = j->s[j->i++];
				if (c == ']')
					return true;
				if (c != ',')
					return false;
			}
		}
	} else if (!nested && word(j, "true")) {
		v = swl_str_c("true");
	} else if (!nested && word(j, "false")) {
		v = swl_str_c("false");
	} else if (nested || !number(j, &v)) {
		return false;
	}
	add(j, name, v);
	return true;
}

int swl_json_fields(const char *line, size_t len, char *buf, struct swl_field *fields)
{
	struct json j = { .s = line, .n = len, .out = buf, .fields = fields };
	skip_ws(&j);
	if (j.i < j.n && j.s[j.i] == '\x1e') { /* json-seq's record separator */
		j.i++;
		skip_ws(&j);
	}
	if (j.i >= j.n || j.s[j.i++] != '{')
		return -EBADMSG;
	skip_ws(&j);
	if (j.i < j.n && j.s[j.i] == '}') {
		j.i++;
	} else {
		for (;;) {
			struct swl_str name;
			skip_ws(&j);
			if (!string(&j, &name))
				return -EBADMSG;
			skip_ws(&j);
			if (j.i >= j.n || j.s[j.i++] != ':' || !value(&j, name, false))
				return -EBADMSG;
			skip_ws(&j);
			if (j.i >= j.n)
				return -EBADMSG;
			char c = j.s[j.i++];
			if (c == '}')
				break;
			if (c != ',')
				return -EBADMSG;
		}
	}
	skip_ws(&j);
	return j.i == j.n ? (int)j.kept.n : -EBADMSG;
}

/* ---- the source ---- */

struct json_source {
	struct swl_source s;
	const struct swl_source_conf *c;
	struct swl_pipeline *p;
	struct swl_lines *l;
	char *buf;           /* decoded names and values of the current line */
	size_t cap;
	size_t lineno;
	bool reported;       /* a line that is no entry was reported */
	struct swl_field fields[SWL_FIELDS_ROOM];
};

/* The first line that is not blank, of a file (plain or gzip): a JSON object with a field
 * every journal entry in journalctl's output has. */
static bool json_claims(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return false;
	struct swl_lines *l;
	if (swl_lines_open(path, SWL_DEFAULT_MAX_LINE, &l) < 0)
		return false;
	const char *line;
	size_t len;
	bool over, yes = false;
	while (swl_lines_next(l, &line, &len, &over) > 0) {
		size_t i = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i == len)
			continue;
		if (line[i] == '{' || line[i] == '\x1e') {
			char *buf = swl_xcalloc(1, len);
			struct swl_field fields[SWL_FIELDS_ROOM];
			int n = swl_json_fields(line, len, buf, fields);
			for (int k = 0; k < n && !yes; k++)
				yes = swl_str_eqc(fields[k].name, "MESSAGE") || swl_str_eqc(fields[k].name, "__CURSOR") ||
				      swl_str_eqc(fields[k].name, "__REALTIME_TIMESTAMP");
			free(buf);
		}
		break;
	}
	swl_lines_close(l);
	return yes;
}

static struct swl_source *json_create(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	struct json_source *js = swl_xcalloc(1, sizeof(*js));
	js->s = (struct swl_source){ .fd = -1 };
	js->c = c;
	js->p = p;
	return &js->s;
}

static int json_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct json_source *js = (struct json_source *)s;
	(void)saved;
	int r = swl_lines_open(js->c->paths[0], js->c->max_line, &js->l);
	if (r < 0)
		swl_errf(err, "%s: %s", js->c->paths[0], strerror(-r));
	return r;
}

static int json_read(struct swl_source *s, size_t max, struct swl_source_read *rd)
{
	struct json_source *js = (struct json_source *)s;
	struct swl_event ev;
	const char *line;
	size_t len, n = 0;
	bool over;
	int r = 1;
	while (n < max && (r = swl_lines_next(js->l, &line, &len, &over)) > 0) {
		js->lineno++;
		size_t blank = 0;
		while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
			blank++;
		if (blank == len)
			continue; /* no entry */
		if (len > js->cap) {
			free(js->buf);
			js->cap = len;
			js->buf = swl_xcalloc(1, len);
		}
		int k = swl_json_fields(line, len, js->buf, js->fields);
		if (k < 0) {
			if (!js->reported)
				fprintf(stderr, "swanlog: %s:%zu: not a journal entry in JSON%s (counted as unparsed)\n",
					js->c->paths[0], js->lineno, over ? ", cut at the maximum line length" : "");
			js->reported = true;
			swl_pipeline_unwanted(js->p, 0, 1, false, over);
		} else {
			swl_event_from_fields(&ev, js->fields, (size_t)k, 0);
			swl_pipeline_event(js->p, &ev);
		}
		n++;
	}
	rd->entries = n;
	rd->more = n == max;
	rd->ended = r <= 0;
	return r < 0 ? r : 0;
}

static void json_close(struct swl_source *s)
{
	struct json_source *js = (struct json_source *)s;
	swl_lines_close(js->l);
	free(js->buf);
	free(js);
}

const struct swl_source_type swl_source_json = {
	.name = "journal JSON",
	.claims = json_claims,
	.create = json_create,
	.start = json_start,
	.read = json_read,
	.close = json_close,
};
