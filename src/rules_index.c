/* rules_index.c - the prefilter: what loading learns of each rule's pattern (the first bytes a
 * match can start with, a literal every match contains) and the index built from it, which
 * tells for an event which rules may match before any regex runs. */
#include "rules_index.h"

#include <stdlib.h>

/* The prefilter's literal: the longest text that every match of pattern s contains, when s
 * says so plainly. Only runs of ordinary characters (and backslash-escaped punctuation) at the
 * top level count, and only in a pattern without top-level alternation; a quantifier after a
 * run takes the run's last byte. Anything this scanner does not fully follow ((?# comments,
 * \Q, (*VERBS), inline options, conditionals, an unterminated class or brace) gives no literal,
 * and the rule simply runs its regex on every message its first byte admits. */
static bool lit_plain(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(" _-,:;'\"=<>/@%&!~#`", c));
}

static bool lit_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* How common a byte is in log text (lower is rarer). memchr looks for the rarest byte of a
 * literal, so that it stops at few false candidates: in "audit: type=1415 audit(" that is
 * '(', not the ':' or '=' a kernel firewall line has a dozen of. The order is the printable
 * bytes' frequency in the real charon logs of tests/corpus (those absent first); bytes outside
 * it (control, non-ASCII) count as rarest, the space as the most common. */
static int lit_rarity(char c)
{
	static const char by_frequency[] = "!#$&*+?@WZ\\^`z~%JjV{}X;QYxwBq'-U,()ybLPM/O|Rk<H>guD=mKhFf3GplT\"S6AICd8v.E[]47r_"
					   "iasN59c0tn2e:o1 ";
	const char *at = c ? strchr(by_frequency, c) : NULL;
	return at ? 1 + (int)(at - by_frequency) : 0;
}

/* Where `^\S+` or `^(?<name>\S+)` ends in s, or NULL when s does not start so: a run that
 * starts there with a space can only start at the message's first white space. */
static const char *token_end(const char *s)
{
	if (strncmp(s, "^\\S+", 4) == 0)
		return s + 4;
	if (strncmp(s, "^(?<", 4) != 0)
		return NULL;
	const char *q = s + 4;
	while (lit_alnum(*q) || *q == '_')
		q++;
	return *q == '>' && strncmp(q + 1, "\\S+)", 4) == 0 ? q + 5 : NULL;
}

void swl_rule_literal(struct swl_rule *rule, const char *s)
{
	char run[SWL_LIT_MAX];
	size_t rn = 0, rtotal = 0, depth = 0;
	bool anchored = *s == '^', run_at_start = anchored;
	const char *p = s + anchored, *tok = token_end(s);
	bool run_at_token = false; /* the current run starts right after the first token */
	rule->litlen = 0;
	rule->leadlen = 0;
	rule->lit_at_token = false;
	for (;;) {
		char c = *p;
		/* a literal byte at the top level extends the run */
		if (depth == 0 && (lit_plain(c) || (c == '\\' && p[1] && (unsigned char)p[1] < 0x80 && !lit_alnum(p[1])))) {
			if (rtotal == 0)
				run_at_token = p == tok && c == ' ';
			char v = c == '\\' ? p[1] : c;
			p += c == '\\' ? 2 : 1;
			if (rn < SWL_LIT_MAX)
				run[rn++] = v;
			rtotal++;
			continue;
		}
		/* the run ended: a quantifier here applies to its last byte */
		if (rtotal && (c == '?' || c == '*' || c == '+' || c == '{')) {
			if (rn == rtotal)
				rn--;
			rtotal--;
		}
		if (run_at_start) { /* whatever literal is chosen, a message must start with this */
			rule->leadlen = rn < sizeof(rule->lead) ? rn : sizeof(rule->lead);
			memcpy(rule->lead, run, rule->leadlen);
		}
		/* a run at a known place beats a longer one that must be searched for */
		bool at_token = run_at_token && rn >= 2;
		if (!rule->lit_at_token && (at_token || rn > rule->litlen)) {
			memcpy(rule->lit, run, rn);
			rule->litlen = rn;
			rule->lit_at_start = run_at_start;
			rule->lit_at_token = at_token;
			rule->litpick = 0;
			for (size_t i = 1; i < rn; i++)
				if (lit_rarity(run[i]) < lit_rarity(run[rule->litpick]))
					rule->litpick = i;
		}
		rn = rtotal = 0;
		run_at_start = run_at_token = false;
		if (!c)
			return;
		if (c == '\\') {
			if (p[1] == 'Q' || !p[1] || (p[1] == 'c' && !p[2]))
				goto none;
			if (p[1] == 'c') { /* \cX: a control character, X may be any printable byte */
				p += 3;
				continue;
			}
			/* \d, \x41, \x{41}, \k<n>, \g-1, \pL ...: skip what may follow, never a literal */
			p += 2;
			while (lit_alnum(*p) || *p == '_' || *p == '-' || *p == '+')
				p++;
			char close = *p == '{' ? '}' : *p == '<' ? '>' : *p == '\'' ? '\'' : 0;
			if (close) {
				const char *e = strchr(p + 1, close);
				if (!e)
					goto none;
				p = e + 1;
			}
			continue;
		}
		if (c == '[') { /* a class: skip to its end */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != ']') {
				if (!*p || (p[0] == '\\' && (p[1] == 'Q' || !p[1])))
					goto none;
				if (p[0] == '[' && p[1] == ':') {
					/* [:name:] only if ":]" ends it before any other "]", as PCRE2 reads it */
					const char *e = strchr(p + 2, ']');
					if (e && e > p + 2 && e[-1] == ':') {
						p = e + 1;
						continue;
					}
				}
				p += p[0] == '\\' ? 2 : 1;
			}
			p++;
			continue;
		}
		if (c == '{') { /* a quantifier's bounds */
			const char *e = strchr(p, '}');
			if (!e)
				goto none;
			p = e + 1;
			continue;
		}
		if (c == '(') {
			if (p[1] == '*' || (p[1] == '?' && !strchr(":<'P=!>|", p[2] ? p[2] : 'x')))
				goto none;
			depth++;
		} else if (c == ')') {
			if (depth == 0)
				goto none;
			depth--;
		} else if (c == '|' && depth == 0) {
			goto none;
		}
		p++;
	}
