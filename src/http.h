/* http.h - the /metrics endpoint: libmicrohttpd on its own polling thread.
 *
 * The HTTP thread never touches the registry. The pipeline thread renders the exposition and
 * publishes it as an immutable, reference-counted snapshot; a request takes a reference under
 * a mutex held only for that, and the response sends the snapshot's bytes without copying.
 * Paths: /metrics (GET, HEAD; Prometheus text 0.0.4, or OpenMetrics when the Accept header
 * asks for application/openmetrics-text), /healthz ("ok"), / (a small HTML page). Other
 * paths are 404, other methods 405. Connections, their memory and their idle time are bounded.
 */
#ifndef SWL_HTTP_H
#define SWL_HTTP_H

#include "util.h"

#define SWL_HTTP_DEFAULT_LISTEN "127.0.0.1:9814"
#define SWL_HTTP_MAX_CONNECTIONS 64
#define SWL_HTTP_TIMEOUT_S 10
#define SWL_HTTP_CONNECTION_MEMORY (32u * 1024u)

struct swl_http_config {
	const char *listen;            /* "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" (every IPv4 address) or
				        * "[::]:PORT" (every address) */
	unsigned max_connections;      /* 0 = SWL_HTTP_MAX_CONNECTIONS */
	unsigned timeout_s;            /* idle connection timeout; 0 = SWL_HTTP_TIMEOUT_S */
	/* TLS and basic auth (web-config) would be added here and in http.c's daemon_options() */
};

struct swl_http;

/* Bind and start serving (an empty exposition until the first publish). cfg is borrowed for
 * the call only. Returns 0 or a negative errno with err set. */
int swl_http_start(const struct swl_http_config *cfg, struct swl_http **out, struct swl_err *err);
/* Publish a new exposition: prom (text 0.0.4) and om (OpenMetrics) are taken (malloc'd). */
void swl_http_publish(struct swl_http *h, char *prom, size_t prom_len, char *om, size_t om_len);
/* Stop serving and free everything (responses in flight keep their snapshot alive). */
void swl_http_stop(struct swl_http *h);

#endif
