/* rules_int.h - the compiled form of a ruleset, shared by the files that build it (rules_load.c,
 * rules_schema.c, rules_template.c, rules_index.c) and those that run it (rules.c and its
 * examples). Not for other modules. */
#ifndef SWL_RULES_INT_H
#define SWL_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules.h"

#define SWL_MAX_ALTS 8          /* alternatives in one ${a|b|c} */
#define SWL_LIT_MAX 32          /* bytes of a rule's required literal kept for the prefilter */
#define SWL_MAX_RECALL 4      /* keys in one `recall: [K1, K2]` */

enum swl_builtin { SWL_B_NONE, SWL_B_HOST, SWL_B_PROGRAM, SWL_B_PID, SWL_B_MESSAGE };

/* One name inside ${...}: a capture (by group numbers), a builtin, a field or a recalled label. */
struct swl_ref {
	char *name;
	size_t namelen;
	size_t ngroups;
	uint32_t *groups;
	enum swl_builtin builtin;
	size_t name_id;        /* the name's index in the ruleset's names: its field is looked up once per event */
};

/* A template part: literal text (nalts == 0) or the first non-empty of nalts names, else
 * the default text in lit (from ${a|b:-default}). */
struct swl_part {
	char *lit;
	size_t litlen;
	size_t nalts;
	struct swl_ref alts[SWL_MAX_ALTS];
};

struct swl_tpl {
	size_t nparts;
	struct swl_part *parts;
	bool is_time; /* the literal word `time`: the event's time in seconds */
	bool set;
	/* Recall keys: 1 + their index among the ruleset's keys (rules of one line that recall the
	 * same key look it up once, see swl_tpl_memo); 0 for other templates. */
	uint32_t memo;
};

enum swl_op {
	SWL_OP_INC, SWL_OP_DEC, SWL_OP_SET, SWL_OP_OBSERVE, SWL_OP_UP, SWL_OP_DOWN, SWL_OP_REGROUP, SWL_OP_RESET
};

struct swl_update {
	enum swl_op op;
	struct swl_family *family;
	struct swl_tpl labels[SWL_MAX_LABELS]; /* one per family label, in declaration order */
	struct swl_tpl value;                  /* inc/dec `by`, set/observe `value` */
	struct swl_tpl key;                    /* up/down: what is live */
	struct swl_tpl group;                  /* up: its owner; down/regroup: the owner to act on */
	struct swl_tpl to;                     /* regroup: the new owner */
	/* down with `count:`: a counter increased once per key taken down, with the labels of the
	 * series the key was live in; labels the gauge lacks come from count_labels. */
	struct swl_family *count;
	int count_from[SWL_MAX_LABELS];        /* gauge label index, or -1: use count_labels */
	struct swl_tpl count_labels[SWL_MAX_LABELS];
	size_t mdef, count_mdef;               /* loader only: declarations to bind */
	bool has_count;
};

struct swl_cond {
	struct swl_tpl lhs, rhs;
};

struct swl_remember {
	struct swl_tpl key;
	size_t nlabels;
	char *names[SWL_CTX_MAX_LABELS];
	size_t namelens[SWL_CTX_MAX_LABELS];
	struct swl_tpl values[SWL_CTX_MAX_LABELS];
};

struct swl_expect {
	char *metric;
	unsigned line, col;
	size_t nlabels;
	char **names, **values;
};

struct swl_example {
	unsigned line, col;
	size_t nafter;
	char **after;
	char *text;            /* a log line, or NULL when fields are given */
	size_t nfields;
	char **fnames, **fvalues;
	size_t nexpect;
	struct swl_expect *expect;
};

struct swl_rule {
	char *name;
	const char *path;
	unsigned line, col;
	size_t nprograms;
	char **programs;       /* NULL/0 = every program, and lines without one */
	pcre2_code *re;
	bool jit;
	size_t pattern;        /* its pattern's index among the ruleset's distinct patterns: rules with
				* the same pattern share one match of it per event */
	/* recall keys, looked up in order; a later key may use labels an earlier one recalled */
	size_t nrecall;
	struct swl_tpl recall[SWL_MAX_RECALL];
	size_t nif, nunless;
	struct swl_cond *ifs, *unless;
	size_t nupdates;
	struct swl_update *updates;
	size_t nremember;
	struct swl_remember *remember;
	struct swl_tpl forget;
	bool forget_all;
	size_t nexamples;
	struct swl_example *examples;
	struct swl_series *matches, *errors;
	/* Bytes a message can start with if the pattern is to match it (bit b of first[b / 8]);
	 * all set when unknown (unanchored pattern, or one that can match an empty message). */
	uint8_t first[32];
	bool first_known;      /* false: the rule also runs on empty messages */
	/* Text every match contains (see swl_rule_literal in rules_index.c): at the message's start when
	 * lit_at_start, at its first white space when lit_at_token (the pattern starts with `^\S+`
	 * and the literal with a space), anywhere otherwise; litlen 0 = none known. Checked before
	 * the regex runs. */
	char lit[SWL_LIT_MAX];
	size_t litlen;
	size_t litpick;        /* lit[litpick]: its least common byte, which memchr looks for */
	bool lit_at_start, lit_at_token;
	/* The first bytes (at most 8) of the run at the pattern's start, which every match starts
	 * with (leadlen 0: none; the literal's own first bytes when lit_at_start), as one word and
	 * the mask of them: a message that does not start so is turned down before any search. */
	char lead[8];
	size_t leadlen;
	uint64_t leadword, leadmask;
	/* Index of the literal among those that several rules share (each is searched once per
	 * event, see struct swl_lit_scan), or SIZE_MAX when no other rule has the same. */
	size_t lit_shared;
};

/* Rules that see one program name, for dispatch before any regex runs. */
struct swl_dispatch {
	char *program;          /* NULL: events whose program no rule names */
	size_t programlen;
	size_t nrules;
	const struct swl_rule **rules;
	/* The same rules indexed by the message's first byte, so that most messages meet one or
	 * two regexes instead of all: the rules that may match a message starting with byte b are
	 * byfirst[slot[b] .. slot[b + 1]), in file order; slot 256 is the empty message. */
	size_t slot[258];
	const struct swl_rule **byfirst;
};

/* The compiled rules, fixed once loaded: applying them changes nothing here (what they update
 * is the registry's and the context's), so threads may read them at once. What applying does
 * change is a struct swl_matcher's (rules.c), one per thread that applies them. */
struct swl_ruleset {
	struct swl_registry *reg;
	size_t nrules;
	struct swl_rule *rules;
	size_t npaths;
	char **paths;
	size_t ndispatch;
	struct swl_dispatch *dispatch; /* the last one has program NULL */
	uint32_t max_captures;         /* the most capture groups of any pattern: a match data's size */
	size_t context_entries;
	int64_t context_age_us;
	/* Distinct names of all templates' ${...}: a matcher looks each up once per event. */
	size_t nnames;
	char **names;
	/* Distinct recall keys (see swl_tpl.memo). */
	size_t nkeys;
	char **keys;
	/* Distinct patterns (see swl_rule.pattern). */
	size_t npatterns;
	char **patterns;
	size_t nshared;                /* literals that several rules share (see lit_shared) */
};

void swl_tpl_fini(struct swl_tpl *t);
/* Free n strings and their array. */
void swl_rules_free_strings(char **l, size_t n);
/* The index of s among the n strings of *l, appended (copied) when new. */
size_t swl_rules_intern(char ***l, size_t *n, const char *s);

#endif
