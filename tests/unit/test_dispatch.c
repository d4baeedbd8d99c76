/* test_dispatch.c - dispatch by program, by the message's first byte and by a rule's required
 * literal never loses a match.
 *
 * Each rule's matches are counted by swanlog_rule_matches_total; the reference is the rule's
 * own compiled pattern run on every message with pcre2_match directly, so any message the
 * first-byte index wrongly skips shows up as a difference. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rules_int.h"

/* Patterns chosen for what PCRE2 can tell about their first byte: a literal, a caseless
 * literal, a set (bitmap), a class, unanchored, able to match the empty message, a non-ASCII
 * first byte, and one rule per program. */
static const char rules_yaml[] =
	"metrics:\n"
	"  m: {type: counter, help: h}\n"
	"rules:\n"
	"  - {name: literal, match: '^IKE_SA \\S+ established', inc: m}\n"
	"  - {name: caseless, match: '(?i)^received [a-z_]+ notify', inc: m}\n"
	"  - {name: caseless-inline, match: '^(?i:giving) up', inc: m}\n"
	"  - {name: set, match: '^(?:inbound |outbound )?CHILD_SA', inc: m}\n"
	"  - {name: class, match: '^\\S+ is initiating', inc: m}\n"
	"  - {name: digit, match: '^\\d+ bytes', inc: m}\n"
	"  - {name: unanchored, match: 'needle', inc: m}\n"
	"  - {name: empty-ok, match: '^x*$', inc: m}\n"
	"  - {name: utf8, match: '^\\xc3\\xa9t\\xc3\\xa9', inc: m}\n"
	"  - {name: alt-unanchored, match: '^a|b', inc: m}\n"
	"  - {name: charon-only, match: '^r', programs: [charon], inc: m}\n"
	"  - {name: kernel-only, match: '^XFRM', programs: [kernel], inc: m}\n"
	/* for the required literal: quantifiers, escapes that are not literals, classes, and what
	 * the scanner must refuse (top-level alternation, comments, \\Q, options, verbs) */
	"  - {name: quant, match: '^abc?d', inc: m}\n"
	"  - {name: brace, match: '^xy{2}z', inc: m}\n"
	"  - {name: hex, match: 'q\\x41BC', inc: m}\n"
	"  - {name: hexbrace, match: 'k\\x{41}z', inc: m}\n"
	"  - {name: backref, match: '(?<w>ab)\\k<w>cd', inc: m}\n"
	"  - {name: octal, match: 'o\\101p', inc: m}\n"
	"  - {name: class-bar, match: '^[]|]x|^yz', inc: m}\n"
	"  - {name: posix, match: '[[:digit:]|]+ apples', inc: m}\n"
	"  - {name: alt-top, match: '^foo|^bar', inc: m}\n"
	"  - {name: comment, match: '^gr(?#)|^ey', inc: m}\n"
	"  - {name: quoted, match: '\\Qa|b\\E', inc: m}\n"
	"  - {name: option, match: '^pre(?i)FIX', inc: m}\n"
	"  - {name: escaped-punct, match: 'cost \\$5\\.00', inc: m}\n"
	"  - {name: verb, match: '(*NOTEMPTY)qq', inc: m}\n"
	"  - {name: ctrl, match: 'ab\\c[cd|ef]gh', inc: m}\n"
	"  - {name: not-posix, match: 'mn[[:]|op:]qr', inc: m}\n"
	/* literals several rules share (searched once per event), and leading literals shorter
	 * than, as long as and longer than the eight bytes compared at once */
	"  - {name: shared-start-1, match: '^sending packet: from (?<a>x)', inc: m}\n"
	"  - {name: shared-start-2, match: '^sending packet: from (?<b>y)', inc: m}\n"
	"  - {name: shared-inside-1, match: ' with SPIs (?<a>1)', inc: m}\n"
	"  - {name: shared-inside-2, match: ' with SPIs (?<b>2)', inc: m}\n"
	"  - {name: eight, match: '^12345678x?$', inc: m}\n"
	"  - {name: nine, match: '^123456789', inc: m}\n"
	/* a literal after the first token; a leading literal before a longer one */
	"  - {name: token-named, match: '^(?<who>\\S+) received, shutting down', inc: m}\n"
	"  - {name: lead, match: '^inbound CHILD_SA \\S+ established with SPIs ', inc: m}\n";

static char dir[64];
static char path[128];

