/* twins.c - one charon message written by two of its loggers is one event (see twins.h). */
#include "twins.h"

/* Channels: a syslog facility (0..23), or one of these. Text channels compare only by form. */
enum {
	CHANNEL_JOURNAL = 100, /* charon-systemd's journal logger: fields, no facility */
	CHANNEL_TEXT = 200,    /* a line without "NN[GRP] " */
	CHANNEL_TEXT_PREFIX,   /* a line with it */
};

void swl_twins_init(struct swl_twins *t)
{
	*t = (struct swl_twins){ .seed = swl_hash_secret() };
}

/* The fields the check reads, found in one pass over the event's (the first of each name, as
 * swl_event_field finds it): every charon line is checked, so this is on the reader's path. */
struct channel_fields {
	struct swl_str facility, level, thread, group;
};

static void channel_fields(const struct swl_event *ev, struct channel_fields *cf)
{
	*cf = (struct channel_fields){ SWL_STR_NULL, SWL_STR_NULL, SWL_STR_NULL, SWL_STR_NULL };
	bool fac = false, lev = false, thr = false, grp = false;
	size_t n = ev->nfields < SWL_EVENT_MAX_FIELDS ? ev->nfields : SWL_EVENT_MAX_FIELDS;
	for (size_t i = 0; i < n; i++) {
		struct swl_str name = ev->fields[i].name, v = ev->fields[i].value;
		if (name.n == 15 && !fac && memcmp(name.p, "SYSLOG_FACILITY", 15) == 0) {
			cf->facility = v;
			fac = true;
		} else if (name.n == 6 && !thr && memcmp(name.p, "THREAD", 6) == 0) {
			cf->thread = v;
			thr = true;
		} else if (name.n == 5 && !lev && memcmp(name.p, "LEVEL", 5) == 0) {
			cf->level = v;
			lev = true;
		} else if (name.n == 5 && !grp && memcmp(name.p, "GROUP", 5) == 0) {
			cf->group = v;
			grp = true;
		}
	}
}

static int channel_of(const struct channel_fields *cf)
{
	struct swl_str f = cf->facility;
	if (f.n && f.n <= 2) {
		int v = 0;
		for (size_t i = 0; i < f.n; i++) {
			if (f.p[i] < '0' || f.p[i] > '9')
				return CHANNEL_TEXT;
			v = v * 10 + (f.p[i] - '0');
		}
		if (v <= 23)
			return v;
	}
	if (cf->level.p)
		return CHANNEL_JOURNAL;
	return cf->thread.p || cf->group.p ? CHANNEL_TEXT_PREFIX : CHANNEL_TEXT;
}

static bool has_two_loggers(const struct swl_twins *t, uint64_t proc)
{
	for (unsigned i = 0; i < SWL_TWINS_PROCS; i++)
		if (t->two_loggers[i] == proc)
			return true;
	return false;
}

static void note_two_loggers(struct swl_twins *t, uint64_t proc)
{
	if (has_two_loggers(t, proc))
		return;
	t->two_loggers[t->two_loggers_next] = proc;
	t->two_loggers_next = (t->two_loggers_next + 1) % SWL_TWINS_PROCS;
}

/* "IKE_SA NAME[N]" or "CHILD_SA NAME{N}" somewhere in msg: a line charon writes once per SA
 * (initiating, established, deleting, closing, ...), so twice in a row is two loggers. */
static bool names_an_sa(struct swl_str msg)
{
	static const struct {
		const char *word;
		char open, close;
	} forms[] = { { "IKE_SA ", '[', ']' }, { "CHILD_SA ", '{', '}' } };
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		size_t wn = strlen(forms[f].word);
		for (const char *p = msg.p, *end = msg.p + msg.n; (size_t)(end - p) > wn; p++) {
			p = memchr(p, forms[f].word[0], (size_t)(end - p));
			if (!p || (size_t)(end - p) <= wn)
				break;
			if (memcmp(p, forms[f].word, wn) != 0)
				continue;
			const char *q = p + wn;
			while (q < end && *q != forms[f].open && *q != ' ')
				q++;
			if (q == p + wn || q >= end || *q != forms[f].open)
				continue;
			const char *d = ++q;
			while (q < end && *q >= '0' && *q <= '9')
				q++;
			if (q > d && q < end && *q == forms[f].close)
				return true;
		}
	}
	return false;
}

