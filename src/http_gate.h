/* http_gate.h - who may hold a connection to the HTTP endpoint, and for how long.
 *
 * libmicrohttpd parses and answers requests, but its idle timeout restarts with every byte:
 * a client sending a header line every few seconds held a connection for hours, and 600 of
 * them kept every scrape out. So the gate owns the listening socket, accepts every
 * connection itself and keeps each one's deadlines (the bounds are in http.h):
 *  - at most SWL_HTTP_MAX_CONNECTIONS connections, at most SWL_HTTP_MAX_PER_CLIENT of them
 *    from one client (one IPv4 address, or one IPv6 /64: a single host may own a whole one);
 *  - the first bytes must be what the port speaks (an HTTP request line, or a TLS handshake
 *    record): anything else is answered 400 at once and closed;
 *  - a connection has SWL_HTTP_HEAD_TIMEOUT_S from connecting (TLS handshake included) to
 *    deliver its first request head, SWL_HTTP_ANSWER_TIMEOUT_S to read each answer, and when
 *    kept alive SWL_HTTP_KEEPALIVE_S from an answer to deliver its next request head; then it
 *    is closed, however many bytes it trickles;
 *  - a new connection is not kept out by waiting ones: when a bound is full (that of its
 *    client, or the total), a connection in the way is closed to make room: one answered 400,
 *    else the one that has waited longest for its first request head, else the one kept
 *    alive longest since its last answer. Only connections being answered are never closed
 *    for room: when all in the way are, the newcomer is refused. A scraper that connects gets
 *    in; it loses its place again only to a client that opens a bound's worth of
 *    connections before the scraper has sent its request head (a flood, not a slow client).
 * A connection that passes the first bytes is handed to libmicrohttpd (cfg.admit); from its
 * callbacks, libmicrohttpd tells the gate when the connection starts and ends and when each
 * request head is complete and each answer done. The gate closes a connection
 * libmicrohttpd holds with shutdown(), under its lock, which the closed callback also takes
 * before libmicrohttpd closes the descriptor: a descriptor number is never reused under it.
 */
#ifndef SWL_HTTP_GATE_H
#define SWL_HTTP_GATE_H

#include <sys/socket.h>

#include "util.h"

struct swl_gate_config {
	int listen_fd; /* bound, listening, non-blocking: the gate's from swl_gate_start on */
	bool tls;      /* the port speaks TLS */
	/* Hand an accepted connection over; the descriptor is the callee's from then on, even
	 * when it returns false (could not take it). Called on the gate's thread. */
	bool (*admit)(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen);
	void *cls;
};

struct swl_gate;
struct swl_gate_conn;

/* Start the gate's thread. Returns 0 or a negative errno with err set (and *out NULL). *out
 * is set before the thread starts: the callbacks of the first connections read it. On failure
 * the listening socket is closed. */
int swl_gate_start(const struct swl_gate_config *cfg, struct swl_gate **out, struct swl_err *err);
/* Stop accepting and close the connections not yet handed over. Those libmicrohttpd holds
 * stay its own: free the gate after libmicrohttpd has stopped. */
void swl_gate_stop(struct swl_gate *g);
void swl_gate_free(struct swl_gate *g);

/* libmicrohttpd's side, from any thread. A NULL conn (a connection the gate lost track of)
 * is allowed everywhere. */
struct swl_gate_conn *swl_gate_started(struct swl_gate *g, int fd); /* the handed-over fd started */
void swl_gate_busy(struct swl_gate *g, struct swl_gate_conn *conn);  /* its request head is complete */
void swl_gate_idle(struct swl_gate *g, struct swl_gate_conn *conn);  /* its answer is done */
void swl_gate_closed(struct swl_gate *g, struct swl_gate_conn *conn); /* about to be closed */

#endif
