/* source_journal.c - the journal: sd-journal entries as events, and the journal as a source
 * (follow: the local journal, a directory or files; replay: *.journal files).
 *
 * sd-journal's data pointers are valid only until the next sd_journal_get_data or
 * sd_journal_enumerate_data call (a compressed field is decompressed into one shared buffer,
 * and mmap windows may be recycled), so an entry's fields are copied into one reused buffer
 * and the event borrows from that. Each field is cut at SWL_JOURNAL_FIELD_MAX bytes, so the
 * buffer stays bounded whatever the journal holds.
 */
#include "source_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parse_fields.h"
#include "source.h"

#define SWL_JOURNAL_FIELD_MAX (64u * 1024u)

struct swl_journal {
	sd_journal *j;
	char *data;       /* copies of the current entry's fields */
	size_t data_cap;
};

/* Where a copied field lives in j->data: offsets, since the buffer may move while filling. */
struct swl_span {
	size_t name, name_len, value, value_len;
};

int swl_journal_open(enum swl_journal_kind kind, const char *const *paths, size_t npaths,
		     const char *const *identifiers, size_t nidentifiers, bool kernel,
		     struct swl_journal **out)
{
	*out = NULL;
	sd_journal *sj = NULL;
	int r;

	switch (kind) {
	case SWL_JOURNAL_LOCAL:
		r = sd_journal_open(&sj, SD_JOURNAL_LOCAL_ONLY);
		break;
	case SWL_JOURNAL_DIR:
		if (npaths != 1 || !paths || !paths[0])
			return -EINVAL;
		r = sd_journal_open_directory(&sj, paths[0], 0);
		break;
	case SWL_JOURNAL_FILES: {
		if (npaths == 0 || !paths)
			return -EINVAL;
		/* sd_journal_open_files wants a NULL-terminated list */
		const char **list = swl_xcalloc(npaths + 1, sizeof(*list));
		for (size_t i = 0; i < npaths; i++)
			list[i] = paths[i];
		r = sd_journal_open_files(&sj, list, 0);
		free(list);
		break;
	}
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;

	/* a hint only: enumerate may still return more, so swl_journal_next cuts as well */
	r = sd_journal_set_data_threshold(sj, SWL_JOURNAL_FIELD_MAX);
	if (r < 0)
		goto fail;

	/* Matches on one field are ORed; the kernel transport is a second, ORed term. */
	for (size_t i = 0; i < nidentifiers; i++) {
		struct swl_buf m;
		swl_buf_init(&m, 0);
		swl_buf_printf(&m, "SYSLOG_IDENTIFIER=%s", identifiers[i]);
		r = sd_journal_add_match(sj, m.p, m.len);
		swl_buf_fini(&m);
		if (r < 0)
			goto fail;
	}
	if (kernel) {
		if (nidentifiers > 0) {
			r = sd_journal_add_disjunction(sj);
			if (r < 0)
				goto fail;
		}
		r = sd_journal_add_match(sj, "_TRANSPORT=kernel", 0);
		if (r < 0)
			goto fail;
	}

	struct swl_journal *j = swl_xcalloc(1, sizeof(*j));
	j->j = sj;
	*out = j;
	return 0;

fail:
	sd_journal_close(sj);
	return r;
}

void swl_journal_close(struct swl_journal *j)
{
	if (!j)
		return;
	sd_journal_close(j->j);
	free(j->data);
	free(j);
}

int swl_journal_seek_head(struct swl_journal *j)
{
	return sd_journal_seek_head(j->j);
}

int swl_journal_seek_tail(struct swl_journal *j)
{
	int r = sd_journal_seek_tail(j->j);
	if (r < 0)
		return r;
	/* Stand on the last entry, so that next moves past it: a bare seek_tail followed by
	 * next is not reliably "nothing" in every libsystemd version. */
	r = sd_journal_previous(j->j);
	if (r < 0)
		return r;
	if (r == 0)
		return sd_journal_seek_head(j->j); /* empty: the head is the tail */
	return 0;
}

/* The hex value of key `k` ("t", "m") in a cursor string, or false when absent. */
static bool cursor_hex(const char *cursor, char k, uint64_t *v)
{
	for (const char *p = cursor; p && *p; ) {
		if (p[0] == k && p[1] == '=') {
			char *end;
			errno = 0;
			unsigned long long x = strtoull(p + 2, &end, 16);
			if (errno || end == p + 2 || (*end && *end != ';'))
				return false;
			*v = x;
			return true;
		}
		p = strchr(p, ';');
		if (p)
			p++;
	}
	return false;
}

/* After seek_cursor + next: is the current entry the cursor's entry? test_cursor compares
 * the seqnum id first, so the same entry in a rewritten file (a new seqnum id) fails it;
 * the timestamps, which survive a rewrite, decide then. */
static bool at_cursor_entry(sd_journal *sj, const char *cursor)
{
	if (sd_journal_test_cursor(sj, cursor) > 0)
		return true;
	uint64_t want_rt, rt;
	if (!cursor_hex(cursor, 't', &want_rt) || sd_journal_get_realtime_usec(sj, &rt) < 0 || rt != want_rt)
		return false;
	uint64_t want_mono, mono;
	sd_id128_t boot;
	/* equal realtimes are not rare enough on their own: the monotonic time must agree too */
	if (cursor_hex(cursor, 'm', &want_mono) && sd_journal_get_monotonic_usec(sj, &mono, &boot) >= 0)
		return mono == want_mono;
	return true;
}

int swl_journal_seek_cursor(struct swl_journal *j, const char *cursor)
{
	if (!cursor || !*cursor)
		return -EINVAL;
	/* Found: stay on the cursor's entry, so the next swl_journal_next moves past it. */
	if (sd_journal_seek_cursor(j->j, cursor) >= 0 && sd_journal_next(j->j) > 0 &&
	    at_cursor_entry(j->j, cursor))
		return 1;
	/* Gone (or never valid): start again from the head; the caller counts the gap. */
	int r = sd_journal_seek_head(j->j);
	return r < 0 ? r : 0;
}

char *swl_journal_cursor(struct swl_journal *j)
{
	char *c = NULL;
	if (sd_journal_get_cursor(j->j, &c) < 0)
		return NULL;
	return c;
}

int swl_journal_fd(struct swl_journal *j)
{
	return sd_journal_get_fd(j->j);
}

int swl_journal_wait(struct swl_journal *j, uint64_t timeout_us)
{
	int r = sd_journal_wait(j->j, timeout_us);
	if (r < 0)
		return r;
	return r == SD_JOURNAL_NOP ? 0 : 1;
}

/* Copy n bytes to j->data at *off, growing the buffer. */
static size_t data_put(struct swl_journal *j, size_t *off, const void *p, size_t n)
{
	if (*off + n > j->data_cap) {
		size_t cap = j->data_cap ? j->data_cap : 16384;
		while (cap < *off + n)
			cap *= 2;
		j->data = swl_xrealloc(j->data, cap);
		j->data_cap = cap;
	}
	size_t at = *off;
	memcpy(j->data + at, p, n);
	*off += n;
	return at;
}

int swl_journal_next(struct swl_journal *j, struct swl_event *ev)
{
	int r = sd_journal_next(j->j);
	if (r <= 0)
		return r;

	uint64_t rt;
	int64_t time_us = sd_journal_get_realtime_usec(j->j, &rt) >= 0 && rt <= INT64_MAX ? (int64_t)rt : 0;

	/* The fields the event can hold, and past those the ones it is built from (swl_fields_keep). */
	struct swl_span spans[SWL_FIELDS_ROOM];
	struct swl_fields_kept kept = { 0 };
	size_t nspans = 0, off = 0;

	const void *d;
	size_t l;
	sd_journal_restart_data(j->j);
	/* the _available_ variant skips fields it cannot decode (too large, unknown
	 * compression) instead of ending the enumeration there */
	while ((r = sd_journal_enumerate_available_data(j->j, &d, &l)) > 0) {
		const char *p = d;
		const char *eq = memchr(p, '=', l);
		if (!eq)
			continue;
		size_t name_len = (size_t)(eq - p);
		if (name_len >= SWL_JOURNAL_FIELD_MAX)
			continue; /* not a real field name (those are at most 64 bytes) */
		if (!swl_fields_keep(&kept, (struct swl_str){ p, name_len }))
			continue;
		if (l > SWL_JOURNAL_FIELD_MAX)
			l = SWL_JOURNAL_FIELD_MAX; /* the threshold is only a hint */
		struct swl_span *s = &spans[nspans++];
		s->name = data_put(j, &off, p, l);
		s->name_len = name_len;
		s->value = s->name + name_len + 1;
		s->value_len = l - name_len - 1;
	}
	/* An error left (a corrupt object) ends this entry's fields, not the entry: the fields
	 * read so far are still delivered, and the next entry may well be intact. */

	struct swl_field fields[SWL_FIELDS_ROOM];
	for (size_t i = 0; i < nspans; i++) {
		fields[i].name = (struct swl_str){ j->data + spans[i].name, spans[i].name_len };
		fields[i].value = (struct swl_str){ j->data + spans[i].value, spans[i].value_len };
	}
	swl_event_from_fields(ev, fields, nspans, time_us);
	return 1;
}

bool swl_is_journal_path(const char *path)
{
	if (!path)
		return false;
	size_t n = strlen(path);
	return (n >= 8 && memcmp(path + n - 8, ".journal", 8) == 0) ||
	       (n >= 9 && memcmp(path + n - 9, ".journal~", 9) == 0);
}

/* ---- the journal as a source ---- */

#define JOURNAL_POLL_MS 1000 /* a safety net: journal changes normally wake follow via inotify */
#define JOURNAL_ACCESS_MS 5000 /* how often follow looks again whether every journal file can be read */
#define JOURNAL_SCAN_MAX 10000 /* directory entries looked at per look */

/* The options that choose the journal, as conf->variant (0, no option: the local journal). */
enum { JOURNAL_LOCAL = 1, JOURNAL_DIR, JOURNAL_FILES };

struct journal_source {
	struct swl_source s;
	const struct swl_source_conf *c;
	struct swl_pipeline *p;
	struct swl_journal *j;
	char *cursor;                 /* last known cursor (owned) */
	struct swl_source_stats stats;
	struct swl_series *gaps;
	int64_t access_checked_us;    /* when journal_access last looked (monotonic) */
	int access;                   /* what it found: 0, or why not every file can be read */
	char access_why[sizeof(((struct swl_source_stats *)0)->why)];
};

static const char *take_dir(struct swl_source_conf *c, const char *dir)
{
	/* (when 64 paths are there already, swl_source_add_path says so first) */
	if (c->npaths && c->npaths < SWL_SOURCE_MAX_PATHS)
		return "--journal-dir takes one directory";
	return swl_source_add_path(c, dir);
}

static const char *take_identifier(struct swl_source_conf *c, const char *name)
{
	if (c->nidentifiers == SWL_SOURCE_MAX_IDENTIFIERS)
		return "at most 64 identifiers";
	c->identifiers[c->nidentifiers++] = name;
	return NULL;
}

static const char *take_no_kernel(struct swl_source_conf *c, const char *arg)
{
	(void)arg;
	c->no_kernel = true;
	return NULL;
}

static struct swl_source *journal_create(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	struct journal_source *js = swl_xcalloc(1, sizeof(*js));
	js->s = (struct swl_source){ .fd = -1, .poll_ms = JOURNAL_POLL_MS };
	js->c = c;
	js->p = p;
	if (c->mode == SWL_SOURCE_FOLLOW) {
		swl_source_stats_init(&js->stats, &js->s, p->reg, "journal");
		js->gaps = swl_source_series(p->reg, "swanlog_source_gaps_total", SWL_COUNTER,
					     "Saved journal positions gone on restart (vacuumed or rotated away): "
					     "reading went on from the oldest entry.",
					     "journal");
	}
	return &js->s;
}

/* ---- can every journal file be read? ----
 * sd-journal skips the files it cannot open without a word, so a follower without the right
 * group would read nothing and say nothing (journalctl tells its user). So the files it would
 * read are opened here too, at the start and every JOURNAL_ACCESS_MS. */

struct access_count {
	size_t files, denied;
	int denied_err;
	bool denied_dir;
	char denied_path[PATH_MAX]; /* the first file (or directory) that could not be read */
};

static void access_deny(struct access_count *ac, const char *path, int e, bool dir)
{
	if (!ac->denied++) {
		ac->denied_err = e;
		ac->denied_dir = dir;
		swl_strf(ac->denied_path, sizeof(ac->denied_path), "%s", path);
	}
}

static void access_file(struct access_count *ac, const char *path)
{
	ac->files++;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		access_deny(ac, path, -errno, false);
	else
		close(fd);
}

static bool is_machine_id(const char *name)
{
	return strlen(name) == 32 && strspn(name, "0123456789abcdef") == 32;
}

/* The journal files in dir and (subdirs) in its subdirectories named by a machine ID, as
 * sd_journal_open_directory reads them. A directory that is missing holds none. */
static void access_dir(struct access_count *ac, const char *dir, bool subdirs)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			access_deny(ac, dir, -errno, true);
		return;
	}
	struct dirent *de;
	char path[PATH_MAX];
	for (size_t n = 0; n < JOURNAL_SCAN_MAX && (de = readdir(d)); n++) {
		swl_strf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (swl_is_journal_path(de->d_name))
			access_file(ac, path);
		else if (subdirs && is_machine_id(de->d_name))
			access_dir(ac, path, false);
	}
	closedir(d);
}

