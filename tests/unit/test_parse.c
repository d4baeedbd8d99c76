/* test_parse.c - syslog header forms, charon prefixes, year/zone completion, hostile input.
 * Lines come from the corpus (shared/corpus/logs), copied verbatim. Times are UTC unless a
 * test sets TZ itself (criterion runs each test in its own process). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "parse_syslog.h"

/* 2026-11-29 17:51:52 UTC, the corpus' first scenario */
#define T_1751_52 1795974712LL
#define US 1000000LL

#define assert_slice(got, want)                                                                   \
	do {                                                                                      \
		struct swl_str g_ = (got);                                                        \
		const char *w_ = (want);                                                          \
		cr_assert(g_.p != NULL && g_.n == strlen(w_) && memcmp(g_.p, w_, g_.n) == 0,      \
			  "%s: got \"%.*s\" (%zu bytes), want \"%s\"", #got, (int)g_.n,           \
			  g_.p ? g_.p : "(null)", g_.n, w_);                                      \
	} while (0)

#define assert_none(got)                                                                          \
	do {                                                                                      \
		struct swl_str g_ = (got);                                                        \
		cr_assert(g_.p == NULL && g_.n == 0, "%s: want absent, got \"%.*s\"", #got,       \
			  (int)g_.n, g_.p ? g_.p : "");                                           \
	} while (0)

#define assert_field(ev, name, want) assert_slice(swl_event_field((ev), swl_str_c(name)), want)
#define assert_no_field(ev, name) assert_none(swl_event_field((ev), swl_str_c(name)))

static struct swl_parser ps;
static struct swl_event ev;

/* Pinned to the corpus year, so time values do not depend on the clock. */
static int parse(const char *line)
{
	return swl_parse_line(&ps, line, strlen(line), &ev);
}

/* Independent of the caller's TZ (ctest sets UTC; a developer's shell may not). */
static void setup_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static void setup_2026(void)
{
	setup_utc();
	swl_parser_init(&ps, 2026, 0);
}

TestSuite(parse, .init = setup_2026);
TestSuite(year, .init = setup_utc);
TestSuite(layouts, .init = setup_2026);

/* --- events ------------------------------------------------------------------------------ */

Test(event, fields_add_and_lookup)
{
	struct swl_event e = { .pid = -1 };
	assert_none(swl_event_field(&e, swl_str_c("GROUP")));
	swl_event_add_field(&e, "GROUP", swl_str_c("IKE"));
	swl_event_add_field(&e, "EMPTY", SWL_STR_NULL);
	assert_field(&e, "GROUP", "IKE");
	assert_field(&e, "EMPTY", ""); /* present but empty stays distinguishable */
	assert_no_field(&e, "GROUPS");
	assert_no_field(&e, "GROU");
	cr_assert_eq(e.nfields, 2);
}

Test(event, fields_bounded)
{
	static struct swl_event e;
	for (int i = 0; i < SWL_EVENT_MAX_FIELDS + 10; i++)
		swl_event_add_field(&e, i < SWL_EVENT_MAX_FIELDS ? "F" : "LATE", swl_str_c("v"));
	cr_assert_eq(e.nfields, SWL_EVENT_MAX_FIELDS);
	assert_field(&e, "F", "v");
	assert_no_field(&e, "LATE");
}

/* --- header forms ------------------------------------------------------------------------- */

Test(parse, charon_file_logger_conn_uid)
{
	cr_assert_eq(parse("Nov 29 17:51:52 09[IKE] <con1|1> queueing IKE_VENDOR task"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "queueing IKE_VENDOR task");
	cr_assert_eq(ev.nfields, 4);
	assert_field(&ev, "THREAD", "9");
	assert_field(&ev, "GROUP", "IKE");
	assert_field(&ev, "IKE_SA_NAME", "con1");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "1");
}

Test(parse, charon_file_logger_uid_only)
{
	cr_assert_eq(parse("Nov 29 17:52:17 16[NET] <3> received packet: from 198.18.1.1[4500] to "
			   "198.18.1.2[4500] (464 bytes)"),
		     0);
	cr_assert_eq(ev.time_us, (T_1751_52 + 25) * US);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "received packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (464 bytes)");
	cr_assert_eq(ev.nfields, 3);
	assert_field(&ev, "THREAD", "16");
	assert_field(&ev, "GROUP", "NET");
	assert_no_field(&ev, "IKE_SA_NAME");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "3");
}

Test(parse, charon_file_logger_no_sa)
{
	cr_assert_eq(parse("Nov 29 17:51:52 11[CFG] vici client 5 connected"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "vici client 5 connected");
	cr_assert_eq(ev.nfields, 2);
	assert_field(&ev, "THREAD", "11");
	assert_field(&ev, "GROUP", "CFG");
}

Test(parse, charon_file_logger_milliseconds)
{
	/* filelog time_add_ms = yes */
	cr_assert_eq(parse("Nov 29 17:51:52.123 11[CFG] vici client 5 connected"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 123000);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "vici client 5 connected");
}

Test(parse, charon_bare_without_time)
{
	/* filelog without time_format */
	cr_assert_eq(parse("09[IKE] <con1|1> initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	cr_assert_eq(ev.time_us, 0);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
	assert_field(&ev, "IKE_SA_NAME", "con1");
}

Test(parse, rfc3164_debian_no_pid)
{
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
	cr_assert_eq(ev.nfields, 2);
	assert_field(&ev, "THREAD", "9");
	assert_field(&ev, "GROUP", "IKE");
	assert_no_field(&ev, "IKE_SA_NAME");
	assert_no_field(&ev, "IKE_SA_UNIQUE_ID");
}

Test(parse, rfc3164_pid_and_conn)
{
	cr_assert_eq(parse("Nov 29 17:51:52 sun charon[10467]: 03[CFG] <con1|1> selected peer config 'con1'"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "sun");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 10467);
	assert_slice(ev.msg, "selected peer config 'con1'");
	cr_assert_eq(ev.nfields, 4);
	assert_field(&ev, "THREAD", "3");
	assert_field(&ev, "GROUP", "CFG");
	assert_field(&ev, "IKE_SA_NAME", "con1");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "1");
}

Test(parse, journal_short_charon_systemd)
{
	cr_assert_eq(parse("Nov 29 17:51:43 carol charon-systemd[10492]: providers loaded by OpenSSL: legacy default"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 9) * US);
	assert_slice(ev.host, "carol");
	assert_slice(ev.program, "charon-systemd");
	cr_assert_eq(ev.pid, 10492);
	assert_slice(ev.msg, "providers loaded by OpenSSL: legacy default");
	cr_assert_eq(ev.nfields, 0);
}

Test(parse, journal_short_other_program)
{
	cr_assert_eq(parse("Nov 29 17:51:42 carol systemd-journald[10498]: Runtime Journal "
			   "(/run/log/journal/3d1219c7c4c5404aaa1f6d2a48adfda4) is 8.0M, max 4.0G, 3.9G free."),
		     0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 10) * US);
	assert_slice(ev.host, "carol");
	assert_slice(ev.program, "systemd-journald");
	cr_assert_eq(ev.pid, 10498);
	assert_slice(ev.msg, "Runtime Journal (/run/log/journal/3d1219c7c4c5404aaa1f6d2a48adfda4) is 8.0M, max 4.0G, 3.9G free.");
	cr_assert_eq(ev.nfields, 0);
}

Test(parse, journal_short_precise_and_iso)
{
	/* journalctl -o short-precise, -o short-iso, -o short-iso-precise */
	cr_assert_eq(parse("Nov 29 17:51:43.869804 carol charon-systemd[10492]: created TUN device: ipsec0"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 9) * US + 869804);
	assert_slice(ev.host, "carol");
	assert_slice(ev.program, "charon-systemd");
	cr_assert_eq(ev.pid, 10492);
	assert_slice(ev.msg, "created TUN device: ipsec0");
	cr_assert_eq(parse("2026-11-29T17:51:43+0000 carol charon-systemd[10492]: created TUN device: ipsec0"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 9) * US);
	assert_slice(ev.msg, "created TUN device: ipsec0");
	cr_assert_eq(parse("2026-11-29T18:51:43.869804+01:00 carol charon-systemd[10492]: created TUN device: ipsec0"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 9) * US + 869804);
	assert_slice(ev.host, "carol");
}

Test(parse, kernel_netfilter)
{
	cr_assert_eq(parse("Nov 29 17:54:29 vm kernel: [  819.001273] IKE-IN: IN=eth0 OUT= "
			   "MAC=6e:69:e3:e9:31:47:1e:96:a4:cf:80:cb:08:00 SRC=198.18.1.16 DST=198.18.1.1 "
			   "LEN=525 TOS=0x00 PREC=0x00 TTL=64 ID=2016 DF PROTO=UDP SPT=500 DPT=500 LEN=505 "),
		     0);
	cr_assert_eq(ev.time_us, 1795974869LL * US);
	assert_slice(ev.host, "vm");
	assert_slice(ev.program, "kernel");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "[  819.001273] IKE-IN: IN=eth0 OUT= MAC=6e:69:e3:e9:31:47:1e:96:a4:cf:80:cb:08:00 "
			     "SRC=198.18.1.16 DST=198.18.1.1 LEN=525 TOS=0x00 PREC=0x00 TTL=64 ID=2016 DF "
			     "PROTO=UDP SPT=500 DPT=500 LEN=505"); /* the line's last space is dropped */
	cr_assert_eq(ev.nfields, 0);
}