static void write_yaml(const char *yaml)
{
	strcpy(dir, "/tmp/swl-test-dispatch.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(yaml, f);
	fclose(f);
}

static void write_rules(void)
{
	write_yaml(rules_yaml);
}

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/* The rules written at path, in a registry of their own. */
static struct swl_ruleset *load_rules(void)
{
	struct swl_registry *reg = swl_registry_create(1000);
	struct swl_ruleset *rs;
	struct swl_err err;
	cr_assert_eq(swl_rules_load(path, reg, &rs, &err), 0, "%s", err.msg);
	return rs;
}

static void unload_rules(struct swl_ruleset *rs)
{
	struct swl_registry *reg = rs->reg;
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
}

static bool sees(const struct swl_rule *r, const char *program)
{
	if (r->nprograms == 0)
		return true;
	for (size_t i = 0; i < r->nprograms; i++)
		if (program && strcmp(r->programs[i], program) == 0)
			return true;
	return false;
}

Test(dispatch, first_byte_index_keeps_every_match, .init = write_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	struct swl_context *ctx = swl_context_create(100, 0);

	static const char *const tails[] = {
		"",
		"IKE_SA con1[1] established between",
		"received AUTHENTICATION_FAILED notify error",
		"RECEIVED NO_PROPOSAL_CHOSEN NOTIFY error",
		"Received x notify",
		"giving up after 5 retransmits",
		"GIVING up",
		"inbound CHILD_SA c{1}",
		"outbound CHILD_SA c{1}",
		"CHILD_SA c{1} established",
		"198.51.100.1 is initiating an IKE_SA",
		"1500 bytes",
		"a haystack with a needle",
		"xxx",
		"\xc3\xa9t\xc3\xa9",
		"\xc3\x89t\xc3\xa9",
		"abc",
		"zzb",
		"XFRM: policy",
		"r",
		"abd", "abcd", "xyyz", "qABC", "kAz", "ababcd", "oAp", "]x", "|x", "yz", "3 apples",
		"| apples", "foo", "bar", "ey", "a|b", "preFIX", "prefix", "cost $5.00", "qq", "ef]gh",
		"ab\x1b" "cd", "mn[", "op:]qr",
		"sending packet: from x", "sending packet: from y", "sending packet: fro", "sending packet: frox",
		"a with SPIs 1", " with SPIs 2", "with SPIs 2", " with SPIs", "12345678", "1234567", "12345678x",
		"123456789", "12345678 9", "123456789 and more",
		"SIGTERM received, shutting down", "SIGTERM\treceived, shutting down", " received, shutting down",
		"a\x0b received, shutting down", "a b received, shutting down", "1.2.3.4\vis initiating",
		"inbound CHILD_SA x{1} established with SPIs ", "Inbound CHILD_SA x{1} established with SPIs ",
		"inbound CHILD_SA x{1} established with SPI", "inbound ",
	};
	static const char *const programs[] = { "charon", "kernel", "sshd", NULL };
	size_t n = rs->nrules;
	double *want = calloc(n, sizeof(double));
	pcre2_match_data *md = pcre2_match_data_create(16, NULL);
	struct swl_matcher *m = swl_matcher_create(rs);
	char msg[256];
	size_t unwanted = 0;
	for (size_t p = 0; p < sizeof(programs) / sizeof(programs[0]); p++) {
		for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
			/* every message as it is, and with each possible first byte put before it */
			for (int b = -1; b < 256; b++) {
				size_t len = 0;
				if (b >= 0)
					msg[len++] = (char)b;
				size_t tl = strlen(tails[t]);
				memcpy(msg + len, tails[t], tl);
				len += tl;
				struct swl_event ev = { .pid = -1, .time_us = 1795974712000000,
							.program = programs[p] ? swl_str_c(programs[p]) : SWL_STR_NULL,
							.msg = { msg, len } };
				swl_rules_apply(m, ctx, &ev);
				/* replay: the reader computes the candidates, the main thread applies
				 * those; a line without any is dropped, so it must never match */
				uint64_t candidates = swl_rules_candidates(rs, &ev);
				swl_rules_apply_candidates(m, ctx, &ev, candidates);
				bool wanted = candidates != 0;
				unwanted += !wanted;
				for (size_t i = 0; i < n; i++) {
					const struct swl_rule *r = &rs->rules[i];
					if (sees(r, programs[p]) &&
					    pcre2_match(r->re, (PCRE2_SPTR)msg, len, 0, 0, md, NULL) >= 0) {
						want[i]++;
						cr_expect(wanted, "rule %s matches '%.*s' (%s), which was not wanted",
							  r->name, (int)len, msg, programs[p] ? programs[p] : "no program");
					}
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		cr_expect_gt(want[i], 0, "rule %s: the messages never exercise it", rs->rules[i].name);
		/* each message went through both ways: apply, and candidates then apply_candidates */
		cr_expect_eq(rs->rules[i].matches->value, 2 * want[i], "rule %s: %g matches, pcre2 alone finds %g (x2)",
			     rs->rules[i].name, rs->rules[i].matches->value, want[i]);
	}
	(void)unwanted; /* these rules take some messages of every kind: see wanted_turns_down */
	pcre2_match_data_free(md);
	swl_matcher_destroy(m);
	free(want);
	swl_context_destroy(ctx);
	unload_rules(rs);
}

/* The index is a filter, not a no-op: a literal-anchored rule is out of other bytes' slots. */
Test(dispatch, anchored_literal_is_indexed_by_its_first_byte, .init = write_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	const struct swl_dispatch *charon = NULL;
	for (size_t k = 0; k < rs->ndispatch; k++)
		if (rs->dispatch[k].program && strcmp(rs->dispatch[k].program, "charon") == 0)
			charon = &rs->dispatch[k];
	cr_assert_not_null(charon);
	bool in_I = false, in_Z = false, unanchored_in_Z = false, empty_ok_in_empty = false;
	for (size_t i = charon->slot['I']; i < charon->slot['I' + 1]; i++)
		in_I |= strcmp(charon->byfirst[i]->name, "literal") == 0;
	for (size_t i = charon->slot['Z']; i < charon->slot['Z' + 1]; i++) {
		in_Z |= strcmp(charon->byfirst[i]->name, "literal") == 0;
		unanchored_in_Z |= strcmp(charon->byfirst[i]->name, "unanchored") == 0;
	}
	for (size_t i = charon->slot[256]; i < charon->slot[257]; i++)
		empty_ok_in_empty |= strcmp(charon->byfirst[i]->name, "empty-ok") == 0;
	cr_expect(in_I);
	cr_expect(!in_Z);
	cr_expect(unanchored_in_Z);
	cr_expect(empty_ok_in_empty);
	unload_rules(rs);
}

static const struct swl_rule *rule_named(const struct swl_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	cr_assert_fail("no rule %s", name);
	return NULL;
}

static void expect_lit(const struct swl_ruleset *rs, const char *name, const char *lit, bool at_start)
{
	const struct swl_rule *r = rule_named(rs, name);
	cr_expect_eq(r->litlen, strlen(lit), "rule %s: literal '%.*s', want '%s'", name, (int)r->litlen, r->lit, lit);
	cr_expect(r->litlen == strlen(lit) && memcmp(r->lit, lit, r->litlen) == 0, "rule %s: literal '%.*s', want '%s'",
		  name, (int)r->litlen, r->lit, lit);
	if (*lit)
		cr_expect_eq(r->lit_at_start, at_start, "rule %s", name);
}

/* What the scanner finds: the longest plain run, a quantified last byte taken off, and nothing
 * at all where it cannot follow the pattern for sure. */
Test(dispatch, required_literals, .init = write_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	expect_lit(rs, "literal", " established", false); /* longer than the prefix "IKE_SA " */
	expect_lit(rs, "quant", "ab", true);
	expect_lit(rs, "brace", "x", true);
	expect_lit(rs, "hex", "q", false);
	expect_lit(rs, "backref", "cd", false);
	expect_lit(rs, "octal", "o", false);
	expect_lit(rs, "posix", " apples", false);
	expect_lit(rs, "escaped-punct", "cost $5.00", false);
	expect_lit(rs, "set", "CHILD_SA", false);
	expect_lit(rs, "class-bar", "", false);
	expect_lit(rs, "alt-top", "", false);
	expect_lit(rs, "alt-unanchored", "", false);
	expect_lit(rs, "comment", "", false);
	expect_lit(rs, "quoted", "", false);
	expect_lit(rs, "option", "", false);
	expect_lit(rs, "verb", "", false);
	expect_lit(rs, "ctrl", "", false);
	expect_lit(rs, "eight", "12345678", true);
	expect_lit(rs, "nine", "123456789", true);
	expect_lit(rs, "shared-start-1", "sending packet: from ", true);
	expect_lit(rs, "not-posix", "", false); /* [[:] is a class of [ and :, then | is top-level */ /* \\c[ is ESC: the | after it is top-level */
	unload_rules(rs);
}

/* Rules with the same literal searched for share one per-event answer; others have their own,
 * and a literal at the start is compared in place, never searched for. */
Test(dispatch, shared_literals, .init = write_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	size_t inside = rule_named(rs, "shared-inside-1")->lit_shared;
	cr_expect_neq(inside, SIZE_MAX);
	cr_expect_eq(rule_named(rs, "shared-inside-2")->lit_shared, inside);
	cr_expect_eq(rule_named(rs, "shared-start-1")->lit_shared, SIZE_MAX);
	cr_expect_eq(rule_named(rs, "shared-start-2")->lit_shared, SIZE_MAX);
	cr_expect_eq(rule_named(rs, "eight")->lit_shared, SIZE_MAX);
	cr_expect_eq(rule_named(rs, "unanchored")->lit_shared, SIZE_MAX);
	cr_expect_eq(rs->nshared, 1);
	unload_rules(rs);
}

/* A literal right after `^\S+` is compared at the message's first white space; the literal
 * at the start of a pattern whose longest literal lies further in is checked first. */
Test(dispatch, literal_places, .init = write_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	const struct swl_rule *token = rule_named(rs, "class"), *named = rule_named(rs, "token-named");
	cr_expect(token->lit_at_token && !token->lit_at_start);
	cr_expect(named->lit_at_token);
	expect_lit(rs, "token-named", " received, shutting down", false);
	const struct swl_rule *lead = rule_named(rs, "lead");
	expect_lit(rs, "lead", " established with SPIs ", false);
	cr_expect_eq(lead->leadlen, 8);
	cr_expect(memcmp(lead->lead, "inbound ", 8) == 0);
	cr_expect_eq(rule_named(rs, "quant")->leadlen, 2); /* "abc?": the c is optional */
	cr_expect_eq(rule_named(rs, "unanchored")->leadlen, 0);
	unload_rules(rs);
}

/* What replay's reader drops (no candidates): lines of programs no rule names, first bytes no
 * pattern can start with, messages without a rule's required literal. */
static void write_program_rules(void)
{
	write_yaml("metrics:\n"
		   "  m: {type: counter, help: h}\n"
		   "rules:\n"
		   "  - {name: est, match: '^IKE_SA \\S+ established', programs: [charon], inc: m}\n"
		   "  - {name: xfrm, match: 'XFRM state', programs: [kernel], inc: m}\n");
}

Test(dispatch, wanted_turns_down, .init = write_program_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	static const struct {
		const char *program, *msg;
		bool wanted;
	} cases[] = {
		{ "charon", "IKE_SA con1[1] established between", true },
		{ "charon", "CHILD_SA c{1} established", false },  /* first byte */
		{ "charon", "", false },
		{ "sshd", "IKE_SA con1[1] established between", false }, /* program */
		{ NULL, "IKE_SA con1[1] established between", false },
		{ "kernel", "x XFRM state y", true },
		{ "kernel", "x XFRM policy y", false },              /* literal */
		{ "kernel", "XFRM stat", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct swl_event ev = { .pid = -1,
					.program = cases[i].program ? swl_str_c(cases[i].program) : SWL_STR_NULL,
					.msg = swl_str_c(cases[i].msg) };
		cr_expect_eq(swl_rules_candidates(rs, &ev) != 0, cases[i].wanted, "%s: '%s'",
			     cases[i].program ? cases[i].program : "no program", cases[i].msg);
	}
	unload_rules(rs);
}

/* More candidates than the mask has bits: the rules past them are checked when applied. */
static void write_many_rules(void)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	swl_buf_printf(&b, "metrics:\n  m: {type: counter, help: h}\nrules:\n");
	for (int i = 0; i < 70; i++)
		swl_buf_printf(&b, "  - {name: r%02d, match: 'needle%02d', inc: m}\n", i, i);
	write_yaml(b.p);
	swl_buf_fini(&b);
}

Test(dispatch, candidates_past_the_mask, .init = write_many_rules, .fini = cleanup)
{
	struct swl_ruleset *rs = load_rules();
	struct swl_context *ctx = swl_context_create(100, 0);
	struct swl_matcher *m = swl_matcher_create(rs);
	char msg[64];
	for (int i = 0; i < 70; i++) {
		snprintf(msg, sizeof(msg), "a needle%02d in a haystack", i);
		struct swl_event ev = { .pid = -1, .program = swl_str_c("sshd"), .msg = swl_str_c(msg) };
		uint64_t c = swl_rules_candidates(rs, &ev);
		cr_assert_neq(c, 0, "%s", msg);
		swl_rules_apply_candidates(m, ctx, &ev, c);
	}
	struct swl_event none = { .pid = -1, .program = swl_str_c("sshd"), .msg = swl_str_c("no needle here") };
	cr_assert_eq(swl_rules_candidates(rs, &none), UINT64_C(1) << 63, "past the mask, rules always count");
	for (size_t i = 0; i < rs->nrules; i++)
		cr_expect_eq(rs->rules[i].matches->value, 1, "rule %s: %g matches", rs->rules[i].name,
			     rs->rules[i].matches->value);
	swl_matcher_destroy(m);
	swl_context_destroy(ctx);
	unload_rules(rs);
}
