/* yaml_doc.c - parsing a YAML document, and the checks and errors its readers share. */
#include "yaml_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A second document in the text: refused, or it would be silently ignored. */
static int second_document(struct swl_yaml_doc *d, yaml_parser_t *p, const char *what)
{
	yaml_document_t next;
	if (!yaml_parser_load(p, &next)) {
		swl_err_set(d->err, d->path, (unsigned)p->problem_mark.line + 1, (unsigned)p->problem_mark.column + 1,
			    "YAML syntax error: %s", p->problem ? p->problem : "unknown");
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&next);
	int r = 0;
	if (root) {
		swl_err_set(d->err, d->path, SWL_YAML_LINE(root), SWL_YAML_COL(root),
			    "a %s is one YAML document, not several", what);
		r = -EINVAL;
	}
	yaml_document_delete(&next);
	return r;
}

/* libyaml's time grows with the square of the nesting of flow collections ([ and { inside
 * each other): 200 KB nested 100,000 deep would keep it busy for a minute. So the text is
 * first read as events, which stop at the first collection nested deeper than
 * SWL_YAML_MAX_DEPTH, before the deep part is scanned (libyaml looks ahead at most about
 * 1024 characters), and only a text within the bound is loaded as a document. all: every
 * document of the text, not only the first. */
static int check_depth(struct swl_yaml_doc *d, const char *text, size_t len, bool all)
{
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int r = 0, depth = 0;
	for (bool done = false; !done && r == 0;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev))
			break; /* the load stops there too, and says so */
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > SWL_YAML_MAX_DEPTH) {
				swl_err_set(d->err, d->path, (unsigned)ev.start_mark.line + 1,
					    (unsigned)ev.start_mark.column + 1, "nested more than %d levels deep",
					    SWL_YAML_MAX_DEPTH);
				r = -EINVAL;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_DOCUMENT_END_EVENT:
			done = !all;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return r;
}

int swl_yaml_doc_parse(struct swl_yaml_doc *d, char *text, size_t len, const char *single)
{
	d->text = text;
	int r = check_depth(d, text, len, single != NULL);
	if (r < 0)
		return r;
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &d->y)) {
		swl_err_set(d->err, d->path, (unsigned)p.problem_mark.line + 1, (unsigned)p.problem_mark.column + 1,
			    "YAML syntax error: %s%s%s", p.problem ? p.problem : "unknown", p.context ? " " : "",
			    p.context ? p.context : "");
		r = -EINVAL;
	} else {
		d->loaded = true;
		if (single)
			r = second_document(d, &p, single);
	}
	yaml_parser_delete(&p);
	return r;
}

void swl_yaml_doc_fini(struct swl_yaml_doc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->y);
	d->loaded = false;
	free(d->text);
	d->text = NULL;
}

static int failv(struct swl_yaml_doc *d, unsigned line, unsigned col, const char *fmt, va_list ap)
{
	char msg[768];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	swl_err_set(d->err, d->path, line, col, "%s", msg);
	return -EINVAL;
}

