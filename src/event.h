/* event.h - one log entry, as the parsers hand it to the rules.
 *
 * Every string is a slice borrowed from the source's line or journal entry buffer: an event
 * is valid only until the source reads the next one. Nothing here allocates.
 */
#ifndef SWL_EVENT_H
#define SWL_EVENT_H

#include "util.h"

#define SWL_EVENT_MAX_FIELDS 64

struct swl_field {
	struct swl_str name, value;
};

struct swl_event {
	int64_t time_us;          /* log time, microseconds since the epoch; 0 when unknown */
	struct swl_str host;      /* empty when the line names none (charon's file logger) */
	struct swl_str program;   /* syslog tag / SYSLOG_IDENTIFIER, without "[pid]" */
	long pid;                 /* -1 when none */
	struct swl_str msg;       /* the message, without the charon "NN[GRP] <conn|uid> " prefix */
	size_t nfields;
	/* Named fields: journal fields, and what the charon prefix tells
	 * (THREAD, GROUP, IKE_SA_NAME, IKE_SA_UNIQUE_ID), as in charon-systemd's journal. */
	struct swl_field fields[SWL_EVENT_MAX_FIELDS];
};

/* The value of field `name`, or an empty slice with p == NULL when absent. */
struct swl_str swl_event_field(const struct swl_event *ev, struct swl_str name);
/* Add a field; silently ignored past SWL_EVENT_MAX_FIELDS (bounded by design). */
void swl_event_add_field(struct swl_event *ev, const char *name, struct swl_str value);

/* A pid as logs write it (RFC 5424 PROCID, journal _PID and SYSLOG_PID): 1 to 18 decimal
 * digits, which fit a long; anything else is no pid, -1. */
long swl_pid_parse(struct swl_str s);

#endif
