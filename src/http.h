/* http.h - the /metrics endpoint: libmicrohttpd on a small pool of polling threads, behind a
 * gate (http_gate.h) that accepts the connections and keeps their bounds and deadlines.
 *
 * The HTTP threads never touch the registry. The pipeline thread renders the exposition and
 * publishes it as an immutable, reference-counted snapshot; a request takes a reference under
 * a mutex held only for that, and the response sends the snapshot's bytes without copying.
 * A gzip copy of each format is made once per snapshot, by the first request that accepts
 * gzip, under that snapshot's own lock (never the publishing lock).
 * Paths: /metrics (GET, HEAD; Prometheus text 0.0.4, or OpenMetrics when the Accept header
 * prefers application/openmetrics-text, see swl_http_wants_openmetrics; gzip when
 * Accept-Encoding allows it; always "Vary: Accept-Encoding"), /healthz ("ok", or 503 with the
 * reason while nothing can be read (swl_http_set_problem); never asks for basic auth, so probes
 * need no password; client certificates are still checked), / (a small HTML page: version,
 * source, links), and with lifecycle on, POST or PUT /-/reload (404 without it). Other paths are
 * 404, other methods 405, a request with a body 413 (bodies are never read), HTTP/1.1
 * without Host 400. Connections are kept alive between requests (a scraper saves a TCP and
 * TLS handshake per scrape); an answer is queued once its request is complete.
 * With a web config: HTTPS and client certificates (webconfig.h), and basic auth: a missing
 * or wrong password is 401 with WWW-Authenticate: Basic realm="swanlog". A password not
 * remembered from a previous success is checked (a bcrypt) by one checker thread while its
 * request is suspended, so the serving threads never wait for a bcrypt.
 */
#ifndef SWL_HTTP_H
#define SWL_HTTP_H

#include "util.h"

struct swl_webconfig;

#define SWL_HTTP_DEFAULT_LISTEN "127.0.0.1:9814"
/* The bounds the gate keeps (http_gate.h). Each connection costs a file descriptor and, once
 * it sends something, up to SWL_HTTP_CONNECTION_MEMORY. */
#define SWL_HTTP_MAX_CONNECTIONS 512
#define SWL_HTTP_MAX_PER_CLIENT 32     /* from one IPv4 address or IPv6 /64 */
#define SWL_HTTP_HEAD_TIMEOUT_S 5      /* from connecting to a complete first request head */
#define SWL_HTTP_KEEPALIVE_S 75        /* from an answer to the next complete request head */
#define SWL_HTTP_ANSWER_TIMEOUT_S 60   /* from a complete request head to its answer sent */
#define SWL_HTTP_CONNECTION_MEMORY (32u * 1024u)
#define SWL_HTTP_THREADS 4             /* a reload in one leaves three */
#define SWL_HTTP_RELOAD_WAIT_S 10      /* POST /-/reload waits this long for the result, then 503 */
#define SWL_HTTP_TIMEOUT_S 10          /* idle while a request is answered (a client not reading) */
#define SWL_HTTP_CHECKS_QUEUED 64      /* password checks waiting for the checker; then 503 */

struct swl_http_config {
	const char *listen;            /* "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" (every IPv4 address) or
				        * "[::]:PORT" (every address) */
	unsigned timeout_s;            /* idle timeout while answering; 0 = SWL_HTTP_TIMEOUT_S */
	const struct swl_webconfig *web; /* TLS and basic auth, or NULL; borrowed: must outlive the server */
	bool lifecycle;                /* serve POST /-/reload */
	const char *version;           /* the landing page's version line (NULL: SWL_VERSION) */
	const char *source;            /* the landing page's source line (what is read) */
	const char *problem;           /* why nothing can be read at the start, or NULL (as swl_http_set_problem) */
};

struct swl_http;

/* Bind and start serving (an empty exposition until the first publish). cfg is borrowed for
 * the call only. Loads libmicrohttpd first (weblib.h): -ELIBACC when it cannot. Returns 0 or a
 * negative errno with err set. */
int swl_http_start(const struct swl_http_config *cfg, struct swl_http **out, struct swl_err *err);
/* The address it listens on, as bound ("127.0.0.1:9814", "[::]:9814"): with port 0, the port
 * the kernel chose. */
const char *swl_http_address(const struct swl_http *h);
/* Whether listen is "ADDR:PORT" with a port from 0 to 65535 (the address is resolved at the
 * start). Returns 0 or -EINVAL with err set. */
int swl_http_check_listen(const char *listen, struct swl_err *err);
/* Why nothing can be read (copied), or NULL when something can: /healthz answers 503 with it. */
void swl_http_set_problem(struct swl_http *h, const char *problem);
/* Publish a new exposition: prom (text 0.0.4) and om (OpenMetrics) are taken (malloc'd). */
void swl_http_publish(struct swl_http *h, char *prom, size_t prom_len, char *om, size_t om_len);
/* Reloads asked for over HTTP (POST /-/reload). The pipeline thread polls the fd; when it is
 * readable it calls swl_http_reload_take(), reloads, and reports with swl_http_reload_done();
 * the waiting requests are answered 200 or 500 with msg. */
int swl_http_reload_fd(const struct swl_http *h);
/* Clears the fd; returns a ticket covering every request made so far. */
uint64_t swl_http_reload_take(struct swl_http *h);
void swl_http_reload_done(struct swl_http *h, uint64_t ticket, bool ok, const char *msg);
/* Stop serving and free everything (responses in flight keep their snapshot alive). */
void swl_http_stop(struct swl_http *h);

/* Content negotiation (RFC 9110 12.4, 12.5) on a header's value, NULL when it is absent.
 * Media types, codings and parameter names are case-insensitive, quoted parameter values are
 * skipped whole, an element with a malformed q is ignored, and the most specific matching
 * range decides (application/openmetrics-text;q=0 refuses it even beside the range of any type).
 * OpenMetrics when its weight is above zero and above that of text/plain, or equal and named
 * itself; otherwise the text format, which is also served when nothing is acceptable. */
bool swl_http_wants_openmetrics(const char *accept);
/* gzip (or x-gzip, or *) with a weight above zero. */
bool swl_http_accepts_gzip(const char *accept_encoding);

#endif
