/* source_journal.c - sd-journal entries as events.
 *
 * sd-journal's data pointers are valid only until the next sd_journal_get_data or
 * sd_journal_enumerate_data call (a compressed field is decompressed into one shared buffer,
 * and mmap windows may be recycled), so an entry's fields are copied into one reused buffer
 * and the event borrows from that. Each field is cut at SWL_JOURNAL_FIELD_MAX bytes, so the
 * buffer stays bounded whatever the journal holds.
 */
#include "source_journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-journal.h>

#include "parse_fields.h"

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

	/* The fields the event can hold, and past those the ones it is built from (parse_fields.h),
	 * wherever they are in the entry (enumeration order is not defined), once each. */
	struct swl_span spans[SWL_EVENT_MAX_FIELDS + SWL_FIELDS_NKEYS];
	bool key_kept[SWL_FIELDS_NKEYS] = { false };
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
		if (nspans >= SWL_EVENT_MAX_FIELDS) {
			int key = swl_fields_key((struct swl_str){ p, name_len });
			if (key < 0 || key_kept[key])
				continue;
			key_kept[key] = true;
		}
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

	struct swl_field fields[SWL_EVENT_MAX_FIELDS + SWL_FIELDS_NKEYS];
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
