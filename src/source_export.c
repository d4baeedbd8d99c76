/* source_export.c - the journal export format as journal entries (see source_export.h). */
#include "source_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lines.h"
#include "parse_fields.h"
#include "source.h"

/* Where a copied field lives in data: offsets, since the buffer may move while filling. */
struct span {
	size_t name, name_len, value, value_len;
};

struct swl_export {
	struct swl_lines *l;
	size_t max_value;
	char *data;          /* the current entry's fields, copied */
	size_t cap, used;
	struct span spans[SWL_FIELDS_ROOM];
	struct swl_field fields[SWL_FIELDS_ROOM];
	size_t lineno, bad, first_bad;
	bool ended;
	int err;             /* a read error, returned once the entry before it is delivered */
};

/* A field name as the journal writes them: capitals, digits and '_', not a digit first, at
 * most 64 bytes. (journald refuses others, so nothing else is an exported field.) */
static bool field_name(const char *p, size_t n)
{
	if (n == 0 || n > 64 || (p[0] >= '0' && p[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

int swl_export_open(const char *path, size_t max_line, struct swl_export **out)
{
	*out = NULL;
	struct swl_lines *l;
	int r = swl_lines_open(path, max_line, &l);
	if (r < 0)
		return r;
	struct swl_export *x = swl_xcalloc(1, sizeof(*x));
	x->l = l;
	x->max_value = max_line ? max_line : SWL_DEFAULT_MAX_LINE;
	*out = x;
	return 0;
}

/* Room for n more bytes in data. */
static char *room(struct swl_export *x, size_t n)
{
	if (x->used + n > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		while (cap < x->used + n)
			cap *= 2;
		x->data = swl_xrealloc(x->data, cap);
		x->cap = cap;
	}
	return x->data + x->used;
}

/* Keep name=value (value may be NULL: filled by the caller, value_len bytes) if there is room. */
static struct span *keep(struct swl_export *x, struct swl_fields_kept *k, const char *name, size_t name_len,
			 const char *value, size_t value_len)
{
	if (!swl_fields_keep(k, (struct swl_str){ name, name_len }))
		return NULL;
	struct span *s = &x->spans[k->n - 1];
	char *p = room(x, name_len + value_len);
	memcpy(p, name, name_len);
	if (value)
		memcpy(p + name_len, value, value_len);
	*s = (struct span){ x->used, name_len, x->used + name_len, value_len };
	x->used += name_len + value_len;
	return s;
}

static void note_bad(struct swl_export *x)
{
	if (!x->bad++)
		x->first_bad = x->lineno;
}

/* Skip n bytes; false at the end of the input. */
static int skip(struct swl_export *x, uint64_t n)
{
	while (n) {
		size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
		ssize_t r = swl_lines_read(x->l, NULL, chunk);
		if (r < 0)
			return (int)r;
		if ((size_t)r < chunk)
			return 0;
		n -= chunk;
	}
	return 1;
}

/* A binary field after its name's line: length, value (cut at max_value), newline.
 * Returns 1, 0 when the input ends inside it, or a negative errno. */
static int binary_field(struct swl_export *x, struct swl_fields_kept *k, const char *name, size_t name_len)
{
	unsigned char le[8];
	ssize_t r = swl_lines_read(x->l, le, sizeof(le));
	if (r < 0)
		return (int)r;
	if (r < (ssize_t)sizeof(le))
		return 0;
	uint64_t size = 0;
	for (int i = 7; i >= 0; i--)
		size = size << 8 | le[i];
	size_t take = size < x->max_value ? (size_t)size : x->max_value;
	struct span *s = keep(x, k, name, name_len, NULL, take);
	if (s) {
		r = swl_lines_read(x->l, x->data + s->value, take);
		if (r < 0)
			return (int)r;
		if ((size_t)r < take) {
			s->value_len = (size_t)r;
			return 0;
		}
	} else {
		take = 0;
	}
	int e = skip(x, size - take);
	if (e <= 0)
		return e;
	char nl;
	r = swl_lines_read(x->l, &nl, 1);
	if (r < 0)
		return (int)r;
	if (r == 1 && nl != '\n')
		note_bad(x); /* the length was wrong: what follows is read as lines again */
	return r == 1;
}

int swl_export_next(struct swl_export *x, const struct swl_field **fields, size_t *n)
{
	struct swl_fields_kept k = { 0 };
	bool any = false;
	int r = 0;
	if (x->ended)
		return x->err;
	x->used = 0;
	for (;;) {
		const char *line;
		size_t len;
		bool over;
		r = swl_lines_next(x->l, &line, &len, &over);
		if (r <= 0)
			break;
		x->lineno++;
		if (len == 0) {
			if (any)
				break;
			continue; /* blank lines between entries */
		}
		const char *eq = memchr(line, '=', len);
		size_t name_len = eq ? (size_t)(eq - line) : len;
		if (!field_name(line, name_len)) {
			note_bad(x);
			continue;
		}
		any = true;
		if (eq) {
			keep(x, &k, line, name_len, eq + 1, len - name_len - 1);
			continue;
		}
		char name[64];
		memcpy(name, line, name_len); /* the line goes when the value is read */
		r = binary_field(x, &k, name, name_len);
		if (r <= 0)
			break; /* the input ends inside the value */
	}
	if (r <= 0) {
		x->ended = true;
		x->err = r;
		if (!any)
			return r;
	}
	for (size_t i = 0; i < k.n; i++) {
		const struct span *s = &x->spans[i];
		x->fields[i] = (struct swl_field){ { x->data + s->name, s->name_len }, { x->data + s->value, s->value_len } };
	}
	*fields = x->fields;
	*n = k.n;
	return 1;
}

size_t swl_export_bad_lines(const struct swl_export *x, size_t *first)
{
	*first = x->first_bad;
	return x->bad;
}

void swl_export_close(struct swl_export *x)
{
	if (!x)
		return;
	swl_lines_close(x->l);
	free(x->data);
	free(x);
}

bool swl_is_export_file(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return false;
	struct swl_lines *l;
	if (swl_lines_open(path, 4096, &l) < 0)
		return false;
	const char *line;
	size_t len;
	bool over;
	int fields = 0;
	for (int i = 0; i < 2 && swl_lines_next(l, &line, &len, &over) > 0; i++) {
		const char *eq = memchr(line, '=', len);
		/* the first is text ("__CURSOR=" in journalctl's output), the second may be binary */
		if (!field_name(line, eq ? (size_t)(eq - line) : (i ? len : 0)))
			break;
		fields++;
	}
	swl_lines_close(l);
	return fields == 2;
}

/* ---- the source ---- */

struct export_source {
	struct swl_source s;
	const struct swl_source_conf *c;
	struct swl_pipeline *p;
	struct swl_export *x;
};

static struct swl_source *export_create(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	struct export_source *es = swl_xcalloc(1, sizeof(*es));
	es->s = (struct swl_source){ .fd = -1 };
	es->c = c;
	es->p = p;
	return &es->s;
}

static int export_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct export_source *es = (struct export_source *)s;
	(void)saved;
	int r = swl_export_open(es->c->paths[0], es->c->max_line, &es->x);
	if (r < 0)
		swl_errf(err, "%s: %s", es->c->paths[0], strerror(-r));
	return r;
}

static int export_read(struct swl_source *s, size_t max, struct swl_source_read *rd)
{
	struct export_source *es = (struct export_source *)s;
	struct swl_event ev;
	const struct swl_field *fields;
	size_t nf, n = 0;
	int r = 1;
	while (n < max && (r = swl_export_next(es->x, &fields, &nf)) > 0) {
		swl_event_from_fields(&ev, fields, nf, 0);
		swl_pipeline_event(es->p, &ev);
		n++;
	}
	rd->entries = n;
	rd->more = n == max;
	rd->ended = r <= 0;
	if (rd->ended) {
		size_t first, bad = swl_export_bad_lines(es->x, &first);
		if (bad)
			fprintf(stderr, "swanlog: %s:%zu: %zu line%s of no field of the journal export format, skipped\n",
				es->c->paths[0], first, bad, bad == 1 ? "" : "s");
	}
	return r < 0 ? r : 0;
}

static void export_close(struct swl_source *s)
{
	struct export_source *es = (struct export_source *)s;
	swl_export_close(es->x);
	free(es);
}

const struct swl_source_type swl_source_export = {
	.name = "journal export",
	.claims = swl_is_export_file,
	.create = export_create,
	.start = export_start,
	.read = export_read,
	.close = export_close,
};