Test(parse, kernel_audit)
{
	cr_assert_eq(parse("Nov 29 17:58:14 gw kernel: [ 1043.968333] audit: type=1415 "
			   "audit(1795975094.472:4): op=SAD-delete src=198.18.1.1 dst=198.18.1.2 "
			   "spi=3472907415(0xcf005c97) res=1"),
		     0);
	cr_assert_eq(ev.time_us, 1795975094LL * US);
	assert_slice(ev.host, "gw");
	assert_slice(ev.program, "kernel");
	assert_slice(ev.msg, "[ 1043.968333] audit: type=1415 audit(1795975094.472:4): op=SAD-delete "
			     "src=198.18.1.1 dst=198.18.1.2 spi=3472907415(0xcf005c97) res=1");
}

Test(parse, rfc3164_with_pri)
{
	cr_assert_eq(parse("<30>Nov 29 17:51:52 moon charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
}

Test(parse, rfc3164_day_padding)
{
	/* 2026-11-03 17:51:52 UTC */
	int64_t want = (T_1751_52 - 26 * 86400) * US;
	cr_assert_eq(parse("Nov  3 17:51:52 moon charon: 09[IKE] x"), 0);
	cr_assert_eq(ev.time_us, want);
	assert_slice(ev.host, "moon");
	assert_slice(ev.msg, "x");
	cr_assert_eq(parse("Nov 3 17:51:52 moon charon: 09[IKE] x"), 0);
	cr_assert_eq(ev.time_us, want);
	assert_slice(ev.host, "moon");
	cr_assert_eq(parse("Nov 03 17:51:52 moon charon: 09[IKE] x"), 0);
	cr_assert_eq(ev.time_us, want);
}

Test(parse, rfc3164_every_month)
{
	static const char *const names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	for (int m = 0; m < 12; m++) {
		char line[64];
		swl_parser_init(&ps, 2026, 0);
		snprintf(line, sizeof(line), "%s 15 00:00:00 h p: m", names[m]);
		cr_assert_eq(parse(line), 0, "%s", line);
		struct tm tm = { .tm_year = 126, .tm_mon = m, .tm_mday = 15 };
		cr_assert_eq(ev.time_us, (int64_t)timegm(&tm) * US, "%s", line);
	}
	cr_assert_eq(parse("Jux 15 00:00:00 h p: m"), -EINVAL);
	cr_assert_eq(parse("nov 15 00:00:00 h p: m"), -EINVAL);
}

Test(parse, rfc3164_tag_without_host)
{
	cr_assert_eq(parse("Nov 29 17:51:52 charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
}

Test(parse, rfc3164_host_without_tag)
{
	cr_assert_eq(parse("Nov 29 17:51:52 moon -- MARK --"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "moon");
	assert_none(ev.program);
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "-- MARK --");
}

Test(parse, rfc3164_ipv6_host)
{
	cr_assert_eq(parse("Nov 29 17:51:52 fe80::1 charon[7]: 09[IKE] x"), 0);
	assert_slice(ev.host, "fe80::1");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 7);
	assert_slice(ev.msg, "x");
}

Test(parse, rfc3164_odd_pids)
{
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[abc]: 09[IKE] x"), 0);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "x");
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[]: hello"), 0);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "hello");
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[99999999999999999999999999]: hello"), 0);
	cr_assert_eq(ev.pid, -1);
	cr_assert_eq(parse("Nov 29 17:51:52 moon postfix/smtpd[123]:"), 0);
	assert_slice(ev.program, "postfix/smtpd");
	cr_assert_eq(ev.pid, 123);
	assert_slice(ev.msg, "");
	/* an unclosed pid is no tag: the rest is the message */
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[12 x: y"), 0);
	assert_none(ev.program);
	assert_slice(ev.msg, "charon[12 x: y");
}

Test(parse, rfc3339_fraction_offset_zero)
{
	cr_assert_eq(parse("2026-11-29T17:51:52.304533+00:00 moon charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 304533);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
	assert_field(&ev, "THREAD", "9");
	assert_field(&ev, "GROUP", "IKE");
}

Test(parse, rfc3339_zulu_and_offsets)
{
	cr_assert_eq(parse("2026-11-29T17:51:52Z sun charon[10467]: 12[IKE] <con1|1> x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "sun");
	cr_assert_eq(ev.pid, 10467);
	assert_slice(ev.msg, "x");
	assert_field(&ev, "IKE_SA_NAME", "con1");

	cr_assert_eq(parse("2026-11-29T19:51:52.5+02:00 sun charon: 12[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 500000);
	cr_assert_eq(parse("2026-11-29T12:21:52-05:30 sun charon: 12[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	cr_assert_eq(parse("2026-11-29T18:51:52+0100 sun charon: 12[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	/* more than microsecond precision: extra digits are dropped */
	cr_assert_eq(parse("2026-11-29t17:51:52.123456789z sun charon: 12[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 123456);
	/* across a date boundary and a leap day */
	cr_assert_eq(parse("2028-02-29T23:30:00-01:00 h p: m"), 0);
	cr_assert_eq(ev.time_us, 1835483400LL * US);
}

Test(parse, rfc3339_charon_file_logger)
{
	cr_assert_eq(parse("2026-11-29T17:51:52+00:00 09[IKE] <con1|1> queueing IKE_INIT task"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "queueing IKE_INIT task");
}

Test(parse, rfc3339_invalid)
{
	const char *bad[] = {
		"2026-13-29T17:51:52Z moon charon: x",   "2026-11-32T17:51:52Z moon charon: x",
		"2026-11-29T24:51:52Z moon charon: x",   "2026-11-29T17:51:52+24:00 moon charon: x",
		"2026-11-29T17:51:52.Z moon charon: x",  "2026-11-29T17:51:52Z",
		"2026-11-29T17:51:52Z moon",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), -EINVAL, "%s", bad[i]);
		assert_slice(ev.msg, bad[i]);
		cr_assert_eq(ev.time_us, 0);
	}
	/* a space where the 'T' is, no zone (local time: UTC here): the layouts people save */
	cr_assert_eq(parse("2026-11-29 17:51:52Z moon charon: x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	cr_assert_eq(parse("2026-11-29T17:51:52 moon charon: x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "moon");
	/* the space after the time was the line's last byte, and is dropped */
	cr_assert_eq(parse("2026-11-29T17:51:52Z "), -EINVAL);
	assert_slice(ev.msg, "2026-11-29T17:51:52Z");
}

Test(parse, rfc5424_full)
{
	cr_assert_eq(parse("<30>1 2026-11-29T17:51:52.304533+00:00 moon charon 10467 - "
			   "[meta sequenceId=\"1\"] \xEF\xBB\xBF"
			   "09[IKE] <con1|1> initiating IKE_SA con1[1] to 198.18.1.2"),
		     0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 304533);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 10467);
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
	cr_assert_eq(ev.nfields, 5);
	assert_field(&ev, "SYSLOG_FACILITY", "3"); /* <30>: daemon, info */
	assert_field(&ev, "THREAD", "9");
	assert_field(&ev, "GROUP", "IKE");
	assert_field(&ev, "IKE_SA_NAME", "con1");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "1");
}

Test(parse, rfc5424_nilvalues)
{
	cr_assert_eq(parse("<165>1 - - - - - - hello world"), 0);
	cr_assert_eq(ev.time_us, 0);
	assert_none(ev.host);
	assert_none(ev.program);
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "hello world");

	cr_assert_eq(parse("<13>1 2026-11-29T17:51:52Z moon charon - ID47 -"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "");
}

Test(parse, rfc5424_structured_data)
{
	/* several elements, escaped '\]', '\"' and '\\', a ']' inside quotes */
	cr_assert_eq(parse("<165>1 2026-11-29T17:51:52.003Z gw.example.com evntslog 42 ID47 "
			   "[exampleSDID@32473 iut=\"3\" eventSource=\"App\\]lication\" eventID=\"1011\"]"
			   "[examplePriority@32473 class=\"high\\\"q\\\\\" x=\"a]b\"] An application event"),
		     0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 3000);
	assert_slice(ev.host, "gw.example.com");
	assert_slice(ev.program, "evntslog");
	cr_assert_eq(ev.pid, 42);
	assert_slice(ev.msg, "An application event");
	cr_assert_eq(ev.nfields, 1);
	assert_field(&ev, "SYSLOG_FACILITY", "20"); /* <165>: local4, notice */

	/* structured data and no message */
	cr_assert_eq(parse("<165>1 2026-11-29T17:51:52Z h app 1 - [a b=\"c\"]"), 0);
	assert_slice(ev.msg, "");

	/* non-numeric PROCID */
	cr_assert_eq(parse("<165>1 2026-11-29T17:51:52Z h app worker-3 - - m"), 0);
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "m");
}

Test(parse, rfc5424_invalid)
{
	const char *bad[] = {
		"<165>1 2026-11-29T17:51:52Z h app 1 - [unterminated x=\"]\" m",
		"<165>1 2026-11-29T17:51:52Z h app 1 - [a]x m",
		"<165>1 2026-11-29T17:51:52Z h app 1 - x m",
		"<165>1 2026-11-29T17:51:52Z h app 1",
		"<165>1 junk h app 1 - - m",
		"<165>1 2026-11-29T17:51:52Z h app 1 - [a b=\"c\\",
		"<192>1 - - - - - - m",
		"<1234>1 - - - - - - m",
		"<>1 - - - - - - m",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), -EINVAL, "%s", bad[i]);
		assert_slice(ev.msg, bad[i]);
		assert_none(ev.host);
		assert_none(ev.program);
		cr_assert_eq(ev.pid, -1);
		cr_assert_eq(ev.time_us, 0);
	}
}

/* --- charon prefixes ---------------------------------------------------------------------- */

static void set_msg(struct swl_event *e, const char *msg)
{
	e->nfields = 0;
	e->msg = swl_str_c(msg);
}

Test(charon_prefix, variants)
{
	static struct swl_event e;
	set_msg(&e, "09[IKE] <con1|1> initiating IKE_SA con1[1] to 198.18.1.2");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
	cr_assert_eq(e.nfields, 4);
	assert_field(&e, "THREAD", "9");
	assert_field(&e, "GROUP", "IKE");
	assert_field(&e, "IKE_SA_NAME", "con1");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "1");

	set_msg(&e, "16[NET] <3> received packet");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "received packet");
	cr_assert_eq(e.nfields, 3);
	assert_field(&e, "THREAD", "16");
	assert_field(&e, "GROUP", "NET");
	assert_no_field(&e, "IKE_SA_NAME");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "3");

	set_msg(&e, "00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)");
	cr_assert_eq(e.nfields, 2);
	assert_field(&e, "THREAD", "0");
	assert_field(&e, "GROUP", "DMN");

	/* conn names may hold anything but '|' and '>' */
	set_msg(&e, "123[KNL] <my conn-1.x<[]:|42> x");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "x");
	assert_field(&e, "THREAD", "123");
	assert_field(&e, "GROUP", "KNL");
	assert_field(&e, "IKE_SA_NAME", "my conn-1.x<[]:");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "42");
	/* "c d|42" is not a unique id: the SA prefix is left in the message */
	set_msg(&e, "123[KNL] <a b|c d|42> x");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "<a b|c d|42> x");
	assert_no_field(&e, "IKE_SA_NAME");
	assert_no_field(&e, "IKE_SA_UNIQUE_ID");
}

Test(charon_prefix, journal_message_untouched)
{
	static struct swl_event e;
	set_msg(&e, "initiating IKE_SA home[1] to 198.18.1.1");
	swl_event_add_field(&e, "IKE_SA_NAME", swl_str_c("home"));
	swl_event_add_field(&e, "GROUP", swl_str_c("IKE"));
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "initiating IKE_SA home[1] to 198.18.1.1");
	cr_assert_eq(e.nfields, 2);

	/* fields the journal already has are not added twice */
	set_msg(&e, "09[IKE] <home|1> x");
	swl_event_add_field(&e, "IKE_SA_NAME", swl_str_c("home"));
	swl_event_add_field(&e, "THREAD", swl_str_c("9"));
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "x");
	cr_assert_eq(e.nfields, 4);
	assert_field(&e, "GROUP", "IKE");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "1");

	e.msg = SWL_STR_NULL;
	e.nfields = 0;
	swl_parse_charon_prefix(&e);
	cr_assert_eq(e.nfields, 0);
}

Test(charon_prefix, malformed)
{
	static const char *const keep[] = {
		"9[IKE] x",  "09[IK] x", "09[ike] x", "09[IKE]x", "09[IKE]", "09(IKE) x", "", "0", "09[",
		"[XYZ] x", "[IKE]x", "[IKE]", "[IK] x", "[IKE12] x", "09[IKE12] x",
	};
	static struct swl_event e;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		set_msg(&e, keep[i]);
		swl_parse_charon_prefix(&e);
		assert_slice(e.msg, keep[i]);
		cr_assert_eq(e.nfields, 0, "%s", keep[i]);
	}
	/* thread and group parsed, the SA part malformed: it stays in the message */
	static const char *const sa[] = {
		"<con1|> x", "<con1|1x> x", "<con1|1>x", "<> x", "<con1 x", "<con1|1", "<|> x", "<",
	};
	for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "09[IKE] %s", sa[i]);
		set_msg(&e, line);
		swl_parse_charon_prefix(&e);
		assert_slice(e.msg, sa[i]);
		cr_assert_eq(e.nfields, 2, "%s", line);
	}
	/* empty conn name: unique id only; the SA prefix at the very end */
	set_msg(&e, "09[IKE] <|5> x");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "x");
	assert_no_field(&e, "IKE_SA_NAME");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "5");
	set_msg(&e, "09[IKE] <c|5>");
	swl_parse_charon_prefix(&e);
	assert_slice(e.msg, "");
	assert_field(&e, "IKE_SA_NAME", "c");
}

