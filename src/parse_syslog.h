/* parse_syslog.h - syslog lines and charon's prefixes -> struct swl_event (pure, no allocation).
 *
 * Header forms recognised, in this order:
 *   RFC 5424      "<PRI>1 2026-11-29T17:51:52.304533+00:00 host app pid msgid [sd] msg"
 *   RFC 3339      "2026-11-29T17:51:52.304533+00:00 host prog[pid]: msg"   (rsyslog templates)
 *   RFC 3164      "Nov 29 17:51:52 host prog[pid]: msg"   (optionally "<PRI>" first; tabs before
 *                 the tag stand for no host, as OPNsense's log viewer shows it)
 *   charon file   "Nov 29 17:51:52 09[IKE] <con1|1> msg"   (no host; program becomes "charon")
 *   charon bare   "09[IKE] <con1|1> msg"   (file logger without time_format, charon's stdout)
 * Only a line that none of these takes is tried in the layouts that people save and paste:
 *   a time of day  "15:23:08 srv-test charon: msg"   (the date: see below)
 *   RFC 3339 without a zone (local time) or with a space for the 'T', and columns:
 *                  "2025-05-11T12:13:18<TAB>Informational<TAB>charon<TAB>15[IKE] msg"
 *   OpenWrt        "Sat Nov 29 17:51:52 2025 daemon.info charon[1234]: msg"   (logread; the
 *                  facility becomes SYSLOG_FACILITY as a <PRI>'s does)
 *   journalctl     "Sat 2026-11-29 17:51:52 UTC host prog[pid]: msg"   (-o short-full)
 *                  "1795974712.304533 host prog[pid]: msg"             (-o short-unix)
 *   logcat         "11-19 09:36:22.123  1234  1250 I charon  : msg"   (threadtime)
 *                  "11-19 09:36:22.123 I/charon  ( 1234): msg"        (time)
 * and when none of those fits either, a line that carries charon's marker ("NN[GRP] ", or
 * "[GRP] " where charon prints no thread, as swanctl --initiate does; one of charon's groups)
 * after a space or tab is a charon line: "strongswan: 06[IKE] msg", "I/charon( 1234): 05[IKE]
 * msg", "[IKE] msg"; a tag right before the marker gives its host and pid.
 * A line with none of these still becomes an event: msg = the whole line, no time/host/program.
 * Spaces, tabs and CRs at the end of a line are dropped first, in every form.
 *
 * For charon and charon-systemd, and for any program whose message starts with charon's
 * marker (which then becomes "charon": OpenWrt's "strongswan", "ipsec", a custom identifier),
 * the message's own prefix "NN[GRP] " and "<conn|uid> " / "<uid> " is moved into fields
 * THREAD, GROUP, IKE_SA_NAME, IKE_SA_UNIQUE_ID (the names charon-systemd uses in the journal),
 * so rules see the same message in every log form.
 *
 * Classic times have no year: see swl_parser below. A time of day alone takes the date of the
 * line before it that had a time, moving to the next day when its clock is more than 12 hours
 * behind that line's; the first such line takes the date of ref_time (in the pinned year), or
 * the day before when its clock is past ref_time's.
 */
#ifndef SWL_PARSE_SYSLOG_H
#define SWL_PARSE_SYSLOG_H

#include <time.h>

#include "event.h"

/* How to complete classic syslog times, which have neither year nor zone. */
struct swl_parser {
	int year;          /* pinned year (--year), 0 = derive from ref_time */
	time_t ref_time;   /* the file's mtime, or now: lines are assumed not to be from the future */
	/* internal: rollover tracking and a per-hour mktime cache */
	int last_mon, cur_year;
	long cache_key;
	int64_t cache_epoch;
	/* internal: ref_time's local year and wall clock (seconds, as if UTC), for the year rule */
	int ref_year;
	int64_t ref_wall;
	/* internal: the last classic timestamp taken (its bytes and the space after them) and its
	 * time: consecutive lines mostly share their second, so most lines skip the date. */
	size_t ts_len;
	char ts[40];
	int64_t ts_us;
	/* internal: the time of the last line that had one (a time of day alone takes its date) */
	int64_t last_us;
};

/* Start a new file or stream. year: pinned year or 0; ref_time: see above (0 = now). Local time
 * (the TZ environment, which main sets from --timezone) interprets classic timestamps. */
void swl_parser_init(struct swl_parser *ps, int year, time_t ref_time);

/* Start the next file of one series (replay FILE...): like swl_parser_init, but a pinned year
 * goes on from where the previous file left it, so logs rotated across New Year continue in
 * the new year. Without a pinned year each file's year comes from its own ref_time. */
void swl_parser_next_file(struct swl_parser *ps, time_t ref_time);

/* Parse one line (without its newline) into ev; the event borrows from line.
 * Returns 0 when a header was recognised, -EINVAL when not (ev is still filled). */
int swl_parse_line(struct swl_parser *ps, const char *line, size_t len, struct swl_event *ev);

/* Move charon's "NN[GRP] " and "<conn|uid> " prefixes from ev->msg into fields.
 * Called by swl_parse_line for charon programs and by the journal source. */
void swl_parse_charon_prefix(struct swl_event *ev);

/* True for the program names whose messages carry charon's prefixes. Inline: it runs for
 * every line; the length decides first (most programs are neither 6 nor 14 bytes long). */
static inline bool swl_is_charon(struct swl_str program)
{
	switch (program.n) {
	case 6:
		return memcmp(program.p, "charon", 6) == 0;
	case 14:
		return memcmp(program.p, "charon-systemd", 14) == 0;
	default:
		return false;
	}
}

/* True when msg starts with charon's marker ("NN[GRP] " or "[GRP] ", one of charon's groups):
 * an entry of any program with such a message is charon's. */
bool swl_has_charon_marker(struct swl_str msg);

#endif
