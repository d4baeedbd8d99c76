/* process.h - what swanlog says about itself: the build it is (swanlog_build_info, and
 * --version's text) and the process it runs as (the process_* metrics every Prometheus client
 * library exports, read from /proc/self when rendered).
 *
 * swanlog_build_info lives in the registry it is declared in but describes this binary, not
 * the logs: it is not saved in the state file (an upgrade would otherwise bring back the old
 * version's series). The process metrics have a registry of their own, rendered after the
 * others into /metrics only: node_exporter's textfile collector, which --textfile feeds, has
 * process_* metrics of its own.
 */
#ifndef SWL_PROCESS_H
#define SWL_PROCESS_H

#include <stdio.h>

#include "expo.h"
#include "registry.h"

/* Where and how the binary was built (main.c fills it in from the build system). */
struct swl_build {
	const char *version;
	const char *revision; /* the git commit built, or "unknown" */
	const char *date;     /* UTC, as Prometheus exporters print it: 20060102-15:04:05 */
};

/* swanlog_build_info{version,revision,compiler,libpcre2,libyaml,zlib} 1 in reg: the compiler
 * that built swanlog, and the versions of the libraries it runs with. */
void swl_build_info_declare(struct swl_registry *reg, const struct swl_build *b);
/* --version: "swanlog VERSION", then the revision, build date, compiler and libraries. */
void swl_build_print(const struct swl_build *b, FILE *out);

/* The process_* metrics. */
struct swl_process_metrics;
struct swl_process_metrics *swl_process_metrics_create(void);
void swl_process_metrics_destroy(struct swl_process_metrics *pm);
/* Read /proc/self now and append the metrics' exposition to out (OpenMetrics: ending in
 * "# EOF"). A value that cannot be read keeps its last reading (none yet: no sample).
 * Returns 0 or -ENOSPC. */
int swl_process_metrics_render(struct swl_process_metrics *pm, enum swl_format fmt, struct swl_buf *out);

#endif
