/* report.h - swanlog report: what replay's metrics saw happen, per tunnel and over time.
 *
 * The report listens to the registry (swl_registry.observer) while replay feeds the logs
 * through the same rules and state as the metrics: every counter increase becomes an event
 * of its tunnel (conn, peer) at its log time, and the *_up gauges give when each IKE_SA and
 * CHILD_SA was up. Nothing is parsed here a second time, so the page's counts are replay's
 * final values (within --from/--to: the increases inside the window).
 * Written as one self-contained HTML page (report_html.c) or plain text (report_text.c).
 */
#ifndef SWL_REPORT_H
#define SWL_REPORT_H
#include <stdio.h>

#include "registry.h"

#define SWL_REPORT_DEFAULT_TOP 100

struct swl_report_opts {
	int64_t from_us, to_us;     /* the window; 0: the first / last time in the logs */
	size_t top;                 /* tunnels listed one by one; the rest are summed in one row */
	const char *const *paths;   /* the inputs, named on the page */
	size_t npaths;
};

struct swl_report;

/* Start listening to reg (borrowed; it must outlive the report). */
struct swl_report *swl_report_create(struct swl_registry *reg, const struct swl_report_opts *o);
/* After the last entry: stop listening, close the window, work out the summaries. */
void swl_report_finish(struct swl_report *r);
/* 0, or a negative errno when out could not be written. */
int swl_report_write_html(const struct swl_report *r, FILE *out);
int swl_report_write_text(const struct swl_report *r, FILE *out);
void swl_report_destroy(struct swl_report *r);

/* "2026-11-29 17:55:43" style times for --from/--to, read in the local zone (TZ, --timezone);
 * a date alone is midnight. Returns 0, or -EINVAL. */
int swl_report_parse_time(const char *s, int64_t *t_us);

#endif