none:
	rule->litlen = 0;
	rule->leadlen = 0;
	rule->lit_at_token = false;
}

/* Which first bytes of a message can a rule's pattern match? Only an anchored pattern tells
 * (a match starts at the message's first byte); PCRE2 computed the answer for its own start
 * optimisation: one first code unit, or a 256-bit map. A caseless first unit is not flagged
 * by pcre2_pattern_info, so an ASCII letter also admits its other case; a non-ASCII first
 * unit (UTF or locale case folding) admits everything. */
static void rule_first_bytes(struct swl_rule *rule)
{
	uint32_t opts = 0, type = 0, cu = 0;
	const uint8_t *map = NULL;
	memset(rule->first, 0xff, sizeof(rule->first));
	rule->first_known = false;
	pcre2_pattern_info(rule->re, PCRE2_INFO_ALLOPTIONS, &opts);
	if (!(opts & PCRE2_ANCHORED))
		return;
	pcre2_pattern_info(rule->re, PCRE2_INFO_FIRSTCODETYPE, &type);
	pcre2_pattern_info(rule->re, PCRE2_INFO_FIRSTCODEUNIT, &cu);
	pcre2_pattern_info(rule->re, PCRE2_INFO_FIRSTBITMAP, &map);
	if (type == 1 && cu < 0x80) {
		memset(rule->first, 0, sizeof(rule->first));
		rule->first[cu / 8] |= (uint8_t)(1u << (cu % 8));
		if ((cu | 0x20) >= 'a' && (cu | 0x20) <= 'z')
			rule->first[(cu ^ 0x20) / 8] |= (uint8_t)(1u << ((cu ^ 0x20) % 8));
		rule->first_known = true;
	} else if (type == 0 && map) {
		memcpy(rule->first, map, sizeof(rule->first));
		rule->first_known = true;
	}
}

/* The prefilter's precomputed parts: the leading literal as one word, and an index for each
 * literal searched for that several rules share, so that an event is searched for it once. */
