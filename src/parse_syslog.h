/* parse_syslog.h - syslog lines and charon's prefixes -> struct swl_event (pure, no allocation).
 *
 * Header forms recognised, in this order:
 *   RFC 5424      "<PRI>1 2026-11-29T17:51:52.304533+00:00 host app pid msgid [sd] msg"
 *   RFC 3339      "2026-11-29T17:51:52.304533+00:00 host prog[pid]: msg"   (rsyslog templates)
 *   RFC 3164      "Nov 29 17:51:52 host prog[pid]: msg"   (optionally "<PRI>" first)
 *   charon file   "Nov 29 17:51:52 09[IKE] <con1|1> msg"   (no host; program becomes "charon")
 *   charon bare   "09[IKE] <con1|1> msg"   (file logger without time_format: no time, 0 returned)
 * A line with none of these still becomes an event: msg = the whole line, no time/host/program.
 *
 * For charon and charon-systemd the message's own prefix "NN[GRP] " and "<conn|uid> " /
 * "<uid> " is moved into fields THREAD, GROUP, IKE_SA_NAME, IKE_SA_UNIQUE_ID (the names
 * charon-systemd uses in the journal), so rules see the same message in every log form.
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

/* True for the program names whose messages carry charon's prefixes. */
bool swl_is_charon(struct swl_str program);

#endif