int swl_yaml_fail(struct swl_yaml_doc *d, const yaml_node_t *n, const char *fmt, ...)
{
	unsigned line = 1, col = 1;
	if (n) {
		bool quoted = n->type == YAML_SCALAR_NODE && (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
							      n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		line = SWL_YAML_LINE(n);
		col = SWL_YAML_COL(n) + (d->inside_quotes && quoted);
	}
	va_list ap;
	va_start(ap, fmt);
	int r = failv(d, line, col, fmt, ap);
	va_end(ap);
	return r;
}

int swl_yaml_fail_at(struct swl_yaml_doc *d, const yaml_node_t *n, size_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = failv(d, SWL_YAML_LINE(n), swl_yaml_scalar_col(d, n, off), fmt, ap);
	va_end(ap);
	return r;
}

/* Bytes of UTF-8 for one YAML escape after the backslash at e[0], and its length in the source. */
static size_t yaml_escape(const char *e, size_t *srclen)
{
	size_t hex = e[0] == 'x' ? 2 : e[0] == 'u' ? 4 : e[0] == 'U' ? 8 : 0;
	*srclen = 1 + hex;
	if (!hex)
		return e[0] == 'N' || e[0] == '_' ? 2 : e[0] == 'L' || e[0] == 'P' ? 3 : 1; /* U+0085 U+00A0 U+2028/9 */
	unsigned long cp = 0;
	for (size_t i = 0; i < hex && e[1 + i]; i++)
		cp = cp * 16 + (unsigned long)(e[1 + i] <= '9' ? e[1 + i] - '0' : (e[1 + i] | 0x20) - 'a' + 10);
	return hex == 2 || cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* Walks the source, undoing quoting ('' in single quotes, backslash escapes in double quotes). */
unsigned swl_yaml_scalar_col(const struct swl_yaml_doc *d, const yaml_node_t *n, size_t off)
{
	enum yaml_scalar_style_e style = n->data.scalar.style;
	bool sq = style == YAML_SINGLE_QUOTED_SCALAR_STYLE, dq = style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (!d->text || (!sq && !dq && style != YAML_PLAIN_SCALAR_STYLE))
		return SWL_YAML_COL(n);
	const char *src = d->text + n->start_mark.index + (sq || dq), *end = d->text + n->end_mark.index;
	unsigned col = SWL_YAML_COL(n) + (sq || dq);
	for (size_t got = 0; got < off && src < end;) {
		size_t slen = 1, dlen = 1, cols = 1; /* source bytes, value bytes, source columns */
		unsigned char c = (unsigned char)*src;
		if (c == '\n' || c == '\r')
			return SWL_YAML_COL(n);
		if (sq && c == '\'' && src + 1 < end && src[1] == '\'') {
			slen = cols = 2;
		} else if (dq && c == '\\' && src + 1 < end) {
			dlen = yaml_escape(src + 1, &slen);
			cols = ++slen;
		} else if (c >= 0xC0) {
			slen = dlen = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		}
		got += dlen;
		src += slen;
		col += (unsigned)cols;
	}
	return col;
}

int swl_yaml_string(struct swl_yaml_doc *d, const yaml_node_t *n, const char *what, const char **out)
{
	*out = "";
	if (!swl_yaml_scalar(n))
		return swl_yaml_fail(d, n, "%s must be a string", what);
	*out = swl_yaml_scalar(n);
	return 0;
}

int swl_yaml_uint(struct swl_yaml_doc *d, const yaml_node_t *n, const char *what, unsigned long long max,
		  unsigned long long *out)
{
	const char *s = swl_yaml_scalar(n);
	char *end;
	errno = 0;
	unsigned long long v = s && *s && *s != '-' ? strtoull(s, &end, 10) : 0;
	if (!s || !*s || *s == '-' || errno || *end || v > max)
		return swl_yaml_fail(d, n, "%s must be a whole number from 0 to %llu", what, max);
	*out = v;
	return 0;
}

int swl_yaml_check_key(struct swl_yaml_doc *d, const yaml_node_t *k, const char *const *allowed, const char *where)
{
	const char *s = swl_yaml_scalar(k);
	if (!s)
		return swl_yaml_fail(d, k, "keys of %s must be strings", where);
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(s, allowed[i]) == 0)
			return 0;
	char list[256] = "";
	for (size_t i = 0; allowed[i]; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, allowed[i], sizeof(list) - strlen(list) - 1);
	}
	return swl_yaml_fail(d, k, "unknown key '%s' in %s (expected one of: %s)", s, where, list);
}

int swl_yaml_check_keys(struct swl_yaml_doc *d, const yaml_node_t *map, const char *const *allowed, const char *where)
{
	SWL_YAML_MAP_FOR(map, pair) {
		yaml_node_t *k = swl_yaml_node(d, pair->key);
		const char *s = swl_yaml_scalar(k);
		if (!s)
			return swl_yaml_fail(d, k, "keys of %s must be strings", where);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
			const char *qs = swl_yaml_scalar(swl_yaml_node(d, q->key));
			if (qs && strcmp(qs, s) == 0)
				return swl_yaml_fail(d, k, "duplicate key '%s' in %s", s, where);
		}
		int r = allowed ? swl_yaml_check_key(d, k, allowed, where) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* Nodes are stored in document order: the first of two keys is the one named. */
int swl_yaml_check_duplicates(struct swl_yaml_doc *d)
{
	for (yaml_node_t *n = d->y.nodes.start; n < d->y.nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		yaml_node_pair_t *start = n->data.mapping.pairs.start;
		for (yaml_node_pair_t *a = start; a < n->data.mapping.pairs.top; a++) {
			yaml_node_t *ka = swl_yaml_node(d, a->key);
			if (!swl_yaml_scalar(ka))
				continue;
			for (yaml_node_pair_t *b = start; b < a; b++) {
				yaml_node_t *kb = swl_yaml_node(d, b->key);
				if (swl_yaml_scalar(kb) && strcmp(swl_yaml_scalar(ka), swl_yaml_scalar(kb)) == 0)
					return swl_yaml_fail(d, ka,
							     "key '%s' given twice in one mapping (first at line %u)",
							     swl_yaml_scalar(ka), SWL_YAML_LINE(kb));
			}
		}
	}
	return 0;
}
