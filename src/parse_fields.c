/* parse_fields.c - journal fields -> event: the few that say who and when, and all as fields. */
#include "parse_fields.h"

#include "parse_syslog.h"

/* Room kept free for the fields that the charon prefix adds (THREAD, GROUP, IKE_SA_*). */
#define PREFIX_FIELDS 4

enum { MESSAGE, HOSTNAME, IDENT, PID, SYSLOG_PID, TRANSPORT, REALTIME };

static const char *const keys[SWL_FIELDS_NKEYS] = { "MESSAGE", "_HOSTNAME", "SYSLOG_IDENTIFIER", "_PID",
						     "SYSLOG_PID", "_TRANSPORT", "__REALTIME_TIMESTAMP" };

int swl_fields_key(struct swl_str name)
{
	for (int k = 0; k < SWL_FIELDS_NKEYS; k++)
		if (swl_str_eqc(name, keys[k]))
			return k;
	return -1;
}

bool swl_fields_keep(struct swl_fields_kept *k, struct swl_str name)
{
	if (k->n >= SWL_EVENT_MAX_FIELDS) {
		int key = swl_fields_key(name);
		if (key < 0 || k->key[key])
			return false;
		k->key[key] = true;
	}
	k->n++;
	return true;
}

/* Decimal microseconds that fit an int64_t, or false. */
static bool parse_usec(struct swl_str s, int64_t *out)
{
	if (s.n == 0 || s.n > 19)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0'); /* 19 digits fit a uint64_t */
	}
	if (v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

void swl_event_from_fields(struct swl_event *ev, const struct swl_field *fields, size_t n, int64_t time_us)
{
	struct swl_str key[SWL_FIELDS_NKEYS];
	bool have[SWL_FIELDS_NKEYS] = { false };
	for (size_t i = 0; i < n; i++) {
		int k = swl_fields_key(fields[i].name);
		if (k >= 0 && !have[k]) {
			key[k] = fields[i].value;
			have[k] = true;
		}
	}
	*ev = (struct swl_event){ .time_us = time_us, .pid = -1 };
	if (have[REALTIME])
		parse_usec(key[REALTIME], &ev->time_us);
	if (have[MESSAGE])
		ev->msg = key[MESSAGE];
	if (have[HOSTNAME])
		ev->host = key[HOSTNAME];
	if (have[IDENT])
		ev->program = key[IDENT];
	else if (have[TRANSPORT] && swl_str_eqc(key[TRANSPORT], "kernel"))
		ev->program = swl_str_c("kernel");
	if (have[PID])
		ev->pid = swl_pid_parse(key[PID]);
	if (ev->pid < 0 && have[SYSLOG_PID])
		ev->pid = swl_pid_parse(key[SYSLOG_PID]);

	bool charon = swl_is_charon(ev->program);
	if (!charon && swl_has_charon_marker(ev->msg)) {
		/* charon logging through syslog under another identifier ("ipsec", a custom one) */
		ev->program = swl_str_c("charon");
		charon = true;
	}
	size_t max = SWL_EVENT_MAX_FIELDS - (charon ? PREFIX_FIELDS : 0);
	for (size_t i = 0; i < n && ev->nfields < max; i++)
		ev->fields[ev->nfields++] = fields[i];
	/* charon logging through syslog into the journal keeps its "NN[GRP] <conn|uid> " prefix */
	if (charon)
		swl_parse_charon_prefix(ev);
}
