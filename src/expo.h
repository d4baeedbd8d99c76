/* expo.h - registry -> Prometheus text 0.0.4 or OpenMetrics 1.0, sorted and escaped.
 * Reads the registry only. */
#ifndef SWL_EXPO_H
#define SWL_EXPO_H

#include <stdio.h>

#include "registry.h"

enum swl_format { SWL_FORMAT_PROMETHEUS, SWL_FORMAT_OPENMETRICS };

#define SWL_EXPO_TIMESTAMPS 1u  /* OpenMetrics: each sample carries its series' last-change log time */
#define SWL_EXPO_HISTORY    2u  /* OpenMetrics: each series' recorded points (--step), then the last value */
/* With either flag, a series that never changed (updated_us == 0) and has no recorded point is
 * left out: it has no log time, and backfilling refuses a sample without a timestamp. */

#define SWL_CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define SWL_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Append the exposition of every live family to out. Families with no series are rendered
 * with HELP and TYPE only. Returns 0 or -ENOSPC when out's maximum was reached. */
int swl_expo_render(const struct swl_registry *r, enum swl_format fmt, unsigned flags, struct swl_buf *out);

/* The same exposition written to out as it is rendered, in chunks of 64 KiB (replay's output:
 * no buffer the size of the whole text). Returns 0, or a negative errno when writing failed
 * (what was written before stays written). */
int swl_expo_write(const struct swl_registry *r, enum swl_format fmt, unsigned flags, FILE *out);

/* What replay writes: the flags above; whether swanlog's own families (named swanlog_*) are
 * included; and labels put first on every series written (borrowed, NULL or name="value"
 * pairs joined by commas, the values escaped as swl_expo_escape_label does). */
struct swl_expo_opts {
	unsigned flags;
	bool self;
	const char *labels;
};
/* swl_expo_write with those options (swl_expo_write: every family, no extra labels). */
int swl_expo_write_opts(const struct swl_registry *r, enum swl_format fmt, const struct swl_expo_opts *eo,
			FILE *out);

/* Escaping helpers (exported for tests): label values escape \ " and newline; Prometheus HELP
 * escapes \ and newline; OpenMetrics HELP also escapes ". */
int swl_expo_escape_label(struct swl_buf *out, const char *s);
int swl_expo_escape_help(struct swl_buf *out, const char *s, enum swl_format fmt);

#endif