/* Look at what the journal source reads; js->access says whether all of it can be read. */
static void journal_access(struct journal_source *js)
{
	const struct swl_source_conf *c = js->c;
	struct access_count ac = { 0 };
	char where[2 * PATH_MAX];
	if (c->variant == JOURNAL_DIR) {
		access_dir(&ac, c->paths[0], true);
		swl_strf(where, sizeof(where), "%s", c->paths[0]);
	} else if (c->variant == JOURNAL_FILES) {
		for (size_t i = 0; i < c->npaths; i++)
			access_file(&ac, c->paths[i]);
		swl_strf(where, sizeof(where), "the files given");
	} else {
		sd_id128_t id;
		char run[PATH_MAX], var[PATH_MAX];
		if (sd_id128_get_machine(&id) < 0) {
			access_dir(&ac, "/var/log/journal", true);
			access_dir(&ac, "/run/log/journal", true);
			swl_strf(where, sizeof(where), "/var/log/journal or /run/log/journal");
		} else {
			swl_strf(var, sizeof(var), "/var/log/journal/" SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
			swl_strf(run, sizeof(run), "/run/log/journal/" SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
			access_dir(&ac, var, false);
			access_dir(&ac, run, false);
			swl_strf(where, sizeof(where), "%s or %s", var, run);
		}
	}
	if (ac.denied) {
		char why[sizeof(js->access_why)];
		swl_source_explain(why, sizeof(why), ac.denied_path, ac.denied_err);
		js->access = ac.denied_err;
		if (ac.denied_dir)
			swl_strf(js->access_why, sizeof(js->access_why), "cannot read the directory %s: %s",
				 ac.denied_path, why);
		else
			swl_strf(js->access_why, sizeof(js->access_why), "cannot read %zu of %zu journal files, such as %s: %s",
				 ac.denied, ac.files, ac.denied_path, why);
	} else if (!ac.files) {
		js->access = -ENOENT;
		swl_strf(js->access_why, sizeof(js->access_why), "no journal files in %s (yet)", where);
	} else {
		js->access = 0;
		js->access_why[0] = '\0';
	}
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Whether the journal can be read, looked at again every JOURNAL_ACCESS_MS; true when that changed. */
static bool journal_status(struct journal_source *js, bool look)
{
	int64_t now = mono_us();
	if (look || now - js->access_checked_us >= (int64_t)JOURNAL_ACCESS_MS * 1000) {
		journal_access(js);
		js->access_checked_us = now;
	}
	return swl_source_status(&js->stats, js->access, js->access ? js->access_why : NULL);
}

/* replay: one journal file, every entry in it */
static int journal_start_replay(struct journal_source *js, struct swl_err *err)
{
	int r = swl_journal_open(SWL_JOURNAL_FILES, js->c->paths, 1, NULL, 0, false, &js->j);
	if (r < 0)
		swl_errf(err, "cannot open the journal at %s: %s", js->c->paths[0], strerror(-r));
	return r;
}

static int journal_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct journal_source *js = (struct journal_source *)s;
	const struct swl_source_conf *c = js->c;
	if (c->mode == SWL_SOURCE_REPLAY)
		return journal_start_replay(js, err);
	int r = swl_source_own_pos(c, saved, SWL_POS_JOURNAL, err);
	if (r < 0)
		return r;
	static const char *const default_identifiers[] = { "charon", "charon-systemd" };
	enum swl_journal_kind kind = c->variant == JOURNAL_DIR     ? SWL_JOURNAL_DIR
				     : c->variant == JOURNAL_FILES ? SWL_JOURNAL_FILES
								   : SWL_JOURNAL_LOCAL;
	bool defaults = c->nidentifiers == 0;
	r = swl_journal_open(kind, c->paths, c->npaths, defaults ? default_identifiers : c->identifiers,
				 defaults ? 2 : c->nidentifiers, !c->no_kernel, &js->j);
	if (r < 0) {
		journal_access(js); /* which file, and what would let swanlog read it */
		if (js->access == -EACCES || js->access == -EPERM)
			swl_errf(err, "cannot open the journal: %s", js->access_why);
		else
			swl_errf(err, "cannot open the journal%s%s: %s", c->npaths ? " at " : "",
				 c->npaths ? c->paths[0] : "", strerror(-r));
		/* a journal file that is corrupt is a source that cannot be used, not a state file
		 * that is refused (-EBADMSG, see source.h) */
		return r == -EBADMSG ? -EIO : r;
	}
	/* the inotify watches first, so nothing appended from here on is missed */
	s->fd = swl_journal_fd(js->j);
	if (s->fd < 0) {
		swl_errf(err, "cannot watch the journal: %s", strerror(-s->fd));
		return s->fd;
	}
	if (saved && saved->cursor) {
		js->cursor = swl_xstrdup(saved->cursor);
		r = swl_journal_seek_cursor(js->j, saved->cursor);
		if (r == 0) {
			swl_log(LOG_WARNING, "the saved journal position is gone: reading from the oldest entry");
			swl_series_add(js->gaps, 1, js->p->last_time_us);
		}
	} else {
		r = c->from_head ? swl_journal_seek_head(js->j) : swl_journal_seek_tail(js->j);
	}
	if (r < 0) {
		swl_errf(err, "cannot position in the journal: %s", strerror(-r));
		return r;
	}
	journal_status(js, true); /* said at the start, and later when it changes */
	return 0;
}

static int journal_read(struct swl_source *s, size_t max, struct swl_source_read *rd)
{
	struct journal_source *js = (struct journal_source *)s;
	struct swl_event ev;
	size_t n = 0;
	int r = 1;
	while (n < max && (r = swl_journal_next(js->j, &ev)) > 0) {
		swl_pipeline_event(js->p, &ev);
		n++;
	}
	rd->entries = n;
	rd->more = n == max;
	if (js->c->mode == SWL_SOURCE_REPLAY) {
		rd->ended = r <= 0;
		return r < 0 ? r : 0;
	}
	if (r < 0)
		swl_source_error(&js->stats, r);
	rd->changed |= r < 0 || journal_status(js, false);
	swl_source_count(&js->stats, n, js->p->last_time_us);
	return 0;
}

static void journal_woke(struct swl_source *s, bool readable)
{
	struct journal_source *js = (struct journal_source *)s;
	(void)readable;
	/* let sd-journal process its inotify events (new files, rotation, appends) */
	int r = swl_journal_wait(js->j, 0);
	if (r < 0)
		swl_source_error(&js->stats, r);
}

static void journal_position(struct swl_source *s, struct swl_state_pos *pos)
{
	struct journal_source *js = (struct journal_source *)s;
	char *c = swl_journal_cursor(js->j);
	if (c) {
		free(js->cursor);
		js->cursor = c;
	}
	pos->cursor = js->cursor;
}

static void journal_close(struct swl_source *s)
{
	struct journal_source *js = (struct journal_source *)s;
	swl_journal_close(js->j);
	free(js->cursor);
	free(js);
}

static void journal_describe(const struct swl_source_conf *c, struct swl_buf *b)
{
	if (c->variant == JOURNAL_DIR) {
		swl_buf_printf(b, "journal directory %s", c->paths[0]);
	} else if (c->variant == JOURNAL_FILES) {
		swl_buf_printf(b, "journal file%s", c->npaths > 1 ? "s" : "");
		for (size_t i = 0; i < c->npaths; i++)
			swl_buf_printf(b, "%s %s", i ? "," : "", c->paths[i]);
	} else {
		swl_buf_printf(b, "the local journal");
	}
	swl_buf_printf(b, " (SYSLOG_IDENTIFIER ");
	if (!c->nidentifiers)
		swl_buf_printf(b, "charon, charon-systemd");
	for (size_t i = 0; i < c->nidentifiers; i++)
		swl_buf_printf(b, "%s%s", i ? ", " : "", c->identifiers[i]);
	swl_buf_printf(b, "%s)", c->no_kernel ? "" : "; kernel");
}

static const struct swl_source_option journal_options[] = {
	{ "journal", NULL, "the local journal (default)", JOURNAL_LOCAL, NULL },
	{ "journal-dir", "DIR", "the journal files in DIR", JOURNAL_DIR, take_dir },
	{ "journal-file", "FILE", "a journal file (may be repeated)", JOURNAL_FILES, swl_source_add_path },
	{ "identifier", "NAME", "SYSLOG_IDENTIFIER to read (may be repeated; default charon and\ncharon-systemd)", 0,
	  take_identifier },
	{ "no-kernel", NULL, "do not also read _TRANSPORT=kernel entries", 0, take_no_kernel },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct swl_source_type swl_source_journal = {
	.name = "journal",
	.options = journal_options,
	.options_heading = "journal matches",
	.describe = journal_describe,
	.claims = swl_is_journal_path,
	.create = journal_create,
	.start = journal_start,
	.read = journal_read,
	.woke = journal_woke,
	.position = journal_position,
	.close = journal_close,
};
