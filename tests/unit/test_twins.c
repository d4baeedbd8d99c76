/* test_twins.c - one charon message written by two loggers counts once; real repeats twice.
 * Lines are charon's, as the corpus' moon.syslog.log / moon.auth.log hold them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "parse_syslog.h"
#include "twins.h"

#define T0 1795974901000000LL /* Nov 29 17:55:01 2026 UTC */

static struct swl_twins tw;
static struct swl_parser ps;

static void setup(void)
{
	swl_twins_init(&tw);
	swl_parser_init(&ps, 2026, 0);
}

TestSuite(twins, .init = setup);

/* A text line through the parser, then the twin check. */
static bool line_twin(const char *line)
{
	struct swl_event ev;
	swl_parse_line(&ps, line, strlen(line), &ev);
	return swl_twins_check(&tw, &ev);
}

/* A journal entry as the journal source builds it: MESSAGE, identity, pid, facility (-1: none),
 * LEVEL for charon-systemd's own logger; charon's prefix moved into fields. */
static bool entry_twin(const char *msg, long pid, int facility, bool native, int64_t t)
{
	static char fac[12];
	struct swl_event ev = { .time_us = t, .host = swl_str_c("moon"), .program = swl_str_c("charon"),
				.pid = pid, .msg = swl_str_c(msg) };
	if (facility >= 0) {
		snprintf(fac, sizeof(fac), "%d", facility);
		swl_event_add_field(&ev, "SYSLOG_FACILITY", swl_str_c(fac));
	}
	if (native) {
		swl_event_add_field(&ev, "LEVEL", swl_str_c("0"));
		swl_event_add_field(&ev, "THREAD", swl_str_c("16"));
		swl_event_add_field(&ev, "GROUP", swl_str_c("IKE"));
	}
	swl_parse_charon_prefix(&ev);
	return swl_twins_check(&tw, &ev);
}

#define EST_MSG "IKE_SA con1[13] established between 198.18.1.1[moon.hl.test]...198.18.1.2[sun.hl.test]"
#define EST "16[IKE] " EST_MSG
#define DELETED "14[IKE] IKE_SA deleted"

Test(twins, journal_daemon_and_auth_facilities)
{
	cr_assert(!entry_twin(EST, 7, 3, false, T0));
	cr_assert(entry_twin(EST, 7, 10, false, T0 + 40), "the auth copy is the daemon copy's twin");
	/* a line that only the daemon logger writes has no twin to wait for */
	cr_assert(!entry_twin("16[NET] sending packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (80 bytes)", 7, 3,
			      false, T0 + 50));
}

Test(twins, journal_true_repeat_counts_twice)
{
	/* two IKE_SAs deleted by one thread in a row: each copy pair is one event */
	cr_assert(!entry_twin(DELETED, 7, 3, false, T0));
	cr_assert(entry_twin(DELETED, 7, 10, false, T0 + 10));
	cr_assert(!entry_twin(DELETED, 7, 3, false, T0 + 20), "a second event with the same text");
	cr_assert(entry_twin(DELETED, 7, 10, false, T0 + 30));
}

Test(twins, journal_auth_only_keeps_repeats)
{
	cr_assert(!entry_twin(DELETED, 7, 10, false, T0));
	cr_assert(!entry_twin(DELETED, 7, 10, false, T0 + 10), "one facility: never twins");
	cr_assert(!entry_twin(DELETED, 7, 10, false, T0 + 20));
}

Test(twins, journal_syslog_and_native_logger)
{
	/* VyOS: the syslog copy keeps the prefix, charon-systemd's logger has fields instead */
	cr_assert(!entry_twin(EST, 9, 3, false, T0));
	cr_assert(entry_twin(EST_MSG, 9, -1, true, T0 + 5));
}

Test(twins, other_process_or_later_is_no_twin)
{
	cr_assert(!entry_twin(EST, 7, 3, false, T0));
	cr_assert(!entry_twin(EST, 8, 10, false, T0 + 10), "another pid");
	cr_assert(!entry_twin(EST, 7, 10, false, T0 + 2000000), "two seconds later");
}

Test(twins, text_export_of_both_facilities)
{
	/* journalctl -o short of such a journal: both copies are "NN[GRP] msg" lines */
	cr_assert(!line_twin("Nov 29 17:55:01 moon charon[7]: 10[NET] received packet: from 198.18.1.2[4500] to 198.18.1.1[4500] (304 bytes)"));
	cr_assert(!line_twin("Nov 29 17:55:01 moon charon[7]: " EST));
	cr_assert(line_twin("Nov 29 17:55:01 moon charon[7]: " EST));
	/* another thread's line between a pair does not part it */
	cr_assert(!line_twin("Nov 29 17:55:01 moon charon[7]: 16[IKE] CHILD_SA con1{17} established with SPIs 62284ac3_i e9973fd9_o and TS 198.19.1.0/24 === 198.19.2.0/24"));
	cr_assert(!line_twin("Nov 29 17:55:01 moon charon[7]: 10[NET] sending packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (80 bytes)"));
	cr_assert(line_twin("Nov 29 17:55:01 moon charon[7]: 16[IKE] CHILD_SA con1{17} established with SPIs 62284ac3_i e9973fd9_o and TS 198.19.1.0/24 === 198.19.2.0/24"));
}

