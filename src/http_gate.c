/* http_gate.c - connection admission and deadlines for the HTTP endpoint (see http_gate.h). */
#include "http_gate.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define LINGER_MS 1000        /* after a 400, how long the client's bytes are read and dropped */
#define HANDED_FORGET_MS 60000 /* a handed-over connection libmicrohttpd never started */
#define ACCEPT_PAUSE_MS 100   /* out of descriptors: accepting waits this long */

enum conn_state {
	C_FREE,
	C_FIRST_BYTES, /* the gate's: waiting for the first bytes */
	C_LINGER,      /* the gate's: answered 400, reading what the client still sends */
	C_HANDED,      /* given to libmicrohttpd, not started yet */
	C_HEAD,	       /* libmicrohttpd's: the request head is not complete */
	C_BUSY,	       /* libmicrohttpd's: a request is being answered */
	C_IDLE,	       /* libmicrohttpd's: kept alive, waiting for the next request */
	C_CLOSING      /* libmicrohttpd's, shut down by the gate: it will close it */
};

struct swl_gate_conn {
	int fd;
	enum conn_state state;
	int64_t since_ms;	  /* when the current wait began (connected, or last answered) */
	uint64_t order;		  /* the same as a count: which of two began waiting first */
	unsigned char client[16]; /* the client: an IPv4-mapped address, or an IPv6 /64 */
	struct sockaddr_storage addr; /* for the hand-over */
	socklen_t addrlen;
};

struct swl_gate {
	struct swl_gate_config cfg;
	pthread_t thread;
	int stop_fd; /* eventfd */
	pthread_mutex_t lock; /* guards conns and waits; held for table work and shutdown() only */
	uint64_t waits;       /* waits begun */
	size_t cap;
	struct swl_gate_conn *conns;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff; /* as ::ffff:a.b.c.d, so both forms are one client */
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		memcpy(key, a->s6_addr, IN6_IS_ADDR_V4MAPPED(a) ? 16 : 8);
	}
}

/* Counted against the bounds: every state but free and closing. */
static bool counted(enum conn_state s)
{
	return s != C_FREE && s != C_CLOSING;
}

/* When the connection's wait ends (INT64_MAX: it has none). */
static int64_t deadline(const struct swl_gate_conn *c)
{
	switch (c->state) {
	case C_FIRST_BYTES:
	case C_HEAD:
		return c->since_ms + SWL_HTTP_HEAD_TIMEOUT_S * 1000;
	case C_IDLE:
		return c->since_ms + SWL_HTTP_KEEPALIVE_S * 1000;
	case C_BUSY:
		return c->since_ms + SWL_HTTP_ANSWER_TIMEOUT_S * 1000;
	case C_LINGER:
		return c->since_ms + LINGER_MS;
	case C_HANDED:
		return c->since_ms + HANDED_FORGET_MS;
	default:
		return INT64_MAX;
	}
}

/* End a connection: the gate's own are closed, libmicrohttpd's shut down (it closes them when
 * it sees that), a handed-over one that never started is forgotten. Under the lock. */
static void drop(struct swl_gate_conn *c)
{
	switch (c->state) {
	case C_FIRST_BYTES:
	case C_LINGER:
		close(c->fd);
		c->state = C_FREE;
		break;
	case C_HEAD:
	case C_BUSY:
	case C_IDLE:
		shutdown(c->fd, SHUT_RDWR);
		c->state = C_CLOSING;
		break;
	case C_HANDED:
		c->state = C_FREE;
		break;
	default:
		break;
	}
}

/* How willing a connection is to make room for a new one: 3 for one answered 400 and
 * lingering, 2 for one that waits for its first request head, 1 for one kept alive that waits
 * for its next (it has sent a whole request before), 0 for one being answered or handed over. */
static int evictable(const struct swl_gate_conn *c)
{
	switch (c->state) {
	case C_LINGER:
		return 3;
	case C_FIRST_BYTES:
	case C_HEAD:
		return 2;
	case C_IDLE:
		return 1;
	default:
		return 0;
	}
}

/* Whether a would make room before b: the more willing, then the one that waited longer. */
static bool before(const struct swl_gate_conn *a, const struct swl_gate_conn *b)
{
	if (!b)
		return true;
	int ea = evictable(a), eb = evictable(b);
	return ea != eb ? ea > eb : a->order < b->order;
}

/* Make room for a connection from client: true when there is a free slot within the bounds,
 * after closing the connection that makes room first (of that client when it has its bound,
 * else of all) when a bound is full. The newcomer is refused only when every connection in
 * the way is being answered. */