Test(charon_prefix, long_conn_name_bounded)
{
	static char line[1024];
	static struct swl_event e;
	memcpy(line, "09[IKE] <", 9);
	memset(line + 9, 'a', 500);
	memcpy(line + 509, "|1> x", 6);
	set_msg(&e, line);
	swl_parse_charon_prefix(&e);
	/* longer than charon's own buffer: not its prefix */
	cr_assert_eq(e.msg.p, line + 8);
	cr_assert_eq(e.nfields, 2);
}

Test(charon_prefix, is_charon)
{
	cr_assert(swl_is_charon(swl_str_c("charon")));
	cr_assert(swl_is_charon(swl_str_c("charon-systemd")));
	cr_assert_not(swl_is_charon(swl_str_c("charon-")));
	cr_assert_not(swl_is_charon(swl_str_c("charo")));
	cr_assert_not(swl_is_charon(swl_str_c("kernel")));
	cr_assert_not(swl_is_charon(SWL_STR_NULL));
}

/* charon's marker makes a line charon's, whatever its program is called (OpenWrt's
 * "strongswan", "ipsec", charon.syslog.identifier); a group charon does not have does not. */
Test(parse, other_program_with_marker_is_charon)
{
	cr_assert_eq(parse("Nov 29 17:51:52 moon ipsec[4321]: 09[IKE] <con1|1> x"), 0);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 4321);
	assert_slice(ev.msg, "x");
	cr_assert_eq(ev.nfields, 4);
	assert_field(&ev, "THREAD", "9");
	assert_field(&ev, "GROUP", "IKE");
	assert_field(&ev, "IKE_SA_NAME", "con1");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "1");
	cr_assert_eq(parse("Nov 29 17:51:52 gw vpn-gw: 11[CFG] vici client 5 connected"), 0);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "vici client 5 connected");
	/* swanctl --initiate piped to logger: "[GRP] " alone */
	cr_assert_eq(parse("Nov 29 17:51:52 gw vpn: [IKE] initiating IKE_SA home[1] to 198.18.1.1"), 0);
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "initiating IKE_SA home[1] to 198.18.1.1");
	cr_assert_eq(ev.nfields, 1);
	assert_field(&ev, "GROUP", "IKE");
	assert_no_field(&ev, "THREAD");
	static const char *const keep[] = {
		"Nov 29 17:51:52 moon app: 09[XYZ] <con1|1> x",
		"Nov 29 17:51:52 moon app: [ERR] x",
		"Nov 29 17:51:52 moon app: 9[IKE] x",
		"Nov 29 17:51:52 moon kernel: [  661.693301] x",
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		cr_assert_eq(parse(keep[i]), 0);
		cr_assert(!swl_str_eqc(ev.program, "charon"), "%s", keep[i]);
		cr_assert_eq(ev.nfields, 0, "%s", keep[i]);
	}
}

Test(parse, event_reused_between_lines)
{
	cr_assert_eq(parse("Nov 29 17:51:52 sun charon[10467]: 03[CFG] <con1|1> selected peer config 'con1'"), 0);
	cr_assert_eq(ev.nfields, 4);
	cr_assert_eq(parse("Nov 29 17:51:52 vm kernel: [  661.693301] x"), 0);
	cr_assert_eq(ev.nfields, 0);
	cr_assert_eq(ev.pid, -1);
	cr_assert_eq(parse("garbage"), -EINVAL);
	cr_assert_eq(ev.nfields, 0);
}