/* Keyed, eight bytes a step: every charon line is hashed, so this is on the reader's path. */
static uint64_t text_hash(uint64_t seed, struct swl_str s)
{
	uint64_t h = seed ^ s.n;
	size_t i = 0;
	for (; i + 8 <= s.n; i += 8)
		h = swl_hash_mix(h, swl_load64(s.p + i));
	uint64_t tail = 0;
	if (i < s.n) /* an empty string may have no pointer */
		memcpy(&tail, s.p + i, s.n - i);
	return swl_hash_mix(h, tail);
}

/* |a - b| <= SWL_TWINS_WINDOW_US, without overflow on forged times */
static bool within_window(int64_t a, int64_t b)
{
	uint64_t d = a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
	return d <= SWL_TWINS_WINDOW_US;
}

static bool same_text(const struct swl_twins_entry *e, uint64_t hash, struct swl_str msg)
{
	size_t n = msg.n < SWL_TWINS_TEXT_MAX ? msg.n : SWL_TWINS_TEXT_MAX;
	return e->hash == hash && e->len == msg.n && memcmp(e->text, msg.p, n) == 0;
}

/* Whether the ring holds a message of this hash: every twin does, so most lines stop here. */
static bool hash_seen(const struct swl_twins *t, uint64_t hash)
{
	for (unsigned k = 0; k < t->used; k++)
		if (t->ring[k].hash == hash)
			return true;
	return false;
}

bool swl_twins_check_charon(struct swl_twins *t, const struct swl_event *ev)
{
	/* 0 is "no process": a real hash that comes out 0 is taken as 1 */
	uint64_t proc = swl_hash_mix(text_hash(t->seed, ev->host), (uint64_t)ev->pid) | 1;
	struct channel_fields cf;
	channel_fields(ev, &cf);
	struct swl_str thread = cf.thread;
	uint64_t th = thread.n ? text_hash(t->seed, thread) | 1 : 0;
	uint64_t hash = text_hash(t->seed, ev->msg);
	int ch = channel_of(&cf);

	/* a twin has its message's hash: without an entry of that hash there is none to find */
	unsigned look = hash_seen(t, hash) ? t->used : 0;
	bool thread_seen = false; /* a newer line of this thread and channel came between */
	for (unsigned k = 0; k < look; k++) {
		struct swl_twins_entry *e = &t->ring[(t->next + SWL_TWINS_RING - 1 - k) % SWL_TWINS_RING];
		if (e->proc != proc || !within_window(ev->time_us, e->time_us))
			continue;
		if (e->channel == ch) {
			if (e->thread != th || thread_seen)
				continue;
			thread_seen = true;
			/* the same form twice in a row on one thread: two loggers, or one job's
			 * repeat? Twins once this process wrote a line naming an SA twice. */
			if (ch < CHANNEL_TEXT || e->twinned || !same_text(e, hash, ev->msg))
				continue;
			if (names_an_sa(ev->msg))
				note_two_loggers(t, proc);
			else if (!has_two_loggers(t, proc))
				continue;
			e->twinned = true;
			return true;
		}
		if (!e->twinned && same_text(e, hash, ev->msg)) {
			e->twinned = true;
			return true;
		}
	}

	struct swl_twins_entry *e = &t->ring[t->next];
	t->next = (t->next + 1) % SWL_TWINS_RING;
	if (t->used < SWL_TWINS_RING)
		t->used++;
	/* field by field: the text past the message's length is never read */
	e->proc = proc;
	e->thread = th;
	e->hash = hash;
	e->time_us = ev->time_us;
	e->len = ev->msg.n;
	e->channel = ch;
	e->twinned = false;
	memcpy(e->text, ev->msg.p, ev->msg.n < SWL_TWINS_TEXT_MAX ? ev->msg.n : SWL_TWINS_TEXT_MAX);
	return false;
}