static void rule_prefilters(struct swl_ruleset *rs)
{
	for (size_t i = 0; i < rs->nrules; i++) {
		struct swl_rule *r = &rs->rules[i];
		uint8_t word[8] = { 0 }, mask[8] = { 0 };
		memcpy(word, r->lead, r->leadlen);
		memset(mask, 0xff, r->leadlen);
		memcpy(&r->leadword, word, 8);
		memcpy(&r->leadmask, mask, 8);
		r->lit_shared = SIZE_MAX;
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		struct swl_rule *r = &rs->rules[i];
		if (!r->litlen || r->lit_at_start || r->lit_shared != SIZE_MAX)
			continue;
		for (size_t j = i + 1; j < rs->nrules; j++) {
			struct swl_rule *o = &rs->rules[j];
			if (o->litlen == r->litlen && o->lit_at_start == r->lit_at_start &&
			    o->lit_at_token == r->lit_at_token && memcmp(o->lit, r->lit, r->litlen) == 0) {
				if (r->lit_shared == SIZE_MAX)
					r->lit_shared = rs->nshared++;
				o->lit_shared = r->lit_shared;
			}
		}
	}
}

/* Index dp's rules by first byte (see struct swl_dispatch); file order is kept per slot. */
static void build_first_index(struct swl_dispatch *dp)
{
	size_t n = 0;
	for (unsigned b = 0; b <= 256; b++) {
		dp->slot[b] = n;
		for (size_t i = 0; i < dp->nrules; i++) {
			const struct swl_rule *r = dp->rules[i];
			n += b < 256 ? (r->first[b / 8] >> (b % 8)) & 1 : !r->first_known;
		}
	}
	dp->slot[257] = n;
	dp->byfirst = swl_xcalloc(n ? n : 1, sizeof(*dp->byfirst));
	size_t k = 0;
	for (unsigned b = 0; b <= 256; b++) {
		for (size_t i = 0; i < dp->nrules; i++) {
			const struct swl_rule *r = dp->rules[i];
			if (b < 256 ? (r->first[b / 8] >> (b % 8)) & 1 : !r->first_known)
				dp->byfirst[k++] = r;
		}
	}
}

void swl_rules_index_build(struct swl_ruleset *rs)
{
	/* distinct program names, then per name the rules that see it (file order kept) */
	size_t cap = 1;
	for (size_t i = 0; i < rs->nrules; i++) {
		cap += rs->rules[i].nprograms;
		rule_first_bytes(&rs->rules[i]);
	}
	rs->dispatch = swl_xcalloc(cap, sizeof(*rs->dispatch));
	for (size_t i = 0; i < rs->nrules; i++) {
		for (size_t p = 0; p < rs->rules[i].nprograms; p++) {
			const char *prog = rs->rules[i].programs[p];
			size_t k = 0;
			while (k < rs->ndispatch && strcmp(rs->dispatch[k].program, prog) != 0)
				k++;
			if (k == rs->ndispatch)
				rs->dispatch[rs->ndispatch++].program = swl_xstrdup(prog);
		}
	}
	rs->ndispatch++; /* the last entry: programs no rule names */
	rule_prefilters(rs);
	for (size_t k = 0; k < rs->ndispatch; k++) {
		struct swl_dispatch *dp = &rs->dispatch[k];
		dp->rules = swl_xcalloc(rs->nrules ? rs->nrules : 1, sizeof(*dp->rules));
		for (size_t i = 0; i < rs->nrules; i++) {
			struct swl_rule *rule = &rs->rules[i];
			bool sees = rule->nprograms == 0;
			for (size_t p = 0; !sees && dp->program && p < rule->nprograms; p++)
				sees = strcmp(rule->programs[p], dp->program) == 0;
			if (sees)
				dp->rules[dp->nrules++] = rule;
		}
		dp->programlen = dp->program ? strlen(dp->program) : 0;
		build_first_index(dp);
	}
}

/* Inlined in both of its shapes: it runs for every line replay reads. */
static inline __attribute__((always_inline)) uint64_t candidates(const struct swl_ruleset *rs,
								 const struct swl_event *ev)
{
	size_t n;
	const struct swl_rule *const *rules = swl_rules_for(rs, ev, &n);
	uint64_t mask = 0;
	struct swl_lit_scan ls = swl_lit_scan_start(ev->msg);
	for (size_t i = 0; i < n; i++) {
		if (i == SWL_CANDIDATE_BITS)
			return mask | UINT64_C(1) << SWL_CANDIDATE_BITS;
		if (!rules[i]->litlen || swl_literal_in(rules[i], &ls))
			mask |= UINT64_C(1) << i;
	}
	return mask;
}

uint64_t swl_rules_candidates(const struct swl_ruleset *rs, const struct swl_event *ev)
{
	return candidates(rs, ev);
}

uint64_t swl_rules_line_filter(const struct swl_event *ev, const void *rules)
{
	return candidates(rules, ev);
}