static bool make_room(struct swl_gate *g, const unsigned char client[16], struct swl_gate_conn **slot)
{
	unsigned all = 0, mine = 0;
	struct swl_gate_conn *free_slot = NULL, *first_mine = NULL, *first = NULL;
	for (size_t i = 0; i < g->cap; i++) {
		struct swl_gate_conn *c = &g->conns[i];
		if (c->state == C_FREE) {
			free_slot = free_slot ? free_slot : c;
			continue;
		}
		if (!counted(c->state))
			continue;
		bool same = memcmp(c->client, client, 16) == 0;
		all++;
		mine += same;
		if (!evictable(c))
			continue;
		if (before(c, first))
			first = c;
		if (same && before(c, first_mine))
			first_mine = c;
	}
	bool full_mine = mine >= SWL_HTTP_MAX_PER_CLIENT, full = all >= SWL_HTTP_MAX_CONNECTIONS;
	struct swl_gate_conn *victim = full_mine ? first_mine : full ? first : NULL;
	if ((full_mine || full) && !victim)
		return false;
	if (victim) {
		drop(victim);
		if (victim->state == C_FREE)
			free_slot = victim;
	}
	*slot = free_slot;
	return free_slot != NULL;
}

static void admit_new(struct swl_gate *g, int fd, const struct sockaddr_storage *addr, socklen_t addrlen)
{
	unsigned char client[16];
	client_key((const struct sockaddr *)addr, client);
	int64_t now = now_ms();
	struct swl_gate_conn *c;
	pthread_mutex_lock(&g->lock);
	if (make_room(g, client, &c)) {
		*c = (struct swl_gate_conn){ .fd = fd, .state = C_FIRST_BYTES, .since_ms = now, .order = ++g->waits,
					     .addr = *addr, .addrlen = addrlen };
		memcpy(c->client, client, 16);
		fd = -1;
	}
	pthread_mutex_unlock(&g->lock);
	if (fd >= 0)
		close(fd); /* refused */
}

/* RFC 9110 5.6.2 tchar: what a method is made of. */
static bool tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Whether the first bytes (n > 0) can start what the port speaks: a TLS handshake record, or
 * a request line (empty lines first are allowed, RFC 9112 2.2) as far as it has come. */
static bool first_bytes_ok(const unsigned char *b, size_t n, bool tls)
{
	if (tls)
		return b[0] == 0x16;
	size_t i = 0;
	while (i < n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	size_t method = i;
	while (i < n && tchar(b[i]))
		i++;
	return i == n || (b[i] == ' ' && i > method);
}

static void refuse_with_400(struct swl_gate *g, struct swl_gate_conn *c)
{
	const char *why = g->cfg.tls ? "bad request: this port speaks HTTPS\n" : "bad request: not HTTP\n";
	char resp[256];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 strlen(why), why);
	/* a fresh socket's send buffer holds it; if not, the client gets less */
	if (send(c->fd, resp, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		close(c->fd);
		c->state = C_FREE;
		return;
	}
	/* Read what the client sends until it closes, a while: closing with its bytes unread
	 * would reset the connection and could destroy the answer on its way. */
	shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	c->since_ms = now_ms();
	c->order = ++g->waits;
}

/* The gate's connection c is readable. */
static void on_readable(struct swl_gate *g, struct swl_gate_conn *c)
{
	unsigned char buf[4096];
	if (c->state == C_LINGER) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			drop(c);
		return;
	}
	ssize_t n = recv(c->fd, buf, 16, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c);
		return;
	}
	if (!first_bytes_ok(buf, (size_t)n, g->cfg.tls)) {
		refuse_with_400(g, c);
		return;
	}
	c->state = C_HANDED;
	int fd = c->fd;
	struct sockaddr_storage addr = c->addr;
	socklen_t len = c->addrlen;
	/* Outside the lock: libmicrohttpd's thread takes it to start the connection. Only this
	 * thread frees a handed-over slot or accepts, so fd names the same connection until
	 * the admit returns. */
	pthread_mutex_unlock(&g->lock);
	bool taken = g->cfg.admit(g->cfg.cls, fd, (const struct sockaddr *)&addr, len);
	pthread_mutex_lock(&g->lock);
	if (!taken && c->state == C_HANDED && c->fd == fd)
		c->state = C_FREE; /* libmicrohttpd closed it */
}

/* Drop every connection past its deadline; the earliest deadline left. Under the lock. */
static int64_t expire(struct swl_gate *g, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < g->cap; i++) {
		struct swl_gate_conn *c = &g->conns[i];
		int64_t d = deadline(c);
		if (d <= now) {
			drop(c);
			d = deadline(c);
		}
		next = d < next ? d : next;
	}
	return next;
}

static void accept_some(struct swl_gate *g, int64_t *paused_until)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof(addr);
		int fd = accept4(g->cfg.listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			admit_new(g, fd, &addr, len);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			*paused_until = now_ms() + ACCEPT_PAUSE_MS;
		return; /* EAGAIN, or a connection gone before it was accepted */
	}
}

