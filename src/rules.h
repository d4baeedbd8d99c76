/* rules.h - the YAML rule language: load and compile a ruleset, apply it to events.
 *
 * A ruleset is loaded from a file or a directory of *.yaml / *.yml files (in name order),
 * declares its metric families in a registry, and compiles every pattern once (PCRE2 JIT).
 * The language is documented in rules/README.md.
 */
#ifndef SWL_RULES_H
#define SWL_RULES_H

#include <stdio.h>

#include "context.h"
#include "event.h"
#include "registry.h"

/* The compiled rules: fixed once loaded, so any number of threads may read them at once. */
struct swl_ruleset;
/* What applying rules changes from one event to the next (match data and JIT stack, what is
 * known of the current event, scratch space): one per thread that applies them. */
struct swl_matcher;

/* Load path into a new ruleset whose families live in reg (borrowed; must outlive the
 * ruleset). On error returns a negative errno, fills err with "path:line:col: message",
 * and declares nothing that a later successful load would not also declare. */
int swl_rules_load(const char *path, struct swl_registry *reg, struct swl_ruleset **out, struct swl_err *err);
/* Destroy rs, after every matcher for it. */
void swl_rules_destroy(struct swl_ruleset *rs);

/* A matcher that applies rs (borrowed: it must outlive the matcher). */
struct swl_matcher *swl_matcher_create(const struct swl_ruleset *rs);
void swl_matcher_destroy(struct swl_matcher *m);

/* Apply every rule of m's ruleset whose program filter and pattern match ev, in file order. */
void swl_rules_apply(struct swl_matcher *m, struct swl_context *ctx, const struct swl_event *ev);
/* The prefilter of swl_rules_apply on its own: which rules may match ev (those for its program
 * and first byte that hold their required literal), as a mask for swl_rules_apply_candidates;
 * 0 when no rule can match, so no regex would run. It reads the compiled rules only: replay's
 * reader thread asks while another thread applies them. */
uint64_t swl_rules_candidates(const struct swl_ruleset *rs, const struct swl_event *ev);
/* The same in the shape of a line filter that a reader thread calls back (source_ahead.h):
 * rules is a const struct swl_ruleset *. */
uint64_t swl_rules_line_filter(const struct swl_event *ev, const void *rules);
/* swl_rules_apply, trusting candidates (from swl_rules_candidates on the same event and rules). */
void swl_rules_apply_candidates(struct swl_matcher *m, struct swl_context *ctx, const struct swl_event *ev,
				uint64_t candidates);

/* Run every rule's examples (each with a fresh context) and print each failure to out as
 * "path:line:col: message". Returns the number of failures; *nexamples gets the count run.
 * The series the examples update are counted in the ruleset's registry. */
int swl_rules_run_examples(const struct swl_ruleset *rs, FILE *out, size_t *nexamples);

size_t swl_rules_count(const struct swl_ruleset *rs);
/* Limits the ruleset asks for (top-level `limits:`), 0 when unset. */
size_t swl_rules_context_entries(const struct swl_ruleset *rs);
int64_t swl_rules_context_age_us(const struct swl_ruleset *rs);

#endif
