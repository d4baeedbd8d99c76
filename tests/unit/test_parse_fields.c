/* test_parse_fields.c - a journal entry's fields -> event (the journal source's and the
 * examples' one way to build it), and the pid parser every source uses. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "parse_fields.h"

#define T0 INT64_C(1795974712000000)

#define assert_slice(got, want)                                                                          \
	do {                                                                                             \
		struct swl_str g_ = (got);                                                               \
		const char *w_ = (want);                                                                 \
		cr_assert(g_.p != NULL && swl_str_eqc(g_, w_), "%s: got \"%.*s\", want \"%s\"", #got,    \
			  (int)g_.n, g_.p ? g_.p : "(null)", w_);                                        \
	} while (0)

static struct swl_event ev;
static struct swl_field fields[100];
static size_t nfields;

static void add(const char *name, const char *value)
{
	cr_assert_lt(nfields, sizeof(fields) / sizeof(fields[0]));
	fields[nfields++] = (struct swl_field){ swl_str_c(name), swl_str_c(value) };
}

static void build(int64_t time_us)
{
	swl_event_from_fields(&ev, fields, nfields, time_us);
}

static void reset(void)
{
	nfields = 0;
}

TestSuite(fields, .init = reset);

Test(fields, a_journal_entry)
{
	add("_TRANSPORT", "journal");
	add("MESSAGE", "IKE_SA con1[1] established between 192.0.2.1[gw]...198.51.100.7[peer7]");
	add("IKE_SA_NAME", "con1");
	add("SYSLOG_IDENTIFIER", "charon-systemd");
	add("_HOSTNAME", "gw1");
	add("_PID", "1234");
	build(T0);
	cr_assert_eq(ev.time_us, T0);
	assert_slice(ev.msg, "IKE_SA con1[1] established between 192.0.2.1[gw]...198.51.100.7[peer7]");
	assert_slice(ev.program, "charon-systemd");
	assert_slice(ev.host, "gw1");
	cr_assert_eq(ev.pid, 1234);
	/* every field is one of the event's, in order; charon-systemd's message has no prefix */
	cr_assert_eq(ev.nfields, 6);
	for (size_t i = 0; i < nfields; i++) {
		cr_assert_eq(ev.fields[i].name.p, fields[i].name.p);
		cr_assert_eq(ev.fields[i].value.p, fields[i].value.p);
	}
	assert_slice(swl_event_field(&ev, swl_str_c("IKE_SA_NAME")), "con1");
}

Test(fields, nothing_known)
{
	add("PRIORITY", "6");
	build(0);
	cr_assert_eq(ev.time_us, 0);
	cr_assert_null(ev.msg.p, "no MESSAGE: an empty message");
	cr_assert_eq(ev.msg.n, 0);
	cr_assert_null(ev.program.p);
	cr_assert_null(ev.host.p);
	cr_assert_eq(ev.pid, -1);
	cr_assert_eq(ev.nfields, 1);
}

Test(fields, charon_prefix_moves_into_fields)
{
	add("SYSLOG_IDENTIFIER", "charon");
	add("MESSAGE", "16[IKE] <home|3> giving up after 5 retransmits");
	add("SYSLOG_PID", "777");
	build(T0);
	assert_slice(ev.msg, "giving up after 5 retransmits");
	cr_assert_eq(ev.pid, 777);
	assert_slice(swl_event_field(&ev, swl_str_c("THREAD")), "16");
	assert_slice(swl_event_field(&ev, swl_str_c("GROUP")), "IKE");
	assert_slice(swl_event_field(&ev, swl_str_c("IKE_SA_NAME")), "home");
	assert_slice(swl_event_field(&ev, swl_str_c("IKE_SA_UNIQUE_ID")), "3");
	cr_assert_eq(ev.nfields, 3 + 4);
}

Test(fields, program_from_identifier_else_kernel_transport)
{
	add("MESSAGE", "XFRM state");
	add("_TRANSPORT", "kernel");
	build(T0);
	assert_slice(ev.program, "kernel");

	reset();
	add("_TRANSPORT", "kernel");
	add("SYSLOG_IDENTIFIER", "charon");
	build(T0);
	assert_slice(ev.program, "charon");

	reset();
	add("_TRANSPORT", "syslog");
	build(T0);
	cr_assert_null(ev.program.p);
}

Test(fields, pid_from_pid_else_syslog_pid)
{
	add("SYSLOG_PID", "12");
	add("_PID", "7");
	build(T0);
	cr_assert_eq(ev.pid, 7);

	reset();
	add("_PID", "7x");
	add("SYSLOG_PID", "12");
	build(T0);
	cr_assert_eq(ev.pid, 12, "a _PID that is no pid leaves SYSLOG_PID");

	reset();
	add("_PID", "");
	add("SYSLOG_PID", "-3");
	build(T0);
	cr_assert_eq(ev.pid, -1);
}