static void *gate_main(void *arg)
{
	struct swl_gate *g = arg;
	struct pollfd *pfd = swl_xcalloc(g->cap + 2, sizeof(*pfd));
	struct swl_gate_conn **who = swl_xcalloc(g->cap, sizeof(*who));
	int64_t paused_until = 0;
	for (;;) {
		int64_t now = now_ms();
		size_t n = 0;
		pfd[n++] = (struct pollfd){ .fd = g->stop_fd, .events = POLLIN };
		bool listening = now >= paused_until;
		if (listening)
			pfd[n++] = (struct pollfd){ .fd = g->cfg.listen_fd, .events = POLLIN };
		size_t first_conn = n;
		pthread_mutex_lock(&g->lock);
		int64_t next = expire(g, now);
		for (size_t i = 0; i < g->cap; i++) {
			struct swl_gate_conn *c = &g->conns[i];
			if (c->state == C_FIRST_BYTES || c->state == C_LINGER) {
				who[n - first_conn] = c;
				pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			}
		}
		pthread_mutex_unlock(&g->lock);
		/* at least every second: an answered request starts a deadline without telling us */
		int64_t wait = next == INT64_MAX ? 1000 : next - now;
		wait = wait < 0 ? 0 : wait > 1000 ? 1000 : wait;
		if (!listening && paused_until - now < wait)
			wait = paused_until - now;
		if (poll(pfd, n, (int)wait) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		pthread_mutex_lock(&g->lock);
		for (size_t i = first_conn; i < n; i++)
			if (pfd[i].revents)
				on_readable(g, who[i - first_conn]);
		pthread_mutex_unlock(&g->lock);
		if (listening && pfd[1].revents)
			accept_some(g, &paused_until);
	}
	free(pfd);
	free(who);
	return NULL;
}

int swl_gate_start(const struct swl_gate_config *cfg, struct swl_gate **out, struct swl_err *err)
{
	struct swl_gate *g = swl_xcalloc(1, sizeof(*g));
	g->cfg = *cfg;
	/* room beyond the bounds for connections shut down that libmicrohttpd has yet to close */
	g->cap = SWL_HTTP_MAX_CONNECTIONS + SWL_HTTP_MAX_CONNECTIONS / 4;
	g->conns = swl_xcalloc(g->cap, sizeof(*g->conns));
	pthread_mutex_init(&g->lock, NULL);
	int r = 0;
	/* *out is set before the thread starts: libmicrohttpd's callbacks for the first
	 * connection it hands over read it (they run after pthread_create, so they see it) */
	*out = g;
	g->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->stop_fd < 0)
		r = -errno;
	else if ((r = -pthread_create(&g->thread, NULL, gate_main, g)) != 0)
		close(g->stop_fd);
	if (r < 0) {
		*out = NULL;
		snprintf(err->msg, sizeof(err->msg), "cannot start accepting connections: %s", strerror(-r));
		close(cfg->listen_fd);
		pthread_mutex_destroy(&g->lock);
		free(g->conns);
		free(g);
		return r;
	}
	return 0;
}

void swl_gate_stop(struct swl_gate *g)
{
	uint64_t one = 1;
	if (write(g->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		abort(); /* an eventfd far from overflow: cannot fail */
	pthread_join(g->thread, NULL);
	close(g->cfg.listen_fd);
	close(g->stop_fd);
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->cap; i++)
		if (g->conns[i].state == C_FIRST_BYTES || g->conns[i].state == C_LINGER)
			drop(&g->conns[i]);
	pthread_mutex_unlock(&g->lock);
}

void swl_gate_free(struct swl_gate *g)
{
	pthread_mutex_destroy(&g->lock);
	free(g->conns);
	free(g);
}

struct swl_gate_conn *swl_gate_started(struct swl_gate *g, int fd)
{
	struct swl_gate_conn *found = NULL;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->cap && !found; i++) {
		struct swl_gate_conn *c = &g->conns[i];
		if (c->state == C_HANDED && c->fd == fd) {
			c->state = C_HEAD; /* since: still when it connected */
			found = c;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return found;
}

/* Move conn from one of libmicrohttpd's states to another (a closing one stays closing). */
static void set_state(struct swl_gate *g, struct swl_gate_conn *conn, enum conn_state to)
{
	if (!conn)
		return;
	pthread_mutex_lock(&g->lock);
	if (conn->state == C_HEAD || conn->state == C_BUSY || conn->state == C_IDLE) {
		conn->state = to;
		conn->since_ms = now_ms();
		conn->order = ++g->waits;
	}
	pthread_mutex_unlock(&g->lock);
}

void swl_gate_busy(struct swl_gate *g, struct swl_gate_conn *conn)
{
	set_state(g, conn, C_BUSY);
}

void swl_gate_idle(struct swl_gate *g, struct swl_gate_conn *conn)
{
	set_state(g, conn, C_IDLE);
}

void swl_gate_closed(struct swl_gate *g, struct swl_gate_conn *conn)
{
	if (!conn)
		return;
	pthread_mutex_lock(&g->lock);
	conn->state = C_FREE;
	pthread_mutex_unlock(&g->lock);
}
