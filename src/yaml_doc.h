/* yaml_doc.h - a YAML file as one libyaml document, and errors that say path:line:col.
 *
 * What the rules loader and the web config share: parsing (libyaml's syntax errors with their
 * place), reaching nodes, typed values, and keys checked against the ones a mapping allows.
 * Every error is written to the document's err as "path:line:col: message" and returned as
 * -EINVAL. Lines and columns count from 1; columns count characters, as libyaml's marks do.
 */
#ifndef SWL_YAML_DOC_H
#define SWL_YAML_DOC_H

#include <yaml.h>

#include "util.h"

struct swl_yaml_doc {
	const char *path;    /* borrowed: the file, as errors name it */
	struct swl_err *err; /* borrowed: where errors go */
	/* An error about a quoted scalar points at its first character (true: the web config) or
	 * at its opening quote (false: the rules). */
	bool inside_quotes;
	yaml_document_t y;
	bool loaded;         /* y holds a document */
	char *text;          /* the file's text (owned), kept for columns inside scalars */
};

#define SWL_YAML_LINE(n) ((unsigned)(n)->start_mark.line + 1)
#define SWL_YAML_COL(n) ((unsigned)(n)->start_mark.column + 1)

#define SWL_YAML_MAP_FOR(map, pair) \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; pair < (map)->data.mapping.pairs.top; pair++)
#define SWL_YAML_SEQ_FOR(seq, item) \
	for (yaml_node_item_t *item = (seq)->data.sequence.items.start; item < (seq)->data.sequence.items.top; item++)

/* Collections (mappings and sequences) nested deeper than this are refused before the
 * document is loaded. */
#define SWL_YAML_MAX_DEPTH 64

/* Parse text (len bytes; the document owns it from here) as d's document. single (what the
 * file is, for the message) refuses a second document in the text; NULL ignores it.
 * Returns 0 or -EINVAL. */
int swl_yaml_doc_parse(struct swl_yaml_doc *d, char *text, size_t len, const char *single);
/* Free the document and the text (d's path and err are the caller's). */
void swl_yaml_doc_fini(struct swl_yaml_doc *d);

static inline yaml_node_t *swl_yaml_node(struct swl_yaml_doc *d, int id)
{
	return yaml_document_get_node(&d->y, id);
}

/* A scalar's value, or NULL when n is not a scalar (or NULL). */
static inline const char *swl_yaml_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static inline bool swl_yaml_is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

static inline bool swl_yaml_is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

static inline size_t swl_yaml_map_len(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static inline size_t swl_yaml_seq_len(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* An error at node n (NULL: at 1:1). Returns -EINVAL. */
int swl_yaml_fail(struct swl_yaml_doc *d, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error at byte off of scalar n's value (see swl_yaml_scalar_col). Returns -EINVAL. */
int swl_yaml_fail_at(struct swl_yaml_doc *d, const yaml_node_t *n, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The column of byte off of scalar n's value: its source is walked, undoing quoting. A value
 * folded over several lines, or a block scalar, gives the column of its start. */
unsigned swl_yaml_scalar_col(const struct swl_yaml_doc *d, const yaml_node_t *n, size_t off);

/* n's string into *out (borrowed from the document; "" on error), or "WHAT must be a string". */
int swl_yaml_string(struct swl_yaml_doc *d, const yaml_node_t *n, const char *what, const char **out);
/* n's whole number from 0 to max into *out, or an error naming what. */
int swl_yaml_uint(struct swl_yaml_doc *d, const yaml_node_t *n, const char *what, unsigned long long max,
		  unsigned long long *out);

/* Key k of a mapping in `where` (for messages): a string, one of allowed (NULL-terminated). */
int swl_yaml_check_key(struct swl_yaml_doc *d, const yaml_node_t *k, const char *const *allowed, const char *where);
/* Every key of map: a string, not given twice in it, and one of allowed (NULL: any string). */
int swl_yaml_check_keys(struct swl_yaml_doc *d, const yaml_node_t *map, const char *const *allowed, const char *where);
/* No mapping anywhere in the document gives a key twice. YAML forbids it, but libyaml does not
 * check: the second `match:` of a rule would silently win. */
int swl_yaml_check_duplicates(struct swl_yaml_doc *d);

#endif
