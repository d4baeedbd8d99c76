/* parse_fields.h - a journal entry's fields -> struct swl_event (pure, no allocation).
 *
 * The event is built from the fields journald writes, the first of each name counting:
 *   MESSAGE                the message (empty when absent)
 *   SYSLOG_IDENTIFIER      the program; without it _TRANSPORT=kernel makes the program "kernel"
 *   _PID, else SYSLOG_PID  the pid (see swl_pid_parse)
 *   _HOSTNAME              the host
 *   __REALTIME_TIMESTAMP   the time, in microseconds since the epoch, where an entry carries it
 *                          as a field (the export format, journalctl -o json)
 * Every field also becomes one of the event's (as many as fit, with room kept for what a
 * charon prefix adds), and charon's "NN[GRP] <conn|uid> " prefix is parsed as for syslog lines;
 * as there, a message that starts with charon's marker makes the program "charon", whatever
 * SYSLOG_IDENTIFIER says.
 * The journal source builds its events here, and so do rules' examples with `fields:`, so that
 * an example shows what the journal does.
 */
#ifndef SWL_PARSE_FIELDS_H
#define SWL_PARSE_FIELDS_H

#include "event.h"

#define SWL_FIELDS_NKEYS 7

/* Which of the fields above name is (0 .. SWL_FIELDS_NKEYS - 1), or -1 for any other: a source
 * that keeps only some of an entry's fields keeps these. */
int swl_fields_key(struct swl_str name);

/* Which of an entry's fields a source keeps, bounded whatever the entry holds: any first
 * SWL_EVENT_MAX_FIELDS, then only those of the names above not kept yet, once each, wherever
 * they stand in the entry (journal fields come in no defined order). */
#define SWL_FIELDS_ROOM (SWL_EVENT_MAX_FIELDS + SWL_FIELDS_NKEYS)
struct swl_fields_kept {
	size_t n;                   /* fields kept so far, at most SWL_FIELDS_ROOM */
	bool key[SWL_FIELDS_NKEYS]; /* those of the names above kept past the first ones */
};
/* Whether the entry's next field, called name, is kept (then k->n counts it). */
bool swl_fields_keep(struct swl_fields_kept *k, struct swl_str name);

/* Build ev from n fields, which it borrows (they must not be ev's own). time_us: the entry's
 * time when no __REALTIME_TIMESTAMP field gives one (0: unknown). */
void swl_event_from_fields(struct swl_event *ev, const struct swl_field *fields, size_t n, int64_t time_us);

#endif
