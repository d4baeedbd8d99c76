/* rules_examples.c - `swanlog check`: every rule's examples run through the rules, each on a
 * fresh context, and the series each one changed compared with what it expects. */
#include "rules_int.h"

#include <stdlib.h>

#include "parse_fields.h"
#include "parse_syslog.h"

/* 2026-11-29 17:51:52 UTC: when examples given as fields happen */
#define EXAMPLE_TIME_US 1795974712000000

/* How many updates each series had before the example's line. */
struct snapshot {
	size_t nfam;
	size_t *nseries;
	uint64_t **updates;
};

static void snap_take(const struct swl_registry *r, struct snapshot *s)
{
	s->nfam = r->nfamilies;
	s->nseries = swl_xcalloc(s->nfam ? s->nfam : 1, sizeof(size_t));
	s->updates = swl_xcalloc(s->nfam ? s->nfam : 1, sizeof(uint64_t *));
	for (size_t i = 0; i < s->nfam; i++) {
		const struct swl_family *f = r->families[i];
		s->nseries[i] = f->nseries;
		s->updates[i] = swl_xcalloc(f->nseries ? f->nseries : 1, sizeof(uint64_t));
		for (size_t j = 0; j < f->nseries; j++)
			s->updates[i][j] = f->series[j]->updates;
	}
}

static void snap_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->nfam; i++)
		free(s->updates[i]);
	free(s->updates);
	free(s->nseries);
}

static bool series_changed(const struct snapshot *s, size_t fi, size_t si, const struct swl_series *x)
{
	/* a series created since (e.g. by `up` of a key live elsewhere) but never updated did not change */
	uint64_t before = fi < s->nfam && si < s->nseries[fi] ? s->updates[fi][si] : 0;
	return x->updates != before;
}

static void describe(struct swl_buf *b, const char *metric, size_t n, char *const *names, char *const *values)
{
	swl_buf_printf(b, "%s{", metric);
	for (size_t i = 0; i < n; i++)
		swl_buf_printf(b, "%s%s=\"%s\"", i ? "," : "", names[i], values[i]);
	swl_buf_addc(b, '}');
}

/* Does series x (of family f) carry exactly the expected labels (unnamed ones empty)? */
static bool expect_is(const struct swl_expect *e, const struct swl_family *f, const struct swl_series *x)
{
	if (strcmp(e->metric, f->name) != 0)
		return false;
	for (size_t l = 0; l < f->nlabels; l++) {
		const char *want = "";
		for (size_t k = 0; k < e->nlabels; k++)
			if (strcmp(e->names[k], f->labels[l]) == 0)
				want = e->values[k];
		if (strcmp(want, x->values[l]) != 0)
			return false;
	}
	return true;
}

static void feed_line(struct swl_matcher *m, struct swl_context *ctx, const char *line)
{
	struct swl_parser ps;
	struct swl_event ev;
	swl_parser_init(&ps, 2026, 0);
	swl_parse_line(&ps, line, strlen(line), &ev);
	swl_rules_apply(m, ctx, &ev);
}

/* An example's fields as the journal source reads an entry, so that it shows what the journal
 * does; at the examples' time unless __REALTIME_TIMESTAMP gives one. */
static void feed_fields(struct swl_matcher *m, struct swl_context *ctx, const struct swl_example *ex)
{
	struct swl_field *fields = swl_xcalloc(ex->nfields, sizeof(*fields));
	for (size_t i = 0; i < ex->nfields; i++)
		fields[i] = (struct swl_field){ swl_str_c(ex->fnames[i]), swl_str_c(ex->fvalues[i]) };
	struct swl_event ev;
	swl_event_from_fields(&ev, fields, ex->nfields, EXAMPLE_TIME_US);
	swl_rules_apply(m, ctx, &ev);
	free(fields);
}

static int run_example(const struct swl_ruleset *rs, struct swl_matcher *m, const struct swl_rule *rule, size_t idx,
		       FILE *out)
{
	const struct swl_example *ex = &rule->examples[idx];
	struct swl_context *ctx = swl_context_create(1000, 0);
	for (size_t i = 0; i < ex->nafter; i++)
		feed_line(m, ctx, ex->after[i]);
	struct snapshot snap;
	snap_take(rs->reg, &snap);
	if (ex->text)
		feed_line(m, ctx, ex->text);
	else
		feed_fields(m, ctx, ex);
	swl_context_destroy(ctx);

	int failures = 0;
	bool *met = swl_xcalloc(ex->nexpect ? ex->nexpect : 1, sizeof(bool));
	struct swl_buf b;
	swl_buf_init(&b, 0);
	const struct swl_registry *reg = rs->reg;
	for (size_t fi = 0; fi < reg->nfamilies; fi++) {
		const struct swl_family *f = reg->families[fi];
		if (f->retired || strncmp(f->name, "swanlog_", 8) == 0)
			continue;
		for (size_t si = 0; si < f->nseries; si++) {
			const struct swl_series *x = f->series[si];
			if (!series_changed(&snap, fi, si, x))
				continue;
			bool expected = false;
			for (size_t e = 0; e < ex->nexpect; e++) {
				if (expect_is(&ex->expect[e], f, x)) {
					met[e] = expected = true;
				}
			}
			if (!expected) {
				b.len = 0;
				describe(&b, f->name, f->nlabels, f->labels, x->values);
				fprintf(out, "%s:%u:%u: rule '%s' example %zu: unexpected update %s\n", rule->path, ex->line,
					ex->col, rule->name, idx + 1, b.p);
				failures++;
			}
		}
	}
	for (size_t e = 0; e < ex->nexpect; e++) {
		if (met[e])
			continue;
		const struct swl_expect *xe = &ex->expect[e];
		b.len = 0;
		describe(&b, xe->metric, xe->nlabels, xe->names, xe->values);
		fprintf(out, "%s:%u:%u: rule '%s' example %zu: expected update %s did not happen\n", rule->path, xe->line,
			xe->col, rule->name, idx + 1, b.p);
		failures++;
	}
	swl_buf_fini(&b);
	free(met);
	snap_free(&snap);
	return failures;
}

int swl_rules_run_examples(const struct swl_ruleset *rs, FILE *out, size_t *nexamples)
{
	int failures = 0;
	size_t n = 0;
	struct swl_matcher *m = swl_matcher_create(rs);
	for (size_t i = 0; i < rs->nrules; i++) {
		for (size_t e = 0; e < rs->rules[i].nexamples; e++, n++)
			failures += run_example(rs, m, &rs->rules[i], e, out) ? 1 : 0;
	}
	swl_matcher_destroy(m);
	if (nexamples)
		*nexamples = n;
	return failures;
}
