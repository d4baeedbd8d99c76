/* rules_index.h - the prefilter: which rules may match an event, known before any regex runs.
 *
 * Loading learns of each rule's pattern the first bytes a match can start with and a literal
 * every match contains, and indexes the rules by program and then by the message's first byte
 * (struct swl_dispatch). An event meets only the rules of its program and first byte, and of
 * those only the ones whose literal it holds run their regex. Built once (rules_index.c); the
 * lookups below are read-only, and inline: they run for every event. Not for other modules.
 */
#ifndef SWL_RULES_INDEX_H
#define SWL_RULES_INDEX_H

#include "rules_int.h"

/* Bit i of a candidates mask: the i-th rule of the event's swl_rules_for may match. Rules past
 * the 63rd have no bit of their own: bit 63 says there are such rules, checked when applied. */
#define SWL_CANDIDATE_BITS 63

/* At compile: the literal every match of pattern contains, when the pattern says so plainly
 * (rule->lit, litlen, litpick, lit_at_start; litlen 0 when none is known). */
void swl_rule_literal(struct swl_rule *rule, const char *pattern);
/* At bind: each rule's first bytes and literal word, the shared literals, and the dispatch. */
void swl_rules_index_build(struct swl_ruleset *rs);

/* The rules for a program: a few names, compared by length first (no strlen per line), then
 * inline. */
static inline const struct swl_dispatch *swl_dispatch_for(const struct swl_ruleset *rs, struct swl_str program)
{
	for (size_t k = 0; k + 1 < rs->ndispatch; k++) {
		const struct swl_dispatch *dp = &rs->dispatch[k];
		if (program.n == dp->programlen && swl_same_bytes(program.p, dp->program, program.n))
			return dp;
	}
	return &rs->dispatch[rs->ndispatch - 1];
}

/* The rules that may match ev by its program and then its first byte: only those whose
 * anchored pattern can start with that byte, in file order. */
static inline const struct swl_rule *const *swl_rules_for(const struct swl_ruleset *rs, const struct swl_event *ev,
							  size_t *n)
{
	const struct swl_dispatch *dp = swl_dispatch_for(rs, ev->program);
	size_t b = ev->msg.n ? (unsigned char)ev->msg.p[0] : 256;
	*n = dp->slot[b + 1] - dp->slot[b];
	return dp->byfirst + dp->slot[b];
}

/* What checking a message's literals learnt so far: the shared literals (see swl_rule.lit_shared;
 * the first 64) searched for and found, and where its first white space is. One per message. */
struct swl_lit_scan {
	struct swl_str msg;
	uint64_t searched, found;
	size_t token; /* SIZE_MAX: not looked for yet */
};

static inline struct swl_lit_scan swl_lit_scan_start(struct swl_str msg)
{
	return (struct swl_lit_scan){ .msg = msg, .token = SIZE_MAX };
}

/* Is the rule's literal where it must be in the message? One after the first token is
 * compared there (the token found once per message); elsewhere memchr (vectorised) finds
 * candidates by the literal's least common byte (glibc's memmem costs more than the regex on
 * lines this short). */
static inline __attribute__((always_inline)) bool swl_literal_search(const struct swl_rule *rule,
								     struct swl_lit_scan *ls)
{
	struct swl_str msg = ls->msg;
	size_t n = rule->litlen, k = rule->litpick;
	if (rule->lit_at_token) {
		if (ls->token == SIZE_MAX) {
			/* PCRE2's \s (without UCP): space and \t \n \v \f \r */
			size_t i = 0;
			while (i < msg.n && msg.p[i] != ' ' && (unsigned char)(msg.p[i] - '\t') > '\r' - '\t')
				i++;
			ls->token = i;
		}
		/* such a literal starts with the space and has two bytes or more: its second one
		 * turns most messages away without a call */
		size_t i = ls->token;
		return i > 0 && msg.n - i >= n && msg.p[i + 1] == rule->lit[1] && memcmp(msg.p + i, rule->lit, n) == 0;
	}
	const char *p = msg.p + k, *last = msg.p + (msg.n - n) + k; /* lit[k]'s possible places */
	while (p <= last && (p = memchr(p, rule->lit[k], (size_t)(last - p) + 1)) != NULL) {
		if (memcmp(p - k, rule->lit, n) == 0)
			return true;
		p++;
	}
	return false;
}

/* Does the message hold the rule's literal (litlen > 0)? First its start: the leading
 * literal's first eight bytes in one compare, which most messages fail; then the rest of a
 * literal at the start in place, or a search for one elsewhere, once per message for a
 * literal that several rules share. */
static inline __attribute__((always_inline)) bool swl_literal_in(const struct swl_rule *rule, struct swl_lit_scan *ls)
{
	struct swl_str msg = ls->msg;
	size_t n = rule->litlen;
	if (msg.n < n)
		return false;
	if (rule->leadlen) {
		if (msg.n >= 8) {
			if ((swl_load64(msg.p) & rule->leadmask) != rule->leadword)
				return false;
		} else {
			if (msg.n < rule->leadlen)
				return false;
			for (size_t i = 0; i < rule->leadlen; i++)
				if (msg.p[i] != rule->lead[i])
					return false;
		}
		if (rule->lit_at_start)
			return n <= 8 || memcmp(msg.p + 8, rule->lit + 8, n - 8) == 0;
	}
	if (rule->lit_shared >= 64)
		return swl_literal_search(rule, ls);
	uint64_t bit = UINT64_C(1) << rule->lit_shared;
	if (!(ls->searched & bit)) {
		ls->searched |= bit;
		ls->found |= swl_literal_search(rule, ls) ? bit : 0;
	}
	return ls->found & bit;
}

#endif
