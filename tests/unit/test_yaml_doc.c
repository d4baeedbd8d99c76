/* test_yaml_doc.c - the YAML helpers the rules and the web config share: syntax errors, one
 * document or several, where errors point (at a node, inside quotes, into a scalar), key
 * checks and typed values. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_doc.h"

static struct swl_err err;
static struct swl_yaml_doc doc;

static int parse(const char *text, bool inside_quotes, const char *single)
{
	memset(&err, 0, sizeof(err));
	doc = (struct swl_yaml_doc){ .path = "t.yaml", .err = &err, .inside_quotes = inside_quotes };
	return swl_yaml_doc_parse(&doc, strdup(text), strlen(text), single);
}

static void fini(void)
{
	swl_yaml_doc_fini(&doc);
}

TestSuite(yaml_doc, .fini = fini);

static yaml_node_t *root(void)
{
	yaml_node_t *n = yaml_document_get_root_node(&doc.y);
	cr_assert_not_null(n);
	return n;
}

/* The value of key in mapping map (NULL when absent). */
static yaml_node_t *value_of(yaml_node_t *map, const char *key)
{
	SWL_YAML_MAP_FOR(map, pair) {
		if (strcmp(swl_yaml_scalar(swl_yaml_node(&doc, pair->key)), key) == 0)
			return swl_yaml_node(&doc, pair->value);
	}
	return NULL;
}

Test(yaml_doc, syntax_error_with_its_place)
{
	cr_assert_eq(parse("a: 1\nb: [1, 2\n", false, NULL), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while parsing "
				  "a flow sequence");
	cr_assert_not(doc.loaded);
}

