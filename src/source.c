/* source.c - the list of sources, and what they share (see source.h). */
#include "source.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"

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

void swl_source_stats_init(struct swl_source_stats *st, struct swl_source *src, struct swl_registry *reg,
			   const char *label)
{
	*st = (struct swl_source_stats){ .label = label };
	st->read = swl_source_series(reg, "swanlog_source_entries_read_total", SWL_COUNTER,
				     "Entries (journal entries or lines) read from each source.", label);
	st->last = swl_source_series(reg, "swanlog_source_last_entry_timestamp_seconds", SWL_GAUGE,
				     "Log time of the last entry read from each source.", label);
	st->up = swl_source_series(reg, "swanlog_source_up", SWL_GAUGE,
				   "Whether each source can be read now (1) or not (0: the log says why).", label);
	st->up->family->transient = true; /* a state of now: a restart finds it again */
	st->errors = swl_source_series(reg, "swanlog_source_read_errors_total", SWL_COUNTER,
				       "Reads of each source that failed.", label);
	swl_series_set(st->up, 1, 0);
	st->next = src->parts;
	src->parts = st;
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

bool swl_source_status(struct swl_source_stats *st, int status, const char *why)
{
	if (!st->up)
		return false;
	char text[sizeof(st->why)];
	snprintf(text, sizeof(text), "%s", status == 0 ? "" : why ? why : strerror(-status));
	bool changed = status != st->status || strcmp(text, st->why) != 0;
	if (!changed && st->told)
		return false;
	if (status < 0)
		swl_log(status == -ENOENT ? LOG_WARNING : LOG_ERR, "source %s: %s", st->label, text);
	else if (st->told)
		swl_log(LOG_INFO, "source %s: can be read again", st->label);
	st->told = true;
	st->status = status;
	memcpy(st->why, text, sizeof(text));
	swl_series_set(st->up, status == 0, 0);
	return changed;
}

void swl_source_error(struct swl_source_stats *st, int err)
{
	if (!st->up)
		return;
	swl_series_add(st->errors, 1, 0);
	char why[sizeof(st->why)];
	snprintf(why, sizeof(why), "read error: %s", strerror(-err));
	swl_source_status(st, err, why);
}

bool swl_source_readable(const struct swl_source *s, char *why, size_t cap)
{
	struct swl_buf b;
	swl_buf_init(&b, cap ? cap - 1 : 1);
	bool any = !s->parts;
	for (const struct swl_source_stats *st = s->parts; st; st = st->next) {
		if (st->status == 0)
			any = true;
		else
			swl_buf_printf(&b, "%s%s: %s", b.len ? "; " : "", st->label, st->why);
	}
	if (cap)
		snprintf(why, cap, "%s", any || !b.p ? "" : b.p);
	swl_buf_fini(&b);
	return any;
}

/* ---- why a path cannot be read ---- */

/* The groups whose members may read a file: its group when the mode lets it, and the groups
 * its POSIX access ACL lets read (an xattr: a version word, then entries of a tag, the
 * permissions and an id). Returns how many were put in gids (at most cap). */
#define ACL_EA_VERSION 2
#define ACL_GROUP_OBJ 0x04
#define ACL_GROUP 0x08
#define ACL_MASK 0x10
struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

static size_t reading_groups(const char *path, const struct stat *st, gid_t *gids, size_t cap)
{
	unsigned char raw[4 + 64 * sizeof(struct acl_entry)];
	ssize_t len = getxattr(path, "system.posix_acl_access", raw, sizeof(raw));
	size_t n = 0;
	if (len < 4 || (len - 4) % (ssize_t)sizeof(struct acl_entry) != 0 || raw[0] != ACL_EA_VERSION) {
		if (st->st_mode & S_IRGRP)
			gids[n++] = st->st_gid;
		return n;
	}
	size_t ne = (size_t)(len - 4) / sizeof(struct acl_entry);
	struct acl_entry e[64];
	memcpy(e, raw + 4, ne * sizeof(e[0]));
	unsigned mask = 7;
	for (size_t i = 0; i < ne; i++)
		if (e[i].tag == ACL_MASK)
			mask = e[i].perm;
	for (size_t i = 0; i < ne && n < cap; i++)
		if ((e[i].tag == ACL_GROUP_OBJ || e[i].tag == ACL_GROUP) && (e[i].perm & mask & 4))
			gids[n++] = e[i].tag == ACL_GROUP_OBJ ? st->st_gid : (gid_t)e[i].id;
	return n;
}

static bool in_group_file(const struct group *gr, const char *user)
{
	for (char **m = gr->gr_mem; m && *m; m++)
		if (strcmp(*m, user) == 0)
			return true;
	return false;
}

void swl_source_explain(char *out, size_t cap, const char *path, int err)
{
	if (err != -EACCES && err != -EPERM) {
		snprintf(out, cap, "%s", strerror(-err));
		return;
	}
	char user[64];
	const struct passwd *pw = getpwuid(geteuid());
	if (pw)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)geteuid());
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(out, cap, "permission denied: user %s cannot enter a directory on the way to it", user);
		return;
	}
	gid_t gids[8];
	size_t n = reading_groups(path, &st, gids, 8);
	struct swl_buf b;
	swl_buf_init(&b, cap ? cap - 1 : 1);
	if (!n) {
		const struct passwd *owner = getpwuid(st.st_uid);
		const struct group *group = getgrgid(st.st_gid);
		swl_buf_printf(&b, "permission denied: it is %s:%s, mode %04o, which lets no group read it: let a group of user %s read it",
			       owner ? owner->pw_name : "?", group ? group->gr_name : "?", (unsigned)(st.st_mode & 07777), user);
	} else {
		swl_buf_printf(&b, "permission denied: add user %s to group", user);
		const char *member = NULL;
		for (size_t i = 0; i < n; i++) {
			const struct group *gr = getgrgid(gids[i]);
			swl_buf_printf(&b, "%s", i == 0 ? " " : " or ");
			if (gr)
				swl_buf_printf(&b, "%s", gr->gr_name);
			else
				swl_buf_printf(&b, "%u", (unsigned)gids[i]);
			if (gr && !member && pw && (in_group_file(gr, pw->pw_name) || pw->pw_gid == gids[i]))
				member = gr->gr_name;
		}
		swl_buf_printf(&b, " (SupplementaryGroups= in a systemd unit)");
		if (member) /* in the group, but this process was started before, or without it */
			swl_buf_printf(&b, "; user %s is in group %s, but this process is not: restart swanlog", user, member);
	}
	snprintf(out, cap, "%s", b.p ? b.p : "permission denied");
	swl_buf_fini(&b);
}
