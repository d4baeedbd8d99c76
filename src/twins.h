/* twins.h - one charon message written by two of its loggers is one event.
 *
 * charon hands every message to each of its loggers. Debian's and Ubuntu's default
 * configuration has two syslog loggers: facility daemon (levels up to 1) and facility auth
 * (charon maps it to authpriv; level 0 only), and journald keeps both. VyOS logs through
 * syslog and through charon-systemd's journal logger at once. Each such message then reaches
 * swanlog twice, from the same process, within a moment, with the same text.
 *
 * A later copy is a twin of an earlier one of the last SWL_TWINS_RING charon events when both
 * come from the same host and pid, carry the same message (after charon's "NN[GRP] " prefix)
 * within SWL_TWINS_WINDOW_US, the earlier one has no twin yet, and they came through
 * different channels:
 *   - a syslog facility (SYSLOG_FACILITY in the journal, <PRI> in a line) that differs;
 *   - charon-systemd's journal logger (field LEVEL, no facility) against a syslog copy;
 *   - in text, a line with the "NN[GRP] " prefix against one without.
 * Where the text tells no channel (both copies as "NN[GRP] msg" lines, as `journalctl -o
 * short` prints such a journal), a copy is a twin when it directly follows the earlier one
 * of its thread and this process is known to have two loggers: it wrote a line that names
 * an SA instance ("IKE_SA con1[3] established ...", "CHILD_SA con1{4} ..."), which charon
 * logs once per SA, twice in a row (that pair is a twin too). An auth-only gateway has no
 * twins, and a real repeat (two IKE_SAs, same text) with one logger is never taken for one,
 * however its lines fall.
 *
 * Pure and bounded: fixed arrays, no allocation; messages are compared whole up to
 * SWL_TWINS_TEXT_MAX bytes and by a keyed hash beyond.
 */
#ifndef SWL_TWINS_H
#define SWL_TWINS_H

#include "parse_syslog.h" /* swl_is_charon; event.h */

#define SWL_TWINS_RING 16
#define SWL_TWINS_WINDOW_US 1000000
#define SWL_TWINS_TEXT_MAX 256
#define SWL_TWINS_PROCS 16

struct swl_twins_entry {
	uint64_t proc;      /* hash of host and pid */
	uint64_t thread;    /* hash of THREAD (0: none) */
	uint64_t hash;      /* keyed hash of the whole message */
	int64_t time_us;
	size_t len;         /* the message's length */
	int channel;
	bool twinned;       /* its twin was seen already */
	char text[SWL_TWINS_TEXT_MAX];
};

struct swl_twins {
	struct swl_twins_entry ring[SWL_TWINS_RING];
	unsigned next, used;
	uint64_t seed;
	/* processes seen writing a line that names an SA twice in a row: two loggers */
	uint64_t two_loggers[SWL_TWINS_PROCS];
	unsigned two_loggers_next;
};

void swl_twins_init(struct swl_twins *t);
/* swl_twins_check for an event of charon's (swl_is_charon). */
bool swl_twins_check_charon(struct swl_twins *t, const struct swl_event *ev);

/* True when ev is the second copy of a charon event seen just before: the caller counts the
 * line as read and applies no rule to it. Events of other programs are never twins: inline, so
 * that they cost no call. */
static inline bool swl_twins_check(struct swl_twins *t, const struct swl_event *ev)
{
	return swl_is_charon(ev->program) && swl_twins_check_charon(t, ev);
}

#endif
