/* twins.c - one charon message written by two of its loggers is one event (see twins.h). */
#include "twins.h"

#include "parse_syslog.h"

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

static struct swl_str field(const struct swl_event *ev, const char *name)
{
	return swl_event_field(ev, swl_str_c(name));
}

static int channel_of(const struct swl_event *ev)
{
	struct swl_str f = field(ev, "SYSLOG_FACILITY");
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
	if (field(ev, "LEVEL").p)
		return CHANNEL_JOURNAL;
	return field(ev, "THREAD").p || field(ev, "GROUP").p ? CHANNEL_TEXT_PREFIX : CHANNEL_TEXT;
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

bool swl_twins_check(struct swl_twins *t, const struct swl_event *ev)
{
	if (!swl_is_charon(ev->program))
		return false;
	/* 0 is "no process": a real hash that comes out 0 is taken as 1 */
	uint64_t proc = swl_hash_mix(text_hash(t->seed, ev->host), (uint64_t)ev->pid) | 1;
	struct swl_str thread = field(ev, "THREAD");
	uint64_t th = thread.n ? text_hash(t->seed, thread) | 1 : 0;
	uint64_t hash = text_hash(t->seed, ev->msg);
	int ch = channel_of(ev);

	bool thread_seen = false; /* a newer line of this thread and channel came between */
	for (unsigned k = 0; k < t->used; k++) {
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
	*e = (struct swl_twins_entry){ .proc = proc, .thread = th, .hash = hash, .time_us = ev->time_us,
				       .len = ev->msg.n, .channel = ch };
	memcpy(e->text, ev->msg.p, ev->msg.n < SWL_TWINS_TEXT_MAX ? ev->msg.n : SWL_TWINS_TEXT_MAX);
	return false;
}