/* --- years and zones ---------------------------------------------------------------------- */

Test(year, pinned_and_rollover)
{
	swl_parser_init(&ps, 2026, 0);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US);
	/* a late line a month back is no new year */
	cr_assert_eq(parse("Nov 30 23:59:58 moon charon: 09[IKE] b"), 0);
	cr_assert_eq(ev.time_us, (1798761599LL - 31 * 86400 - 1) * US);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	cr_assert_eq(parse("Jan  1 00:00:02 moon charon: 09[IKE] d"), 0);
	cr_assert_eq(ev.time_us, 1798761602LL * US);
	/* unparsed lines do not touch the year state */
	cr_assert_eq(parse("Dec 31 23:59:59"), -EINVAL);
	cr_assert_eq(parse("Jan  1 00:00:03 moon charon: 09[IKE] e"), 0);
	cr_assert_eq(ev.time_us, 1798761603LL * US);
}

/* A line repeating the previous line's timestamp reuses its time: only when every byte of it
 * and the space after it are equal, and with the year state where a full parse leaves it. */
Test(year, repeated_timestamp_same_as_parsed)
{
	swl_parser_init(&ps, 2026, 0);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US);
	/* same bytes, then a fraction: not the same time */
	cr_assert_eq(parse("Dec 31 23:59:59.250000 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US + 250000);
	cr_assert_eq(parse("Dec 31 23:59:59.250000 sun sshd[7]: b"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US + 250000);
	assert_slice(ev.host, "sun");
	assert_slice(ev.program, "sshd");
	cr_assert_eq(ev.pid, 7);
	/* a shorter fraction sharing the prefix */
	cr_assert_eq(parse("Dec 31 23:59:59.2500001 moon x: y"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US + 250000);
	cr_assert_eq(parse("Dec 31 23:59:59.25 moon x: y"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US + 250000);
	/* the same timestamp without what follows it is still no header, nor a state change */
	cr_assert_eq(parse("Dec 31 23:59:59.25"), -EINVAL);
	cr_assert_eq(parse("Dec 31 23:59:59.25 "), -EINVAL);
	cr_assert_eq(ev.time_us, 0);
	/* across New Year: the repeated line is in the new year too */
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	/* another second in between, then this one again */
	cr_assert_eq(parse("Jan  1 00:00:05 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761605LL * US);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	/* an RFC 3339 line in between changes nothing */
	cr_assert_eq(parse("2026-06-01T00:00:00Z moon x: y"), 0);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	/* a new file starts afresh (the next file of a pinned series goes on in 2027) */
	swl_parser_next_file(&ps, 0);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	swl_parser_init(&ps, 2026, 0);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, (1798761601LL - 365 * 86400) * US);
}

Test(parse, pid_digits_and_more)
{
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[12a]: x"), 0);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "x");
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[123456789012345678]: x"), 0);
	cr_assert_eq(ev.pid, 123456789012345678L);
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[1234567890123456789]: x"), 0);
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "x");
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[-1]: x"), 0);
	cr_assert_eq(ev.pid, -1);
	/* a space in the brackets: no tag */
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[1 ]: x"), 0);
	assert_none(ev.program);
	/* digits to the end of the line: no tag either */
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon[123"), 0);
	assert_none(ev.program);
	assert_slice(ev.msg, "charon[123");
	/* the host ends at its first space, wherever the name scan stopped */
	cr_assert_eq(parse("Nov 29 17:51:52 fe80::1 sshd[5]: y"), 0);
	assert_slice(ev.host, "fe80::1");
	assert_slice(ev.program, "sshd");
	cr_assert_eq(parse("Nov 29 17:51:52 a[b]c sshd: y"), 0);
	assert_slice(ev.host, "a[b]c");
	assert_slice(ev.program, "sshd");
}

Test(year, from_ref_time)
{
	/* file mtime 2026-11-29 18:00 UTC: a November line is this year */
	swl_parser_init(&ps, 0, (time_t)(T_1751_52 + 488));
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	/* within a day after ref_time is still this year (clock skew) */
	swl_parser_init(&ps, 0, (time_t)(T_1751_52 + 488));
	cr_assert_eq(parse("Nov 30 17:00:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 + 86400 - 52 * 60 + 8) * US);
	/* more than a day in the future: last year's line */
	swl_parser_init(&ps, 0, (time_t)(T_1751_52 + 488));
	cr_assert_eq(parse("Dec 30 10:00:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1767088800LL * US);
}

Test(year, dec_jan_file_read_after_new_year)
{
	/* mtime 2026-01-02 10:00 UTC, lines from 2025-12-30 to 2026-01-02 */
	swl_parser_init(&ps, 0, (time_t)1767348000);
	cr_assert_eq(parse("Dec 30 10:00:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1767088800LL * US);
	cr_assert_eq(parse("Jan  2 10:00:00 moon charon: 09[IKE] b"), 0);
	cr_assert_eq(ev.time_us, 1767348000LL * US);
	/* a new parser seeing only the January line agrees */
	swl_parser_init(&ps, 0, (time_t)1767348000);
	cr_assert_eq(parse("Jan  2 10:00:00 moon charon: 09[IKE] b"), 0);
	cr_assert_eq(ev.time_us, 1767348000LL * US);
}

Test(year, live_follow_across_new_year)
{
	/* ref_time is when following began (Dec 31), lines keep coming after New Year */
	swl_parser_init(&ps, 0, (time_t)1798761599 - 3600);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] b"), 0);
	cr_assert_eq(ev.time_us, 1798761601LL * US);
	/* a late line from the old year, then the new year again */
	cr_assert_eq(parse("Dec 31 23:59:58 moon charon: 09[IKE] c"), 0);
	cr_assert_eq(ev.time_us, 1798761598LL * US);
	cr_assert_eq(parse("Jan  1 00:00:02 moon charon: 09[IKE] d"), 0);
	cr_assert_eq(ev.time_us, 1798761602LL * US);
}

Test(year, late_line_after_new_year_read_later)
{
	/* mtime 2026-01-02 10:00 UTC; a line from Dec 31 arrives after the Jan 1 lines */
	swl_parser_init(&ps, 0, (time_t)1767348000);
	cr_assert_eq(parse("Jan  1 00:00:01 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, (1767225600LL + 1) * US);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] b"), 0);
	cr_assert_eq(ev.time_us, (1767225600LL - 1) * US);
	/* a gap of more than six months inside one year */
	swl_parser_init(&ps, 0, (time_t)1795974712);
	cr_assert_eq(parse("Jan  5 10:00:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(parse("Sep  5 10:00:00 moon charon: 09[IKE] b"), 0);
	cr_assert_eq(ev.time_us, 1788602400LL * US);
}

Test(timezone, local_time_with_dst)
{
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	swl_parser_init(&ps, 2026, 0);
	/* winter: UTC+1 */
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 3600) * US);
	/* the next hour (cache miss), then back (cache miss again) */
	cr_assert_eq(parse("Nov 29 18:05:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 3600 + 788) * US);
	cr_assert_eq(parse("Nov 29 17:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 3600 + 487) * US);
	/* summer: UTC+2 (2026-07-01 12:00 CEST = 10:00 UTC) */
	swl_parser_init(&ps, 2026, 0);
	cr_assert_eq(parse("Jul  1 12:00:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1782900000LL * US);
	/* RFC 3339 carries its own offset and ignores TZ */
	cr_assert_eq(parse("2026-11-29T17:51:52Z moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	/* the year rule uses the local date of ref_time: 2026-12-31 23:30 UTC is 2027-01-01 in CET */
	swl_parser_init(&ps, 0, (time_t)1798761599 - 1800);
	cr_assert_eq(parse("Jan  1 00:10:00 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, (1798761600LL - 3600 + 600) * US);
	unsetenv("TZ");
	tzset();
}

/* --- garbage ------------------------------------------------------------------------------ */

/* An unparsed line is its own message, without the spaces, tabs and CRs that end it. */
static size_t without_trailing_blanks(const char *line, size_t len)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	return len;
}

static void assert_unparsed(const char *line, size_t len)
{
	cr_assert_eq(swl_parse_line(&ps, line, len, &ev), -EINVAL, "%.*s", (int)len, line);
	cr_assert_eq(ev.msg.p, line);
	cr_assert_eq(ev.msg.n, without_trailing_blanks(line, len));
	assert_none(ev.host);
	assert_none(ev.program);
	cr_assert_eq(ev.pid, -1);
	cr_assert_eq(ev.time_us, 0);
	cr_assert_eq(ev.nfields, 0);
}

Test(parse, unparsed_lines)
{
	static const char *const bad[] = {
		"",
		" ",
		"          ",
		"Nov 29 17:51:52",
		"Nov 29 17:51:52 ",
		"Nov 29 17:51:52 moon",
		"2026-11-29T17:51:52.304533+00:00",
		"-- Boot f492056db42b4e278d1607a04a198457 --",
		"Nov 32 17:51:52 moon charon: x",
		"Nov 29 25:51:52 moon charon: x",
		"Nov 29 17:61:52 moon charon: x",
		"Nov 29 17:51 moon charon: x",
		"Nov 29 17:51:52moon charon: x",
		"Nov 0 17:51:52 moon charon: x",
		"Nov x 17:51:52 moon charon: x",
		"<30>",
		"<30>garbage",
		"<30",
		"09[IKE]",
		"9[IKE] x",
		"1[IKE] <con1|1> x",
		"hello world",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_unparsed(bad[i], strlen(bad[i]));
	assert_unparsed(NULL, 0);
}

Test(parse, nul_bytes)
{
	/* NUL inside the message: the header is fine, the message keeps every byte */
	static const char line[] = "Nov 29 17:51:52 moon charon: 09[IKE] a\0b";
	cr_assert_eq(swl_parse_line(&ps, line, sizeof(line) - 1, &ev), 0);
	cr_assert_eq(ev.msg.n, 3);
	cr_assert(memcmp(ev.msg.p, "a\0b", 3) == 0);
	/* NUL inside the header */
	static const char hdr[] = "Nov 29 17:51:52 mo\0n charon: 09[IKE] a";
	cr_assert_eq(swl_parse_line(&ps, hdr, sizeof(hdr) - 1, &ev), 0);
	cr_assert_eq(ev.host.n, 4);
	cr_assert(memcmp(ev.host.p, "mo\0n", 4) == 0);
	static const char ts[] = "Nov 29 17:5\0:52 moon charon: x";
	assert_unparsed(ts, sizeof(ts) - 1);
	static const char zeros[64] = { 0 };
	assert_unparsed(zeros, sizeof(zeros));
}

Test(parse, huge_lines)
{
	size_t n = 100 * 1024;
	char *buf = malloc(n);
	cr_assert_not_null(buf);
	static const char fills[] = { 'A', '0', ' ', '<', '[', ':', '|', '\\', '"', '\0' };
	for (size_t f = 0; f < sizeof(fills); f++) {
		memset(buf, fills[f], n);
		int r = swl_parse_line(&ps, buf, n, &ev);
		cr_assert(r == 0 || r == -EINVAL);
		cr_assert(ev.msg.p >= buf && ev.msg.p + ev.msg.n <= buf + n);
	}
	/* a valid header with a huge message, pid, fraction, structured data or conn name */
	static const char *const heads[] = {
		"Nov 29 17:51:52 moon charon: 09[IKE] ",
		"Nov 29 17:51:52 moon charon[",
		"Nov 29 17:51:52.",
		"2026-11-29T17:51:52.",
		"<165>1 2026-11-29T17:51:52Z h app 1 - [a b=\"",
		"Nov 29 17:51:52 sun charon[10467]: 12[IKE] <",
		"Nov 29 17:51:52 sun charon[10467]: 12[IKE] <c|",
		"Nov 29 17:51:52 ",
	};
	static const char fill2[] = { 'x', '1', ' ', '\0' };
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		for (size_t f = 0; f < sizeof(fill2); f++) {
			size_t hl = strlen(heads[h]);
			memset(buf, fill2[f], n);
			memcpy(buf, heads[h], hl);
			int r = swl_parse_line(&ps, buf, n, &ev);
			cr_assert(r == 0 || r == -EINVAL, "%s", heads[h]);
			cr_assert(ev.msg.p >= buf && ev.msg.p + ev.msg.n <= buf + n);
		}
	}
	memset(buf, 'x', n);
	memcpy(buf, heads[0], strlen(heads[0]));
	cr_assert_eq(swl_parse_line(&ps, buf, n, &ev), 0);
	cr_assert_eq(ev.msg.n, n - strlen(heads[0]));
	free(buf);
}

/* Every prefix of real lines, each in a buffer of exactly that size, so the sanitizer sees
 * any read past the end. */
Test(parse, truncated_at_every_length)
{
	static const char *const lines[] = {
		"Nov 29 17:51:52 09[IKE] <con1|1> queueing IKE_VENDOR task",
		"Nov 29 17:52:17 16[NET] <3> received packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (464 bytes)",
		"Nov 29 17:51:52 moon charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2",
		"Nov 29 17:51:52 sun charon[10467]: 03[CFG] <con1|1> selected peer config 'con1'",
		"Nov 29 17:51:43 carol charon-systemd[10492]: providers loaded by OpenSSL: legacy default",
		"Nov 29 17:58:14 gw kernel: [ 1043.968333] audit: type=1415 audit(1795975094.472:4): op=SAD-delete",
		"<30>Nov  3 17:51:52 moon charon: 09[IKE] x",
		"2026-11-29T17:51:52.304533+00:00 moon charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2",
		"2026-11-29T18:51:52+0100 sun charon[1]: 12[IKE] <con1|1> x",
		"<165>1 2026-11-29T17:51:52.003Z gw evntslog 42 ID47 [a iut=\"3\" e=\"x\\]y\"][b c=\"]\"] \xEF\xBB\xBFmsg",
		"<165>1 - - - - - - hello",
		"09[IKE] <con1|1> initiating",
	};
	for (size_t l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
		size_t full = strlen(lines[l]);
		cr_assert_eq(swl_parse_line(&ps, lines[l], full, &ev), 0, "%s", lines[l]);
		for (size_t len = 0; len <= full; len++) {
			char *buf = malloc(len ? len : 1);
			cr_assert_not_null(buf);
			memcpy(buf, lines[l], len);
			int r = swl_parse_line(&ps, buf, len, &ev);
			cr_assert(r == 0 || r == -EINVAL);
			cr_assert(len == 0 || (ev.msg.p >= buf && ev.msg.p + ev.msg.n <= buf + len));
			if (r == -EINVAL) {
				cr_assert_eq(ev.msg.p, buf);
				cr_assert_eq(ev.msg.n, without_trailing_blanks(buf, len));
			}
			free(buf);
		}
	}
}

/* --- fast paths: each must answer what the byte-by-byte parse answers ----------------------- */

/* Parse from a heap buffer of exactly the line's size, so the sanitizer sees any word read
 * past the end. */
static int parse_exact(const char *line, size_t len)
{
	static char *buf;
	free(buf);
	buf = malloc(len ? len : 1);
	cr_assert_not_null(buf);
	memcpy(buf, line, len);
	return swl_parse_line(&ps, buf, len, &ev);
}

/* The reused timestamp is compared a word at a time: first and last word, and the middle ones
 * of timestamps longer than 16 bytes. A difference in any one byte is a miss. */
Test(year, repeated_timestamp_every_byte_counts)
{
	static const char *const stamps[] = {
		"Dec 31 23:59:59",              /* 16 bytes with the space: two words */
		"Dec  1 23:59:59",              /* padded day */
		"Dec 1 23:59:59",               /* 15 bytes: the words overlap */
		"Dec 31 23:59:59.123456",       /* 23: one middle word */
		"Dec 31 23:59:59.12345678901",  /* 28: two middle words */
	};
	for (size_t k = 0; k < sizeof(stamps) / sizeof(stamps[0]); k++) {
		swl_parser_init(&ps, 2026, 0);
		size_t tl = strlen(stamps[k]);
		char line[96], other[96];
		snprintf(line, sizeof(line), "%s moon sshd[7]: x", stamps[k]);
		cr_assert_eq(parse_exact(line, strlen(line)), 0, "%s", line);
		int64_t want = ev.time_us;
		cr_assert_eq(parse_exact(line, strlen(line)), 0);
		cr_assert_eq(ev.time_us, want, "%s", line);
		/* change one digit of the time (day, hour, minute, second, fraction) at a time */
		for (size_t b = 4; b < tl && b < 22; b++) {
			if (!(line[b] >= '0' && line[b] <= '8'))
				continue;
			memcpy(other, line, sizeof(line));
			other[b]++;
			swl_parser_init(&ps, 2026, 0);
			if (parse_exact(other, strlen(other)) < 0) {
				/* no such time ("Dec 32"): not even after the line it nearly repeats */
				cr_assert_eq(parse_exact(line, strlen(line)), 0);
				cr_assert_eq(parse_exact(other, strlen(other)), -EINVAL, "%s", other);
				continue;
			}
			int64_t fresh = ev.time_us;
			cr_assert_neq(fresh, want, "%s", other);
			/* after the original line: the changed byte is a miss, then a hit again */
			swl_parser_init(&ps, 2026, 0);
			cr_assert_eq(parse_exact(line, strlen(line)), 0);
			cr_assert_eq(parse_exact(other, strlen(other)), 0);
			cr_assert_eq(ev.time_us, fresh, "%s after %s", other, line);
			cr_assert_eq(parse_exact(other, strlen(other)), 0);
			cr_assert_eq(ev.time_us, fresh, "%s twice", other);
			cr_assert_eq(parse_exact(line, strlen(line)), 0);
			cr_assert_eq(ev.time_us, want);
		}
	}
}

/* A line cut inside or right after a timestamp that would be reused: no header, no new state,
 * and the next full line still gets the remembered time. */
Test(year, repeated_timestamp_cut_lines)
{
	swl_parser_init(&ps, 2026, 0);
	static const char full[] = "<30>Nov 29 17:51:52.5 moon charon: 09[IKE] a";
	cr_assert_eq(parse_exact(full, strlen(full)), 0);
	int64_t want = ev.time_us;
	cr_assert_eq(want, T_1751_52 * US + 500000);
	for (size_t len = 0; len <= strlen(full); len++) {
		int r = parse_exact(full, len);
		if (len < strlen("<30>Nov 29 17:51:52.5 moon"))
			cr_assert_eq(r, -EINVAL, "cut at %zu", len);
		if (r == 0)
			cr_assert_eq(ev.time_us, want, "cut at %zu", len);
		cr_assert_eq(parse_exact(full, strlen(full)), 0);
		cr_assert_eq(ev.time_us, want);
	}
	/* the same bytes without the PRI, and after a PRI of another length */
	cr_assert_eq(parse("Nov 29 17:51:52.5 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, want);
	cr_assert_eq(parse("<4>Nov 29 17:51:52.5 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, want);
	/* a timestamp too long to remember (40 bytes with its space) is parsed every time */
	static const char longts[] = "Nov 29 17:51:52.250000000000000000000000 sun x: y";
	cr_assert_eq(parse_exact(longts, strlen(longts)), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 250000);
	cr_assert_eq(parse_exact(longts, strlen(longts)), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 250000);
	cr_assert_eq(parse("Nov 29 17:51:52 sun x: y"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	/* 39 bytes with its space: the longest remembered one */
	static const char maxts[] = "Nov 29 17:51:52.75000000000000000000000 sun x: y";
	cr_assert_eq(parse_exact(maxts, strlen(maxts)), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 750000);
	cr_assert_eq(parse_exact(maxts, strlen(maxts)), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 750000);
	static const char maxts2[] = "Nov 29 17:51:52.75000000000000000000001 sun x: y";
	cr_assert_eq(parse_exact(maxts2, strlen(maxts2)), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 750000);
}

/* Pids of up to 7 digits are read a word at a time when 8 bytes follow the '['; every other
 * case goes byte by byte. Both must agree, also at the end of the line. */
Test(parse, pid_word_and_bytes)
{
	static const struct {
		const char *tag; /* after "Nov 29 17:51:52 moon " */
		long pid;        /* -2: no tag */
	} cases[] = {
		{ "sshd[1]: x", 1 },
		{ "sshd[1234567]: x", 1234567 },
		{ "sshd[0001234]: x", 1234 },
		{ "sshd[12345678]: x", 12345678 },
		{ "sshd[123456789]: x", 123456789 },
		{ "sshd[9876543210987654]: x", 9876543210987654L },
		{ "sshd[0]: x", 0 },
		{ "sshd[]: x", -1 },
		{ "sshd[12/]: x", -1 },   /* '/' and ':' sit next to the digits in ASCII */
		{ "sshd[12:]: x", -1 },
		{ "sshd[1\xfa]: x", -1 }, /* adding 6 to 0xFA carries into the next byte */
		{ "sshd[\xff" "12]: x", -1 },
		{ "sshd[12\xfa" "3]: x", -1 },
		{ "sshd[12 ]: x", -2 },
		{ "sshd[12", -2 },
		{ "sshd[12]", -2 },
		{ "sshd[12]:", 12 },
		{ "sshd[12]: ", 12 },
		{ "sshd[1234567]:", 1234567 },
		{ "sshd[1234567]", -2 },
		{ "sshd[1234567", -2 },
		{ "sshd[12]x: y", -2 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char line[128];
		int len = snprintf(line, sizeof(line), "Nov 29 17:51:52 moon %s", cases[c].tag);
		cr_assert_eq(parse_exact(line, (size_t)len), 0, "%s", line);
		assert_slice(ev.host, "moon");
		if (cases[c].pid == -2) {
			assert_none(ev.program);
			cr_assert_eq(ev.pid, -1, "%s", line);
		} else {
			assert_slice(ev.program, "sshd");
			cr_assert_eq(ev.pid, cases[c].pid, "%s: pid %ld", line, ev.pid);
		}
	}
}

/* Host and program names are scanned four bytes a round: every length around a round's end,
 * with each byte that ends a name, and cut at the end of the line. */
Test(parse, names_of_every_length)
{
	static const char stops[] = { ' ', ':', '[', ']' };
	for (size_t hl = 1; hl <= 9; hl++) {
		for (size_t pl = 1; pl <= 9; pl++) {
			char line[96];
			int len = snprintf(line, sizeof(line), "Nov 29 17:51:52 %.*s %.*s[42]: m", (int)hl,
					   "abcdefghi", (int)pl, "ABCDEFGHI");
			cr_assert_eq(parse_exact(line, (size_t)len), 0, "%s", line);
			cr_assert_eq(ev.host.n, hl, "%s", line);
			cr_assert_eq(ev.program.n, pl, "%s", line);
			cr_assert_eq(ev.pid, 42);
			assert_slice(ev.msg, "m");
			/* the program ends the line at its colon */
			len = snprintf(line, sizeof(line), "Nov 29 17:51:52 %.*s %.*s:", (int)hl, "abcdefghi",
				       (int)pl, "ABCDEFGHI");
			cr_assert_eq(parse_exact(line, (size_t)len), 0, "%s", line);
			cr_assert_eq(ev.program.n, pl, "%s", line);
			cr_assert_eq(ev.msg.n, 0);
		}
		/* a stop byte inside the host name: only a space ends the host */
		for (size_t s = 1; s < sizeof(stops); s++) {
			char line[96];
			int len = snprintf(line, sizeof(line), "Nov 29 17:51:52 %.*s%cz sshd: m", (int)hl,
					   "abcdefghi", stops[s]);
			cr_assert_eq(parse_exact(line, (size_t)len), 0, "%s", line);
			cr_assert_eq(ev.host.n, hl + 2, "%s", line);
			assert_slice(ev.program, "sshd");
		}
		/* a name running to the end of the line */
		char line[96];
		int len = snprintf(line, sizeof(line), "Nov 29 17:51:52 %.*s", (int)hl, "abcdefghi");
		cr_assert_eq(parse_exact(line, (size_t)len), -EINVAL, "%s", line);
		len = snprintf(line, sizeof(line), "Nov 29 17:51:52 moon %.*s", (int)hl, "abcdefghi");
		cr_assert_eq(parse_exact(line, (size_t)len), 0, "%s", line);
		assert_none(ev.program);
		cr_assert_eq(ev.msg.n, hl);
	}
}

/* Only the length-6 and length-14 names are compared, and then every byte counts. */
Test(charon_prefix, is_charon_every_byte)
{
	static const char *const names[] = { "charon", "charon-systemd" };
	for (size_t k = 0; k < 2; k++) {
		char buf[16];
		size_t n = strlen(names[k]);
		for (size_t b = 0; b < n; b++) {
			memcpy(buf, names[k], n);
			buf[b] ^= 0x20;
			cr_assert_not(swl_is_charon((struct swl_str){ buf, n }), "%.*s", (int)n, buf);
		}
		cr_assert_not(swl_is_charon((struct swl_str){ names[k], n - 1 }));
	}
	cr_assert_not(swl_is_charon(swl_str_c("charon-systemdx")));
	cr_assert_not(swl_is_charon(swl_str_c("charonx")));
}

/* A journal entry's own fields win over the prefix; an event without fields takes all four. */
Test(charon_prefix, fields_present_or_not)
{
	static struct swl_event e;
	static const char msg[] = "09[IKE] <con1|7> x";
	e = (struct swl_event){ .pid = -1, .msg = { msg, sizeof(msg) - 1 } };
	swl_parse_charon_prefix(&e);
	cr_assert_eq(e.nfields, 4);
	assert_field(&e, "THREAD", "9");
	assert_field(&e, "GROUP", "IKE");
	assert_field(&e, "IKE_SA_NAME", "con1");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "7");
	assert_slice(e.msg, "x");
	e = (struct swl_event){ .pid = -1, .msg = { msg, sizeof(msg) - 1 } };
	swl_event_add_field(&e, "IKE_SA_NAME", swl_str_c("journal"));
	swl_parse_charon_prefix(&e);
	cr_assert_eq(e.nfields, 4);
	assert_field(&e, "IKE_SA_NAME", "journal");
	assert_field(&e, "IKE_SA_UNIQUE_ID", "7");
	/* a full field array takes no more */
	e = (struct swl_event){ .pid = -1, .msg = { msg, sizeof(msg) - 1 } };
	for (int i = 0; i < SWL_EVENT_MAX_FIELDS - 1; i++)
		swl_event_add_field(&e, "F", swl_str_c("v"));
	swl_parse_charon_prefix(&e);
	cr_assert_eq(e.nfields, SWL_EVENT_MAX_FIELDS);
	assert_field(&e, "THREAD", "9");
	assert_no_field(&e, "GROUP");
	assert_slice(e.msg, "x");
}

/* A <PRI>'s facility tells charon's daemon and auth loggers apart (twins.c): it becomes the
 * field SYSLOG_FACILITY, as the journal names it, in every header form. */
Test(parse, pri_facility_becomes_a_field)
{
	cr_assert_eq(parse("<86>Nov 29 17:51:52 moon charon: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	assert_field(&ev, "SYSLOG_FACILITY", "10"); /* authpriv, info */
	assert_field(&ev, "THREAD", "9");
	cr_assert_eq(parse("<30>2026-11-29T17:51:52+00:00 moon charon: 09[IKE] x"), 0);
	assert_field(&ev, "SYSLOG_FACILITY", "3");
	cr_assert_eq(parse("<191>Nov 29 17:51:52 moon charon: 09[IKE] x"), 0);
	assert_field(&ev, "SYSLOG_FACILITY", "23");
	/* no PRI, no field; a PRI on a line with no header is no facility of anything */
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon: 09[IKE] x"), 0);
	assert_no_field(&ev, "SYSLOG_FACILITY");
	cr_assert_eq(parse("<30>garbage"), -EINVAL);
	cr_assert_eq(ev.nfields, 0);
}

/* --- the layouts that people save and paste ---------------------------------------------------
 * Samples written from charon's format strings ("%.2d[%N]%s %s", " <%s|%d>") and the layouts
 * of the tools that print them. */

static void setup_zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* A time of day alone: the date of the line before, the next day when the clock goes back more
 * than 12 hours; the first takes ref_time's date, the day before when its clock is past it. */
Test(layouts, time_of_day_only)
{
	setup_utc();
	swl_parser_init(&ps, 2026, (time_t)T_1751_52); /* file written 2026-11-29 17:51:52 */
	cr_assert_eq(parse("15:23:08 srv-test charon: 06[IKE] initiating IKE_SA home[1] to 198.51.100.7"), 0);
	cr_assert_eq(ev.time_us, 1795965788LL * US); /* 2026-11-29 15:23:08 */
	assert_slice(ev.host, "srv-test");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "initiating IKE_SA home[1] to 198.51.100.7");
	cr_assert_eq(ev.nfields, 2);
	assert_field(&ev, "THREAD", "6");
	assert_field(&ev, "GROUP", "IKE");
	cr_assert_eq(parse("23:59:59.5 srv-test charon[812]: 09[NET] sending packet: from 192.0.2.1[500] to "
			   "198.51.100.7[500] (464 bytes)"),
		     0);
	cr_assert_eq(ev.time_us, 1795996799LL * US + 500000);
	cr_assert_eq(ev.pid, 812);
	/* past midnight: the clock went back more than 12 hours */
	cr_assert_eq(parse("00:00:05 srv-test charon: 06[IKE] IKE_SA home[1] established between "
			   "192.0.2.1[gw]...198.51.100.7[peer]"),
		     0);
	cr_assert_eq(ev.time_us, 1795996805LL * US);
	/* a step back of less than 12 hours is a late line of the same day */
	cr_assert_eq(parse("00:00:04 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1795996804LL * US);
	/* a dated line sets the date for the time-of-day lines after it */
	cr_assert_eq(parse("Nov 19 09:36:20 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(parse("09:36:22 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1795080982LL * US);
	/* first line, its clock past the file's: written the day before */
	swl_parser_init(&ps, 2026, (time_t)T_1751_52);
	cr_assert_eq(parse("18:00:00 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1795888800LL * US); /* 2026-11-28 18:00:00 */
	/* the year comes from --year, the day from the file */
	swl_parser_init(&ps, 2025, (time_t)T_1751_52);
	cr_assert_eq(parse("16:51:52 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1764435112LL * US); /* 2025-11-29 16:51:52 */
	/* no year pinned: the file's */
	swl_parser_init(&ps, 0, (time_t)T_1751_52);
	cr_assert_eq(parse("16:51:52 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1795971112LL * US);
	/* in local time */
	setup_zone("Europe/Berlin");
	swl_parser_init(&ps, 0, (time_t)T_1751_52); /* 18:51:52 in Berlin */
	cr_assert_eq(parse("18:51:52 srv-test charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
}

/* OPNsense's log viewer shows no host, and a tab before the program. */
Test(layouts, log_viewer_tab_no_host)
{
	cr_assert_eq(parse("Nov 19 09:36:22 \tcharon: 06[IKE] <con1|12> IKE_SA con1[12] established between "
			   "192.0.2.1[gw.example.org]...198.51.100.7[peer.example.org]"),
		     0);
	cr_assert_eq(ev.time_us, 1795080982LL * US);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "IKE_SA con1[12] established between 192.0.2.1[gw.example.org]...198.51.100.7[peer.example.org]");
	cr_assert_eq(ev.nfields, 4);
	assert_field(&ev, "THREAD", "6");
	assert_field(&ev, "IKE_SA_NAME", "con1");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "12");
}

/* A log viewer's tab-separated export: RFC 3339 without a zone is local time (--timezone). */
Test(layouts, tab_separated_export)
{
	setup_zone("Europe/Berlin");
	swl_parser_init(&ps, 0, 0);
	cr_assert_eq(parse("2025-05-11T12:13:18\tInformational\tcharon\t15[IKE] <c|3> IKE_SA c[3] established "
			   "between 192.0.2.1[192.0.2.1]...203.0.113.9[203.0.113.9]"),
		     0);
	cr_assert_eq(ev.time_us, 1746958398LL * US); /* 10:13:18 UTC: CEST */
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "IKE_SA c[3] established between 192.0.2.1[192.0.2.1]...203.0.113.9[203.0.113.9]");
	cr_assert_eq(ev.nfields, 4);
	assert_field(&ev, "THREAD", "15");
	assert_field(&ev, "GROUP", "IKE");
	assert_field(&ev, "IKE_SA_NAME", "c");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "3");
	/* a zone, a pid, a host column */
	cr_assert_eq(parse("2025-05-11T10:13:18Z\tNotice\tcharon[4411]\t15[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1746958398LL * US);
	cr_assert_eq(ev.pid, 4411);
	assert_slice(ev.msg, "x");
	cr_assert_eq(parse("2025-05-11T12:13:18+02:00\tfw1\tcharon\t15[IKE] x"), 0);
	cr_assert_eq(ev.time_us, 1746958398LL * US);
	assert_slice(ev.host, "fw1");
	assert_slice(ev.program, "charon");
	assert_slice(ev.msg, "x");
	/* another program's line: the message follows its column */
	cr_assert_eq(parse("2025-05-11T12:13:18\tError\tfilterlog\t5,,,1000000103,igb0,match,block,in"), 0);
	assert_slice(ev.program, "filterlog");
	assert_slice(ev.msg, "5,,,1000000103,igb0,match,block,in");
	cr_assert_eq(ev.nfields, 0);
}

/* Another program name: OpenWrt's "strongswan", "ipsec", charon.syslog.identifier. */
Test(layouts, other_program_names)
{
	cr_assert_eq(parse("strongswan: 06[IKE] initiating IKE_SA home[1] to 198.51.100.7"), 0);
	cr_assert_eq(ev.time_us, 0);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "initiating IKE_SA home[1] to 198.51.100.7");
	assert_field(&ev, "THREAD", "6");
	cr_assert_eq(parse("ipsec[2210]: 11[CFG] received stroke: initiate 'home'"), 0);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 2210);
	assert_slice(ev.msg, "received stroke: initiate 'home'");
	cr_assert_eq(parse("Nov 29 17:51:52 gw vpnd[77]: 08[IKE] <home|1> x"), 0);
	assert_slice(ev.host, "gw");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 77);
	assert_field(&ev, "IKE_SA_NAME", "home");
	/* what stands before the marker that is no tag gives nothing but the message */
	cr_assert_eq(parse("pasted from the router: 06[IKE] x"), 0);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "x");
}

/* OpenWrt's logread: weekday, year, facility.level; the facility is SYSLOG_FACILITY. */
Test(layouts, openwrt_logread)
{
	cr_assert_eq(parse("Sun Nov 29 17:51:52 2026 daemon.info charon[1234]: 06[IKE] <home|1> IKE_SA "
			   "home[1] established between 192.0.2.1[gw]...198.51.100.7[peer]"),
		     0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 1234);
	assert_slice(ev.msg, "IKE_SA home[1] established between 192.0.2.1[gw]...198.51.100.7[peer]");
	cr_assert_eq(ev.nfields, 5);
	assert_field(&ev, "SYSLOG_FACILITY", "3");
	assert_field(&ev, "THREAD", "6");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "1");
	cr_assert_eq(parse("Sun Nov 29 17:51:52 2026 authpriv.notice strongswan[1234]: 06[IKE] x"), 0);
	assert_field(&ev, "SYSLOG_FACILITY", "10");
	assert_slice(ev.program, "charon");
	cr_assert_eq(parse("Sun Nov 29 17:51:53 2026 kern.info kernel: [ 1043.968333] audit: type=1415 "
			   "audit(1795974713.472:4): op=SAD-delete src=192.0.2.1 dst=198.51.100.7 res=1"),
		     0);
	cr_assert_eq(ev.time_us, (T_1751_52 + 1) * US);
	assert_slice(ev.program, "kernel");
	assert_slice(ev.msg, "[ 1043.968333] audit: type=1415 audit(1795974713.472:4): op=SAD-delete "
			     "src=192.0.2.1 dst=198.51.100.7 res=1");
	cr_assert_eq(ev.nfields, 1);
	assert_field(&ev, "SYSLOG_FACILITY", "0");
	/* a <PRI> wins over the word */
	cr_assert_eq(parse("<86>Sun Nov 29 17:51:52 2026 daemon.info charon: 06[IKE] x"), 0);
	cr_assert_eq(ev.nfields, 3);
	assert_field(&ev, "SYSLOG_FACILITY", "10");
	/* no facility word: a host */
	cr_assert_eq(parse("Sun Nov 29 17:51:52 2026 gw charon: 06[IKE] x"), 0);
	assert_slice(ev.host, "gw");
	assert_no_field(&ev, "SYSLOG_FACILITY");
}

/* charon's own stdout (ipsec start --nofork) and swanctl --initiate's stream: no time. */
Test(layouts, stdout_and_swanctl)
{
	cr_assert_eq(parse("00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0-18-amd64, x86_64)"), 0);
	cr_assert_eq(ev.time_us, 0);
	assert_slice(ev.program, "charon");
	assert_field(&ev, "GROUP", "DMN");
	cr_assert_eq(parse("[IKE] initiating IKE_SA home[1] to 198.51.100.7"), 0);
	cr_assert_eq(ev.time_us, 0);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "initiating IKE_SA home[1] to 198.51.100.7");
	cr_assert_eq(ev.nfields, 1);
	assert_field(&ev, "GROUP", "IKE");
	cr_assert_eq(parse("[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]"), 0);
	assert_slice(ev.msg, "generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]");
	assert_field(&ev, "GROUP", "ENC");
	/* charon's log_level option adds the level to the group */
	cr_assert_eq(parse("May 13 11:50:03 intra charon: 12[IKE1] <C1|3> authentication of 'CN=intra' with "
			   "RSA_EMSA_PKCS1_NULL successful"),
		     0);
	assert_field(&ev, "GROUP", "IKE");
	assert_field(&ev, "IKE_SA_UNIQUE_ID", "3");
	assert_slice(ev.msg, "authentication of 'CN=intra' with RSA_EMSA_PKCS1_NULL successful");
	cr_assert_eq(parse("[CHD2] x"), 0);
	assert_field(&ev, "GROUP", "CHD");
	/* swanctl's own lines carry no marker: no header */
	cr_assert_eq(parse("initiate completed successfully"), -EINVAL);
	cr_assert_eq(parse("[ERR] x"), -EINVAL);
}

/* Android logcat: brief ("I/charon( 1234): "), tag ("I/charon: "), time and threadtime. */
Test(layouts, android_logcat)
{
	cr_assert_eq(parse("I/charon: 05[IKE] initiating IKE_SA android[1] to 198.51.100.7"), 0);
	cr_assert_eq(ev.time_us, 0);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, -1);
	assert_slice(ev.msg, "initiating IKE_SA android[1] to 198.51.100.7");
	assert_field(&ev, "THREAD", "5");
	cr_assert_eq(parse("I/charon  ( 1234): 05[IKE] x"), 0);
	cr_assert_eq(ev.pid, 1234);
	assert_slice(ev.msg, "x");
	cr_assert_eq(parse("11-19 09:36:22.123  1234  1250 I charon  : 05[IKE] <android|1> IKE_SA android[1] "
			   "established between 10.0.2.15[carol]...198.51.100.7[moon]"),
		     0);
	cr_assert_eq(ev.time_us, 1795080982LL * US + 123000);
	assert_none(ev.host);
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 1234);
	assert_slice(ev.msg, "IKE_SA android[1] established between 10.0.2.15[carol]...198.51.100.7[moon]");
	assert_field(&ev, "IKE_SA_NAME", "android");
	cr_assert_eq(parse("11-19 09:36:22.123 I/charon  ( 1234): 05[NET] x"), 0);
	cr_assert_eq(ev.time_us, 1795080982LL * US + 123000);
	cr_assert_eq(ev.pid, 1234);
	assert_field(&ev, "GROUP", "NET");
	/* another tag, no marker: its own line */
	cr_assert_eq(parse("11-19 09:36:22.123  1234  1250 D ConnectivityService: network 100 validated"), 0);
	assert_slice(ev.program, "ConnectivityService");
	assert_slice(ev.msg, "network 100 validated");
}

/* What follows the message: CR, tabs and spaces are dropped; any other byte is the message's. */
Test(layouts, after_the_message)
{
	static const char *const ends[] = { "\r", "\t", " ", " \t\r", "\r\r" };
	for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
		char line[128];
		snprintf(line, sizeof(line), "Nov 29 17:51:52 moon charon: 06[IKE] CHILD_SA closed%s", ends[k]);
		cr_assert_eq(parse(line), 0);
		assert_slice(ev.msg, "CHILD_SA closed");
		snprintf(line, sizeof(line), "06[IKE] CHILD_SA closed%s", ends[k]);
		cr_assert_eq(parse(line), 0);
		assert_slice(ev.msg, "CHILD_SA closed");
	}
	cr_assert_eq(parse("Nov 29 17:51:52 moon charon: 06[IKE] CHILD_SA closed \xF0\x9F\x99\x82"), 0);
	assert_slice(ev.msg, "CHILD_SA closed \xF0\x9F\x99\x82");
}

/* journalctl -o short-full and -o short-unix (short-iso and short-precise: header forms). */
Test(layouts, journalctl_outputs)
{
	cr_assert_eq(parse("Sun 2026-11-29 17:51:52 UTC moon charon[4242]: 09[IKE] initiating IKE_SA con1[1] to 198.18.1.2"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 4242);
	assert_slice(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2");
	assert_field(&ev, "THREAD", "9");
	cr_assert_eq(parse("Sun 2026-11-29 17:51:43 UTC carol charon-systemd[10492]: created TUN device: ipsec0"), 0);
	cr_assert_eq(ev.time_us, (T_1751_52 - 9) * US);
	assert_slice(ev.program, "charon-systemd");
	cr_assert_eq(ev.nfields, 0);
	cr_assert_eq(parse("1795974712.304533 moon charon[4242]: 09[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US + 304533);
	assert_slice(ev.host, "moon");
	assert_slice(ev.program, "charon");
	cr_assert_eq(ev.pid, 4242);
	assert_slice(ev.msg, "x");
	/* a zone name other than UTC is the local zone */
	setup_zone("Europe/Berlin");
	swl_parser_init(&ps, 0, 0);
	cr_assert_eq(parse("Sun 2026-11-29 18:51:52 CET moon charon[4242]: 09[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
	cr_assert_eq(parse("Sun 2026-11-29 19:51:52 +0200 moon charon[4242]: 09[IKE] x"), 0);
	cr_assert_eq(ev.time_us, T_1751_52 * US);
}

/* Lines of none of these layouts stay unparsed, and leave the year state alone. */
Test(layouts, still_unparsed)
{
	static const char *const bad[] = {
		"hello world",
		"12:00 lunch",
		"123456789 is a number",
		"12:30:00",
		"12:30:00 host",
		"1795974712.304533",
		"11-19 09:36:22.123",
		"11-19 09:36:22.123 nothing of logcat",
		"Sun Nov 29 17:51:52 2026",
		"2025-05-11T12:13:18\tInformational",
		"2025-05-11T12:13:18\tInformational\tcharon",
		"I/charon",
		"x09[IKE] glued to a word",
		"1[IKE] one digit",
		"glued 09[ABC] not a group of charon's",
		"[abc] x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_unparsed(bad[i], strlen(bad[i]));
	/* the year state: a Jan line rejected in the fallback does not roll Dec over */
	swl_parser_init(&ps, 2026, 0);
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	assert_unparsed("Jan  1 00:00:01", strlen("Jan  1 00:00:01"));
	assert_unparsed("Jan  1 00:00:01\t", strlen("Jan  1 00:00:01\t"));
	cr_assert_eq(parse("Dec 31 23:59:59 moon charon: 09[IKE] a"), 0);
	cr_assert_eq(ev.time_us, 1798761599LL * US);
}