Test(yaml_doc, one_document_or_the_first)
{
	cr_assert_eq(parse("a: 1\n---\nb: 2\n", false, "thing"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:3:1: a thing is one YAML document, not several");
	fini();
	cr_assert_eq(parse("a: 1\n---\nb: 2\n", false, NULL), 0, "%s", err.msg);
	cr_assert_not_null(value_of(root(), "a"));
	cr_assert_null(value_of(root(), "b"));
	fini();
	cr_assert_eq(parse("a: 1\n---\nb: [\n", false, "thing"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:4:1: YAML syntax error: did not find expected node content");
	fini();
	cr_assert_eq(parse("a: 1\n...\n", false, "thing"), 0, "the end of the one document: %s", err.msg);
}

/* depth levels of flow sequences as the value of key a, balanced or not: "a: [[...]]" */
static char *nested(size_t depth, bool closed)
{
	char *t = malloc(2 * depth + 8);
	cr_assert_not_null(t);
	char *p = t + sprintf(t, "a: ");
	memset(p, '[', depth);
	p += depth;
	if (closed) {
		memset(p, ']', depth);
		p += depth;
	}
	strcpy(p, "\n");
	return t;
}

/* 100,000 flow levels (200 KB) once kept libyaml busy for a minute: refused at once now, at
 * the first level too many, in the first document or a later one. */
Test(yaml_doc, nesting_is_bounded, .timeout = 10)
{
	char *t = nested(SWL_YAML_MAX_DEPTH - 1, true); /* with the mapping: the bound itself */
	cr_assert_eq(parse(t, false, NULL), 0, "%s", err.msg);
	free(t);
	fini();
	for (int closed = 0; closed < 2; closed++) {
		t = nested(100000, closed);
		cr_assert_eq(parse(t, false, NULL), -EINVAL);
		cr_assert_str_eq(err.msg, "t.yaml:1:67: nested more than 64 levels deep");
		cr_assert_not(doc.loaded);
		free(t);
		fini();
	}
	t = nested(100000, true);
	char *two = malloc(strlen(t) + 16);
	sprintf(two, "b: 1\n---\n%s", t);
	cr_assert_eq(parse(two, false, "thing"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:3:67: nested more than 64 levels deep");
	free(two);
	free(t);
}

Test(yaml_doc, errors_point_at_the_node_or_inside_its_quotes)
{
	const char *text = "a: 'x'\nb: \"y\"\nc: z\nd: [1]\n";
	for (int inside = 0; inside < 2; inside++) {
		cr_assert_eq(parse(text, inside, NULL), 0);
		cr_assert_eq(swl_yaml_fail(&doc, value_of(root(), "a"), "bad %s", "a"), -EINVAL);
		cr_assert_str_eq(err.msg, inside ? "t.yaml:1:5: bad a" : "t.yaml:1:4: bad a");
		swl_yaml_fail(&doc, value_of(root(), "b"), "bad b");
		cr_assert_str_eq(err.msg, inside ? "t.yaml:2:5: bad b" : "t.yaml:2:4: bad b");
		swl_yaml_fail(&doc, value_of(root(), "c"), "bad c");
		cr_assert_str_eq(err.msg, "t.yaml:3:4: bad c");
		swl_yaml_fail(&doc, value_of(root(), "d"), "bad d");
		cr_assert_str_eq(err.msg, "t.yaml:4:4: bad d");
		swl_yaml_fail(&doc, NULL, "bad file");
		cr_assert_str_eq(err.msg, "t.yaml:1:1: bad file");
		fini();
	}
}

/* Columns count source characters: quotes, '' and escapes undone, UTF-8 one column a character. */
Test(yaml_doc, columns_inside_scalars)
{
	cr_assert_eq(parse("p: ab(c\nq: 'it''s (x'\nr: \"\\t\\x41\\u00e9(\"\ns: \xc3\xa9\xc3\xa9(\n", false, NULL), 0);
	cr_assert_eq(swl_yaml_scalar_col(&doc, value_of(root(), "p"), 2), 6);
	cr_assert_eq(swl_yaml_scalar_col(&doc, value_of(root(), "q"), 5), 11, "'it''s (x': the ( after '' ");
	/* "\t\x41\u00e9(": value bytes 0 (tab), 1 (A), 2-3 (é), 4 ( */
	cr_assert_eq(swl_yaml_scalar_col(&doc, value_of(root(), "r"), 4), 17);
	cr_assert_eq(swl_yaml_scalar_col(&doc, value_of(root(), "s"), 4), 6);
	cr_assert_eq(swl_yaml_fail_at(&doc, value_of(root(), "q"), 5, "here"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:2:11: here");
}

Test(yaml_doc, a_folded_or_block_scalar_gives_its_start)
{
	cr_assert_eq(parse("p: one\n  two (\nq: |\n  x (\n", false, NULL), 0);
	cr_assert_eq(swl_yaml_scalar_col(&doc, value_of(root(), "p"), 8), 4);
	cr_assert_eq(swl_yaml_scalar_col(&doc, value_of(root(), "q"), 2), 4);
}

Test(yaml_doc, keys_against_the_allowed_ones)
{
	static const char *const allowed[] = { "a", "b", NULL };
	cr_assert_eq(parse("a: 1\nzz: 2\n", false, NULL), 0);
	cr_assert_eq(swl_yaml_check_keys(&doc, root(), allowed, "a thing"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:2:1: unknown key 'zz' in a thing (expected one of: a, b)");
	cr_assert_eq(swl_yaml_check_keys(&doc, root(), NULL, "a thing"), 0, "NULL: any string will do");
	fini();

	cr_assert_eq(parse("a: 1\n[x]: 2\n", false, NULL), 0);
	cr_assert_eq(swl_yaml_check_keys(&doc, root(), allowed, "a thing"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:2:1: keys of a thing must be strings");
	fini();

	cr_assert_eq(parse("a: 1\nb: 2\na: 3\n", false, NULL), 0);
	cr_assert_eq(swl_yaml_check_keys(&doc, root(), allowed, "a thing"), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:3:1: duplicate key 'a' in a thing");
	fini();

	cr_assert_eq(parse("top:\n  - {k: 1, j: 2, k: 3}\n", false, NULL), 0);
	cr_assert_eq(swl_yaml_check_duplicates(&doc), -EINVAL);
	cr_assert_str_eq(err.msg, "t.yaml:2:18: key 'k' given twice in one mapping (first at line 2)");
}

Test(yaml_doc, typed_values)
{
	cr_assert_eq(parse("s: text\nm: {x: 1}\nu: 42\nbig: 43\nneg: -1\nf: 1.5\n", false, NULL), 0);
	const char *s;
	cr_assert_eq(swl_yaml_string(&doc, value_of(root(), "s"), "s", &s), 0);
	cr_assert_str_eq(s, "text");
	cr_assert_eq(swl_yaml_string(&doc, value_of(root(), "m"), "the m", &s), -EINVAL);
	cr_assert_str_eq(s, "");
	cr_assert_str_eq(err.msg, "t.yaml:2:4: the m must be a string");
	unsigned long long u;
	cr_assert_eq(swl_yaml_uint(&doc, value_of(root(), "u"), "u", 42, &u), 0);
	cr_assert_eq(u, 42);
	static const char *const bad[] = { "big", "neg", "f", "m" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(swl_yaml_uint(&doc, value_of(root(), bad[i]), "n", 42, &u), -EINVAL, "%s", bad[i]);
		cr_assert(strstr(err.msg, ": n must be a whole number from 0 to 42"), "%s", err.msg);
	}
}