Test(fields, the_first_of_a_name_counts)
{
	add("MESSAGE", "first");
	add("_HOSTNAME", "a");
	add("MESSAGE", "second");
	add("_HOSTNAME", "b");
	build(T0);
	assert_slice(ev.msg, "first");
	assert_slice(ev.host, "a");
	cr_assert_eq(ev.nfields, 4);
}

Test(fields, realtime_timestamp_field_gives_the_time)
{
	add("__REALTIME_TIMESTAMP", "1700000000123456");
	build(T0);
	cr_assert_eq(ev.time_us, INT64_C(1700000000123456));

	static const char *const bad[] = { "", "17e15", "-1", " 1", "9223372036854775808", "12345678901234567890" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		add("__REALTIME_TIMESTAMP", bad[i]);
		build(T0);
		cr_assert_eq(ev.time_us, T0, "'%s' is no time: the caller's stays", bad[i]);
	}
	reset();
	add("__REALTIME_TIMESTAMP", "9223372036854775807");
	build(T0);
	cr_assert_eq(ev.time_us, INT64_MAX);
}

/* The event holds SWL_EVENT_MAX_FIELDS fields (less the charon prefix's four for charon); the
 * fields it is built from count wherever they are. */
Test(fields, bounded_and_keys_past_the_room)
{
	static char names[80][8];
	for (int i = 0; i < 80; i++) {
		snprintf(names[i], sizeof(names[i]), "X_%02d", i);
		add(names[i], "v");
	}
	add("MESSAGE", "m");
	add("SYSLOG_IDENTIFIER", "sshd");
	build(T0);
	assert_slice(ev.msg, "m");
	assert_slice(ev.program, "sshd");
	cr_assert_eq(ev.nfields, SWL_EVENT_MAX_FIELDS);
	assert_slice(ev.fields[SWL_EVENT_MAX_FIELDS - 1].name, "X_63");

	reset();
	for (int i = 0; i < 80; i++)
		add(names[i], "v");
	add("MESSAGE", "09[IKE] <c|1> m");
	add("SYSLOG_IDENTIFIER", "charon");
	build(T0);
	assert_slice(ev.msg, "m");
	cr_assert_eq(ev.nfields, SWL_EVENT_MAX_FIELDS);
	assert_slice(ev.fields[SWL_EVENT_MAX_FIELDS - 5].name, "X_59");
	assert_slice(swl_event_field(&ev, swl_str_c("IKE_SA_NAME")), "c");
}

Test(fields, key_names)
{
	static const char *const keys[] = { "MESSAGE", "_HOSTNAME", "SYSLOG_IDENTIFIER", "_PID",
					    "SYSLOG_PID", "_TRANSPORT", "__REALTIME_TIMESTAMP" };
	cr_assert_eq(sizeof(keys) / sizeof(keys[0]), SWL_FIELDS_NKEYS);
	bool seen[SWL_FIELDS_NKEYS] = { false };
	for (size_t i = 0; i < SWL_FIELDS_NKEYS; i++) {
		int k = swl_fields_key(swl_str_c(keys[i]));
		cr_assert(k >= 0 && k < SWL_FIELDS_NKEYS && !seen[k], "%s: %d", keys[i], k);
		seen[k] = true;
	}
	static const char *const others[] = { "", "MESSAGE_ID", "message", "_PID ", "PID", "IKE_SA_NAME" };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		cr_assert_eq(swl_fields_key(swl_str_c(others[i])), -1, "'%s'", others[i]);
}

Test(pid, one_to_eighteen_digits)
{
	cr_assert_eq(swl_pid_parse(swl_str_c("0")), 0);
	cr_assert_eq(swl_pid_parse(swl_str_c("1234")), 1234);
	cr_assert_eq(swl_pid_parse(swl_str_c("007")), 7);
	cr_assert_eq(swl_pid_parse(swl_str_c("999999999999999999")), 999999999999999999L);
	static const char *const bad[] = { "", "-", "-1", "+1", " 1", "1 ", "12a", "0x10", "1234567890123456789" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(swl_pid_parse(swl_str_c(bad[i])), -1, "'%s'", bad[i]);
	cr_assert_eq(swl_pid_parse((struct swl_str){ "12]", 2 }), 12, "a slice, not a string");
	cr_assert_eq(swl_pid_parse(SWL_STR_NULL), -1);
}
