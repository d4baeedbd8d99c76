/* event.c - named fields of an event: a small array, scanned linearly (a few dozen at most). */
#include "event.h"

struct swl_str swl_event_field(const struct swl_event *ev, struct swl_str name)
{
	size_t n = ev->nfields < SWL_EVENT_MAX_FIELDS ? ev->nfields : SWL_EVENT_MAX_FIELDS;
	/* length and first byte tell most names apart without a call to memcmp */
	for (size_t i = 0; i < n; i++) {
		struct swl_str f = ev->fields[i].name;
		if (f.n == name.n && (!f.n || (f.p[0] == name.p[0] && memcmp(f.p, name.p, f.n) == 0)))
			return ev->fields[i].value;
	}
	return SWL_STR_NULL;
}

void swl_event_add_field(struct swl_event *ev, const char *name, struct swl_str value)
{
	if (ev->nfields >= SWL_EVENT_MAX_FIELDS)
		return;
	/* A present but empty field must stay distinguishable from an absent one (p == NULL). */
	if (!value.p)
		value = (struct swl_str){ "", 0 };
	ev->fields[ev->nfields].name = swl_str_c(name);
	ev->fields[ev->nfields].value = value;
	ev->nfields++;
}

long swl_pid_parse(struct swl_str s)
{
	if (s.n == 0 || s.n > 18)
		return -1;
	long pid = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		pid = pid * 10 + (s.p[i] - '0');
	}
	return pid;
}
