/* rules_template.c - compiling "text ${a|b:-default} text" templates: literal parts, and per
 * ${...} the names to try in order, each bound once to its capture groups, builtin and field.
 * Rendering them is rules.c's. */
#include "rules_schema.h"

#include <stdlib.h>

/* Fill a ref's capture group numbers from the pattern's name table (several with (?J)), its
 * builtin and its name's index. */
static void ref_bind(struct swl_ruleset *rs, struct swl_ref *ref, const pcre2_code *re)
{
	ref->name_id = swl_rules_intern(&rs->names, &rs->nnames, ref->name); /* refs to one name share its memo */
	static const char *const builtins[] = { [SWL_B_HOST] = "host", [SWL_B_PROGRAM] = "program",
						[SWL_B_PID] = "pid", [SWL_B_MESSAGE] = "message" };
	for (size_t b = SWL_B_HOST; b <= SWL_B_MESSAGE; b++)
		if (strcmp(ref->name, builtins[b]) == 0)
			ref->builtin = (enum swl_builtin)b;
	if (!re)
		return;
	uint32_t count, size;
	PCRE2_SPTR table;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;
		if (strcmp((const char *)e + 2, ref->name) == 0) {
			ref->groups = swl_xrealloc(ref->groups, (ref->ngroups + 1) * sizeof(uint32_t));
			ref->groups[ref->ngroups++] = (uint32_t)(e[0] << 8 | e[1]);
		}
	}
}

void swl_tpl_fini(struct swl_tpl *t)
{
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].lit);
		for (size_t a = 0; a < t->parts[i].nalts; a++) {
			free(t->parts[i].alts[a].name);
			free(t->parts[i].alts[a].groups);
		}
	}
	free(t->parts);
	*t = (struct swl_tpl){ 0 };
}

static struct swl_part *tpl_add(struct swl_tpl *t)
{
	t->parts = swl_xrealloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
	struct swl_part *p = &t->parts[t->nparts++];
	*p = (struct swl_part){ 0 };
	return p;
}

/* Compile "text ${a|b} text" (allow_time: the word `time` means the event time). */
int swl_tpl_compile(struct swl_ruleset *rs, struct swl_yaml_doc *d, const yaml_node_t *n, const char *s,
		    const pcre2_code *re, bool allow_time, struct swl_tpl *t)
{
	*t = (struct swl_tpl){ .set = true };
	if (allow_time && strcmp(s, "time") == 0) {
		t->is_time = true;
		return 0;
	}
	const char *p = s;
	while (*p) {
		const char *dollar = strstr(p, "${");
		const char *end = dollar ? dollar : p + strlen(p);
		if (end > p) {
			struct swl_part *part = tpl_add(t);
			part->lit = swl_xstrndup(p, (size_t)(end - p));
			part->litlen = (size_t)(end - p);
		}
		if (!dollar)
			break;
		const char *close = strchr(dollar, '}');
		if (!close)
			return swl_yaml_fail_at(d, n, (size_t)(dollar - s), "unterminated ${ in '%s'", s);
		struct swl_part *part = tpl_add(t);
		const char *q = dollar + 2;
		const char *dflt = strstr(q, ":-");
		if (dflt && dflt < close) {
			part->lit = swl_xstrndup(dflt + 2, (size_t)(close - dflt - 2));
			part->litlen = (size_t)(close - dflt - 2);
			close = dflt;
		} else {
			dflt = NULL;
		}
		while (q <= close) {
			const char *bar = memchr(q, '|', (size_t)(close - q));
			const char *stop = bar ? bar : close;
			char *name = swl_xstrndup(q, (size_t)(stop - q));
			if (!swl_rules_valid_name(name, false) || part->nalts == SWL_MAX_ALTS) {
				int r = swl_yaml_fail_at(d, n, (size_t)(q - s), "%s '%s' in ${...}",
							 part->nalts == SWL_MAX_ALTS ? "too many alternatives at"
										     : "invalid name",
							 name);
				free(name);
				return r;
			}
			struct swl_ref *ref = &part->alts[part->nalts++];
			*ref = (struct swl_ref){ .name = name, .namelen = strlen(name) };
			ref_bind(rs, ref, re);
			q = stop + 1;
		}
		p = (dflt ? strchr(dflt, '}') : close) + 1;
	}
	return 0;
}

int swl_tpl_node(struct swl_ruleset *rs, struct swl_yaml_doc *d, const yaml_node_t *n, const pcre2_code *re,
		 bool allow_time, const char *what, struct swl_tpl *t)
{
	const char *s;
	int r = swl_yaml_string(d, n, what, &s);
	return r < 0 ? r : swl_tpl_compile(rs, d, n, s, re, allow_time, t);
}

void swl_tpl_memo(struct swl_ruleset *rs, struct swl_tpl *t, const char *text, size_t pattern)
{
	bool captures = false;
	for (size_t i = 0; i < t->nparts; i++)
		for (size_t a = 0; a < t->parts[i].nalts; a++)
			captures |= t->parts[i].alts[a].ngroups != 0;
	/* a key that reads captures is the same only for rules with the same pattern */
	char *id = swl_xmalloc(strlen(text) + 24);
	if (captures)
		sprintf(id, "%zu\x1f%s", pattern, text);
	else
		strcpy(id, text);
	t->memo = (uint32_t)swl_rules_intern(&rs->keys, &rs->nkeys, id) + 1;
	free(id);
}
