/* source.c - the list of sources, and what they share (see source.h). */
#include "source.h"

#include <errno.h>
#include <stdio.h>

/* Each defined in its own source_NAME.c. */
extern const struct swl_source_type swl_source_journal, swl_source_tail, swl_source_omprog, swl_source_json,
	swl_source_export, swl_source_ahead;

const struct swl_source_type *const swl_source_types[] = {
	&swl_source_journal, /* follow's default; replay: *.journal */
	&swl_source_tail,
	&swl_source_omprog,
	&swl_source_json,    /* replay: journalctl -o json saved to a file (told by content) */
	&swl_source_export,  /* replay: journalctl -o export saved to a file (told by content) */
	&swl_source_ahead,   /* replay: every other input, so last */
	NULL,
};

struct swl_source *swl_source_create(const struct swl_source_type *t, const struct swl_source_conf *c,
				     struct swl_pipeline *p)
{
	struct swl_source *s = t->create(c, p);
	s->type = t;
	return s;
}

const struct swl_source_type *swl_source_find(const char *name)
{
	for (size_t i = 0; swl_source_types[i]; i++)
		if (strcmp(swl_source_types[i]->name, name) == 0)
			return swl_source_types[i];
	return NULL;
}

const struct swl_source_type *swl_source_for_path(const char *path)
{
	for (size_t i = 0; swl_source_types[i]; i++)
		if (swl_source_types[i]->claims && swl_source_types[i]->claims(path))
			return swl_source_types[i];
	return NULL;
}

const char *swl_source_add_path(struct swl_source_conf *c, const char *path)
{
	if (c->npaths == SWL_SOURCE_MAX_PATHS)
		return "at most 64 paths";
	c->paths[c->npaths++] = path;
	return NULL;
}

struct swl_series *swl_source_series(struct swl_registry *reg, const char *name, enum swl_metric_type type,
				     const char *help, const char *label)
{
	static const char *const labels[] = { "source" };
	struct swl_family *f = swl_registry_family(reg, name, type, help, labels, label ? 1 : 0, NULL, 0, 0);
	struct swl_str v = swl_str_c(label);
	return swl_family_series(f, label ? &v : NULL);
}

void swl_source_stats_init(struct swl_source_stats *st, struct swl_registry *reg, const char *label)
{
	st->label = label;
	st->read = swl_source_series(reg, "swanlog_source_entries_read_total", SWL_COUNTER,
				     "Entries (journal entries or lines) read from each source.", label);
	st->last = swl_source_series(reg, "swanlog_source_last_entry_timestamp_seconds", SWL_GAUGE,
				     "Log time of the last entry read from each source.", label);
}

void swl_source_count(struct swl_source_stats *st, size_t n, int64_t t_us)
{
	if (!n || !st->read)
		return;
	swl_series_add(st->read, (double)n, t_us);
	if (t_us)
		swl_series_set(st->last, (double)t_us / 1e6, t_us);
}

int swl_source_own_pos(const struct swl_source_conf *c, const struct swl_state_pos *saved, enum swl_pos_kind mine,
		       struct swl_err *err)
{
	enum swl_pos_kind k = saved ? swl_state_pos_kind(saved) : SWL_POS_NONE;
	if (k == SWL_POS_NONE || k == mine)
		return 0;
	swl_errf(err, "%s: the state file was saved by %s, not by %s: refused (another --state, or --reset-state)",
		 c->state_path, swl_pos_kind_name(k), swl_pos_kind_name(mine));
	return -EBADMSG;
}

void swl_source_error(struct swl_source_stats *st, int err)
{
	if (!st->error_reported)
		fprintf(stderr, "swanlog: reading %s: %s\n", st->label, strerror(-err));
	st->error_reported = true;
}