Test(twins, text_auth_only_keeps_repeats)
{
	/* only level-0 IKE lines: no logger above level 0, so no second logger either */
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: " DELETED));
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: " DELETED));
}

Test(twins, text_repeat_with_a_line_between)
{
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: 14[NET] received packet: from 198.18.1.2[4500] to 198.18.1.1[4500] (80 bytes)"));
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: " DELETED));
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: 14[NET] received packet: from 198.18.1.3[4500] to 198.18.1.1[4500] (80 bytes)"));
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: " DELETED), "the same thread worked on another job between");
}

Test(twins, text_prefix_against_bare_line)
{
	/* journalctl -o short of VyOS: the syslog copy with "NN[GRP] ", the journal logger's without */
	cr_assert(!line_twin("Nov 29 17:55:01 vyos charon[7]: " EST));
	cr_assert(line_twin("Nov 29 17:55:01 vyos charon[7]: " EST_MSG));
}

Test(twins, other_programs_never)
{
	cr_assert(!line_twin("Nov 29 17:55:01 moon sshd[7]: Accepted publickey for root"));
	cr_assert(!line_twin("Nov 29 17:55:01 moon sshd[7]: Accepted publickey for root"));
}

Test(twins, long_messages_compared_whole)
{
	char a[600], b[600];
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = 0;
	memcpy(b, a, sizeof(a));
	b[500] = 'y'; /* differs past the copied text: the hash tells */
	cr_assert(!entry_twin(a, 7, 3, false, T0));
	cr_assert(!entry_twin(b, 7, 10, false, T0 + 1));
	cr_assert(entry_twin(a, 7, 10, false, T0 + 2));
}

Test(twins, bounded_ring)
{
	cr_assert(!entry_twin(EST, 7, 3, false, T0));
	char msg[64];
	for (int i = 0; i < SWL_TWINS_RING; i++) {
		snprintf(msg, sizeof(msg), "12[NET] line %d", i);
		cr_assert(!entry_twin(msg, 7, 3, false, T0 + i));
	}
	cr_assert(!entry_twin(EST, 7, 10, false, T0 + 100), "the daemon copy left the ring");
}

Test(twins, text_pairs_in_a_row)
{
	/* one thread deletes two IKE_SAs in a row, both loggers write each: two events */
	cr_assert(!line_twin("Nov 29 17:52:20 moon charon: " EST));
	cr_assert(line_twin("Nov 29 17:52:20 moon charon: " EST), "a line naming an SA, twice: two loggers");
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: 14[NET] received packet: from 198.18.1.2[4500] to 198.18.1.1[4500] (80 bytes)"));
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: " DELETED));
	cr_assert(line_twin("Nov 29 17:52:21 moon charon: " DELETED));
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: " DELETED), "a copy is the twin of one line only");
	cr_assert(line_twin("Nov 29 17:52:21 moon charon: " DELETED));
}

Test(twins, text_repeats_of_one_logger)
{
	/* a verbose logger alone: one thread gives up on two IKE_SAs, nothing between its lines */
	cr_assert(!line_twin("Nov 29 17:52:21 moon charon: 14[NET] received packet: from 198.18.1.2[4500] to 198.18.1.1[4500] (80 bytes)"));
	cr_assert(!line_twin("Nov 29 17:52:22 moon charon: 14[IKE] giving up after 5 retransmits"));
	cr_assert(!line_twin("Nov 29 17:52:22 moon charon: 14[IKE] giving up after 5 retransmits"),
		  "no line naming an SA came twice: one logger");
	/* a line naming an SA is never repeated by one logger in a row: after it, repeats pair */
	cr_assert(!line_twin("Nov 29 17:52:23 moon charon: 14[IKE] CHILD_SA con1{4} established with SPIs 62284ac3_i e9973fd9_o and TS 198.19.1.0/24 === 198.19.2.0/24"));
	cr_assert(!line_twin("Nov 29 17:52:23 moon charon: 16[IKE] giving up after 5 retransmits"));
	cr_assert(line_twin("Nov 29 17:52:23 moon charon: 14[IKE] CHILD_SA con1{4} established with SPIs 62284ac3_i e9973fd9_o and TS 198.19.1.0/24 === 198.19.2.0/24"));
	cr_assert(line_twin("Nov 29 17:52:23 moon charon: 16[IKE] giving up after 5 retransmits"));
	/* ports and addresses in brackets name no SA */
	cr_assert(!line_twin("Nov 29 17:52:24 other charon[9]: 10[IKE] received INVALID_KE_PAYLOAD from 198.18.1.2[500]"));
	cr_assert(!line_twin("Nov 29 17:52:24 other charon[9]: 10[IKE] received INVALID_KE_PAYLOAD from 198.18.1.2[500]"));
	cr_assert(!line_twin("Nov 29 17:52:24 other charon[9]: 10[IKE] IKE_SA deleted"));
	cr_assert(!line_twin("Nov 29 17:52:24 other charon[9]: 10[IKE] IKE_SA deleted"));
}
