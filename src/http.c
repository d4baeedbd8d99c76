/* http.c - libmicrohttpd serving published snapshots (see http.h). libmicrohttpd is loaded
 * when the server starts (weblib.h): every call to it goes through lib. */
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "expo.h"
#include "http_gate.h"
#include "log.h"
#include "webconfig.h"
#include "weblib.h"

enum { FMT_PROM, FMT_OM, NFMT };

/* One rendered exposition in both formats, immutable once published; the gzip copies are
 * made at most once, on first demand, under gz_lock. */
struct snapshot {
	atomic_uint refs;
	char *body[NFMT];
	size_t len[NFMT];
	pthread_mutex_t gz_lock;
	bool gz_tried[NFMT];
	char *gz[NFMT];        /* NULL when compression failed: the plain body is sent */
	size_t gz_len[NFMT];
};

/* A password check waiting for, or done by, the checker thread (see check_enqueue). */
struct check {
	struct MHD_Connection *c;
	char *user, *password; /* released by the checker */
	enum { CHECK_QUEUED, CHECK_PASSED, CHECK_FAILED, CHECK_DROPPED } state;
	struct check *next;
};

struct checker {
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* guards the queue and stop; never held across a bcrypt */
	pthread_cond_t cv;
	struct check *head, *tail;
	unsigned queued;
	bool stop;
};

struct swl_http {
	const struct swl_weblib *lib;
	struct MHD_Daemon *daemon;
	struct swl_gate *gate; /* accepts the connections, keeps their bounds and deadlines */
	const struct swl_webconfig *web;
	bool lifecycle;
	unsigned timeout_s;    /* idle timeout while a request is answered */
	struct checker checks;
	pthread_mutex_t lock;  /* guards cur, held only to swap or take a reference */
	struct snapshot *cur;
	/* POST /-/reload: requests count up `asked`; the pipeline answers up to `done` */
	int reload_fd;         /* eventfd */
	pthread_mutex_t reload_lock;
	pthread_cond_t reload_cv;
	uint64_t reload_asked, reload_done;
	bool reload_ok;
	char reload_msg[1024];
	char *landing;         /* the page at /, made at the start */
	char address[INET6_ADDRSTRLEN + 8]; /* where it listens, the port as bound */
	char *problem;         /* why nothing can be read (/healthz fails), or NULL; under lock */
};

/* s with &, <, >, " and ' as HTML character references. */
static void html_escaped(struct swl_buf *b, const char *s)
{
	static const char *const entity[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	};
	for (; s && *s; s++) {
		const char *e = entity[(unsigned char)*s];
		if (e)
			swl_buf_printf(b, "%s", e);
		else
			swl_buf_addc(b, *s);
	}
}

/* The landing page: what this is, its version and source, and where to go. Self-contained:
 * no script, style sheet or image from elsewhere. */
static char *landing_page(const struct swl_http_config *cfg)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	swl_buf_printf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>swanlog</title></head><body>\n"
			   "<h1>swanlog</h1>\n<p>strongSwan and kernel IPsec log metrics.</p>\n<p>Version: ");
	html_escaped(&b, cfg->version ? cfg->version : SWL_VERSION);
	swl_buf_printf(&b, "<br>\nSource: ");
	html_escaped(&b, cfg->source ? cfg->source : "-");
	swl_buf_printf(&b, "</p>\n<ul>\n<li><a href=\"/metrics\">Metrics</a></li>\n"
			   "<li><a href=\"/healthz\">Health</a></li>\n</ul>\n</body></html>\n");
	return swl_buf_steal(&b, NULL);
}

static struct snapshot *snapshot_new(char *prom, size_t prom_len, char *om, size_t om_len)
{
	struct snapshot *s = swl_xcalloc(1, sizeof(*s));
	atomic_init(&s->refs, 1);
	s->body[FMT_PROM] = prom;
	s->len[FMT_PROM] = prom_len;
	s->body[FMT_OM] = om;
	s->len[FMT_OM] = om_len;
	pthread_mutex_init(&s->gz_lock, NULL);
	return s;
}

static void snapshot_unref(struct snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
		for (int i = 0; i < NFMT; i++) {
			free(s->body[i]);
			free(s->gz[i]);
		}
		pthread_mutex_destroy(&s->gz_lock);
		free(s);
	}
}

/* gzip (RFC 1952) of p, or NULL when zlib fails. */
static char *gzip_bytes(const char *p, size_t n, size_t *out_len)
{
	z_stream z = { 0 };
	/* 15 + 16: a gzip header and trailer; level 6 is zlib's default trade-off */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)n);
	char *out = swl_xmalloc(cap);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END || n > UINT32_MAX) {
		free(out);
		return NULL;
	}
	return out;
}

/* The gzip copy of format f, made by the first request that wants it. */
static const char *snapshot_gz(struct snapshot *s, int f, size_t *len)
{
	pthread_mutex_lock(&s->gz_lock);
	if (!s->gz_tried[f]) {
		s->gz[f] = gzip_bytes(s->body[f], s->len[f], &s->gz_len[f]);
		s->gz_tried[f] = true;
	}
	pthread_mutex_unlock(&s->gz_lock);
	*len = s->gz_len[f];
	return s->gz[f];
}

/* libmicrohttpd's free callback for a response built on a snapshot */
static void snapshot_release(void *cls)
{
	snapshot_unref(cls);
}

static struct snapshot *snapshot_get(struct swl_http *h)
{
	pthread_mutex_lock(&h->lock);
	struct snapshot *s = h->cur;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&h->lock);
	return s;
}

void swl_http_publish(struct swl_http *h, char *prom, size_t prom_len, char *om, size_t om_len)
{
	struct snapshot *s = snapshot_new(prom, prom_len, om, om_len), *old;
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->lock);
	snapshot_unref(old); /* outside the lock: freeing may take a while */
}

static enum MHD_Result queue_static(const struct swl_weblib *lib, struct MHD_Connection *c, unsigned status,
				    const char *body, const char *type, const char *allow)
{
	struct MHD_Response *r = lib->MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		lib->MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow ? allow : "GET, HEAD");
	enum MHD_Result ret = status == MHD_HTTP_UNAUTHORIZED ? lib->MHD_queue_basic_auth_fail_response(c, "swanlog", r)
							       : lib->MHD_queue_response(c, status, r);
	lib->MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_text(const struct swl_weblib *lib, struct MHD_Connection *c, unsigned status,
				  const char *body)
{
	return queue_static(lib, c, status, body, "text/plain; charset=utf-8", NULL);
}

/* ---- content negotiation (RFC 9110 12.4, 12.5) ---- */

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* One element of a comma-separated header list: its value before any parameter, trimmed, and
 * its weight in thousandths (q=1 when not given; -1 when q is malformed: the element is
 * ignored). Parameters other than q are skipped, quoted strings included. */
struct list_elem {
	const char *v;
	size_t n;
	int q;
};

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths, or -1. */
static int qvalue(const char *v, size_t n)
{
	if (n == 0 || (v[0] != '0' && v[0] != '1') || (n > 1 && v[1] != '.') || n > 5)
		return -1;
	int q = (v[0] - '0') * 1000, scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (v[i] < '0' || v[i] > '9' || (q == 1000 && v[i] != '0'))
			return -1;
		q += (v[i] - '0') * scale;
	}
	return q;
}

/* The element that starts at p (separators first); returns where the next one starts, or
 * NULL when there is none. */
static const char *list_next(const char *p, struct list_elem *e)
{
	while (*p == ',' || ows(*p))
		p++;
	if (!*p)
		return NULL;
	e->v = p;
	p += strcspn(p, ",;");
	const char *end = p;
	while (end > e->v && ows(end[-1]))
		end--;
	e->n = (size_t)(end - e->v);
	e->q = 1000;
	while (*p == ';') {
		p++;
		while (ows(*p))
			p++;
		const char *name = p;
		p += strcspn(p, "=,; \t");
		size_t nl = (size_t)(p - name);
		while (ows(*p))
			p++;
		if (*p != '=') { /* no value: malformed, skipped */
			p += strcspn(p, ",;");
			continue;
		}
		p++;
		while (ows(*p))
			p++;
		const char *v = p;
		if (*p == '"') { /* quoted-string: may hold ',' and ';' */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '"')
				p++;
		}
		p += strcspn(p, ",;");
		const char *vend = p;
		while (vend > v && ows(vend[-1]))
			vend--;
		if (nl == 1 && (*name == 'q' || *name == 'Q'))
			e->q = qvalue(v, (size_t)(vend - v));
	}
	return p;
}

/* The weight a list gives one thing: that of its most specific matching elements (the
 * highest among equals). spec -1: nothing matched. */
struct pref {
	int spec, q;
};

static void pref_add(struct pref *p, int spec, int q)
{
	if (spec > p->spec || (spec == p->spec && q > p->q)) {
		p->spec = spec;
		p->q = q;
	}
}

/* How a media range matches type/subtype, case-insensitively: 2 exactly, 1 by "type/" and a
 * star, 0 by the range of any type, -1 not at all. */
static int media_match(const struct list_elem *e, const char *type)
{
	size_t tl = strlen(type), main_len = strcspn(type, "/") + 1;
	if (e->n == tl && strncasecmp(e->v, type, tl) == 0)
		return 2;
	if (e->n == main_len + 1 && strncasecmp(e->v, type, main_len) == 0 && e->v[main_len] == '*')
		return 1;
	return e->n == 3 && memcmp(e->v, "*/*", 3) == 0 ? 0 : -1;
}

bool swl_http_wants_openmetrics(const char *accept)
{
	struct pref om = { -1, 0 }, text = { -1, 0 };
	struct list_elem e;
	for (const char *p = accept; p && (p = list_next(p, &e));) {
		if (e.q < 0)
			continue;
		int s;
		if ((s = media_match(&e, "application/openmetrics-text")) >= 0)
			pref_add(&om, s, e.q);
		if ((s = media_match(&e, "text/plain")) >= 0)
			pref_add(&text, s, e.q);
	}
	/* a tie goes to OpenMetrics only when the client named it */
	return om.q > 0 && (om.q > text.q || (om.q == text.q && om.spec == 2));
}

bool swl_http_accepts_gzip(const char *accept_encoding)
{
	struct pref gz = { -1, 0 };
	struct list_elem e;
	for (const char *p = accept_encoding; p && (p = list_next(p, &e));) {
		if (e.q < 0)
			continue;
		if ((e.n == 4 && strncasecmp(e.v, "gzip", 4) == 0) || (e.n == 6 && strncasecmp(e.v, "x-gzip", 6) == 0))
			pref_add(&gz, 1, e.q);
		else if (e.n == 1 && e.v[0] == '*')
			pref_add(&gz, 0, e.q);
	}
	return gz.q > 0;
}

static const char *header(const struct swl_weblib *lib, struct MHD_Connection *c, const char *name)
{
	return lib->MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result queue_metrics(struct swl_http *h, struct MHD_Connection *c)
{
	const struct swl_weblib *lib = h->lib;
	struct snapshot *s = snapshot_get(h);
	bool om = swl_http_wants_openmetrics(header(lib, c, MHD_HTTP_HEADER_ACCEPT));
	int f = om ? FMT_OM : FMT_PROM;
	const char *body = s->body[f];
	size_t len = s->len[f];
	bool gz = false;
	if (swl_http_accepts_gzip(header(lib, c, MHD_HTTP_HEADER_ACCEPT_ENCODING))) {
		size_t zlen;
		const char *z = snapshot_gz(s, f, &zlen);
		if (z) {
			body = z;
			len = zlen;
			gz = true;
		}
	}
	struct MHD_Response *r =
		lib->MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)body, snapshot_release, s);
	if (!r) {
		snapshot_unref(s);
		return MHD_NO;
	}
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				     om ? SWL_CONTENT_TYPE_OPENMETRICS : SWL_CONTENT_TYPE_PROMETHEUS);
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		lib->MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	enum MHD_Result ret = lib->MHD_queue_response(c, MHD_HTTP_OK, r);
	lib->MHD_destroy_response(r);
	return ret;
}

/* POST /-/reload: wake the pipeline thread and wait (bounded) for its answer. Only this
 * worker thread waits; the others keep serving. */
static enum MHD_Result queue_reload(struct swl_http *h, struct MHD_Connection *c)
{
	const struct swl_weblib *lib = h->lib;
	pthread_mutex_lock(&h->reload_lock);
	uint64_t ticket = ++h->reload_asked;
	uint64_t one = 1;
	if (write(h->reload_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
		pthread_mutex_unlock(&h->reload_lock);
		return queue_text(lib, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot signal the reload\n");
	}
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += SWL_HTTP_RELOAD_WAIT_S;
	int r = 0;
	while (h->reload_done < ticket && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&h->reload_cv, &h->reload_lock, &until);
	bool answered = h->reload_done >= ticket, ok = h->reload_ok;
	char msg[sizeof(h->reload_msg) + 1];
	snprintf(msg, sizeof(msg), "%s\n", h->reload_msg);
	pthread_mutex_unlock(&h->reload_lock);
	if (!answered)
		return queue_text(lib, c, MHD_HTTP_SERVICE_UNAVAILABLE, "the reload was not done in time\n");
	/* msg is on the stack: the response must copy it */
	struct MHD_Response *resp = lib->MHD_create_response_from_buffer(strlen(msg), msg, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	lib->MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	enum MHD_Result ret = lib->MHD_queue_response(c, ok ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR, resp);
	lib->MHD_destroy_response(resp);
	return ret;
}

int swl_http_reload_fd(const struct swl_http *h)
{
	return h->reload_fd;
}

uint64_t swl_http_reload_take(struct swl_http *h)
{
	uint64_t v;
	pthread_mutex_lock(&h->reload_lock);
	/* under the lock: every request counted in `asked` has written the fd already */
	if (read(h->reload_fd, &v, sizeof(v)) < 0) {
		/* nothing pending (EAGAIN): the ticket is still right */
	}
	uint64_t t = h->reload_asked;
	pthread_mutex_unlock(&h->reload_lock);
	return t;
}

void swl_http_reload_done(struct swl_http *h, uint64_t ticket, bool ok, const char *msg)
{
	pthread_mutex_lock(&h->reload_lock);
	if (ticket > h->reload_done)
		h->reload_done = ticket;
	h->reload_ok = ok;
	snprintf(h->reload_msg, sizeof(h->reload_msg), "%s", msg);
	pthread_cond_broadcast(&h->reload_cv);
	pthread_mutex_unlock(&h->reload_lock);
}

void swl_http_set_problem(struct swl_http *h, const char *problem)
{
	char *p = problem && *problem ? swl_xstrdup(problem) : NULL, *old;
	pthread_mutex_lock(&h->lock);
	old = h->problem;
	h->problem = p;
	pthread_mutex_unlock(&h->lock);
	free(old);
}

/* "ok", or 503 with why nothing can be read */
static enum MHD_Result queue_health(struct swl_http *h, struct MHD_Connection *c)
{
	const struct swl_weblib *lib = h->lib;
	char body[1200];
	pthread_mutex_lock(&h->lock);
	bool ok = !h->problem;
	if (!ok)
		snprintf(body, sizeof(body), "nothing can be read: %s\n", h->problem);
	pthread_mutex_unlock(&h->lock);
	if (ok)
		return queue_text(lib, c, MHD_HTTP_OK, "ok\n");
	struct MHD_Response *r = lib->MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	enum MHD_Result ret = lib->MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
	lib->MHD_destroy_response(r);
	return ret;
}

static bool is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* What a request asks for; the last ones are refusals. */
enum route { ROUTE_METRICS, ROUTE_HEALTHZ, ROUTE_ROOT, ROUTE_RELOAD, ROUTE_NO_LIFECYCLE, ROUTE_NOT_FOUND,
	     ROUTE_GET_ONLY, ROUTE_POST_ONLY };

static enum route route(const struct swl_http *h, const char *url, const char *method)
{
	if (strcmp(url, "/-/reload") == 0) {
		if (!h->lifecycle)
			return ROUTE_NO_LIFECYCLE;
		bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0 || strcmp(method, MHD_HTTP_METHOD_PUT) == 0;
		return post ? ROUTE_RELOAD : ROUTE_POST_ONLY;
	}
	enum route r = strcmp(url, "/metrics") == 0 ? ROUTE_METRICS
		       : strcmp(url, "/healthz") == 0 ? ROUTE_HEALTHZ
		       : strcmp(url, "/") == 0	      ? ROUTE_ROOT
						      : ROUTE_NOT_FOUND;
	return r != ROUTE_NOT_FOUND && !is_get(method) ? ROUTE_GET_ONLY : r;
}

static enum MHD_Result answer(struct swl_http *h, struct MHD_Connection *c, enum route r)
{
	const struct swl_weblib *lib = h->lib;
	switch (r) {
	case ROUTE_METRICS: /* HEAD: libmicrohttpd sends the headers of the GET response without its body */
		return queue_metrics(h, c);
	case ROUTE_HEALTHZ:
		return queue_health(h, c);
	case ROUTE_ROOT:
		return queue_static(lib, c, MHD_HTTP_OK, h->landing, "text/html; charset=utf-8", NULL);
	case ROUTE_RELOAD:
		return queue_reload(h, c);
	case ROUTE_NO_LIFECYCLE:
		return queue_text(lib, c, MHD_HTTP_NOT_FOUND, "not found (--web.enable-lifecycle is off)\n");
	case ROUTE_NOT_FOUND:
		break;
	case ROUTE_GET_ONLY:
		return queue_text(lib, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	case ROUTE_POST_ONLY:
		return queue_static(lib, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				    "text/plain; charset=utf-8", "POST, PUT");
	}
	return queue_text(lib, c, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* ---- password checks, off the serving threads ----
 * A bcrypt takes tens of milliseconds. Run on a serving thread, it holds up every other
 * connection of that thread (16 clients sending wrong passwords slowed a valid scrape 8
 * times). So a request whose password is not remembered (webconfig.h) is suspended and
 * queued; one checker thread runs the bcrypts in turn and resumes each request with its
 * result. A scraper whose password passed once never waits behind them. */

/* Suspend c and queue its check: false (c not suspended) when the queue is full or the server
 * is stopping. Under the lock, so that once stop is set nothing more is suspended. */
static bool check_enqueue(struct swl_http *h, struct check *k)
{
	struct checker *q = &h->checks;
	pthread_mutex_lock(&q->lock);
	bool ok = q->running && !q->stop && q->queued < SWL_HTTP_CHECKS_QUEUED;
	if (ok) {
		h->lib->MHD_suspend_connection(k->c);
		if (q->tail)
			q->tail->next = k;
		else
			q->head = k;
		q->tail = k;
		q->queued++;
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static void *checker_main(void *arg)
{
	struct swl_http *h = arg;
	struct checker *q = &h->checks;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cv, &q->lock);
		struct check *k = q->head;
		if (!k)
			break; /* stopping, and every suspended request resumed */
		q->head = k->next;
		if (!q->head)
			q->tail = NULL;
		q->queued--;
		bool stopping = q->stop;
		pthread_mutex_unlock(&q->lock);
		if (stopping) /* libmicrohttpd cannot stop with a request suspended: answer them all */
			k->state = CHECK_DROPPED;
		else
			k->state = swl_webconfig_check_basic_auth(h->web, k->user, k->password) ? CHECK_PASSED
												  : CHECK_FAILED;
		swl_webconfig_release_credentials(h->web, k->user, k->password);
		k->user = k->password = NULL;
		h->lib->MHD_resume_connection(k->c); /* k belongs to the request again: not touched after */
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static void checker_stop(struct swl_http *h)
{
	struct checker *q = &h->checks;
	if (!q->running)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
}

/* *req_cls of a request whose head was seen and that waits for its end (a struct check once
 * its password is being checked). */
static char head_seen;

/* Content-Length above 0 or Transfer-Encoding: the request has a body. */
static bool has_body(const struct swl_weblib *lib, struct MHD_Connection *c)
{
	const char *len = header(lib, c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return header(lib, c, MHD_HTTP_HEADER_TRANSFER_ENCODING) || (len && len[strspn(len, "0")]);
}

static enum MHD_Result queue_busy(const struct swl_weblib *lib, struct MHD_Connection *c, const char *body)
{
	struct MHD_Response *r = lib->MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	enum MHD_Result ret = lib->MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
	lib->MHD_destroy_response(r);
	return ret;
}

/* 0 when the request may be served, else the status to refuse it with; SWL_WEBCONFIG_CHECK_PASSWORD
 * when its password check was queued (the request is suspended until it is done), 503 when
 * that could not be. */
static unsigned authorize(struct swl_http *h, struct MHD_Connection *c, bool healthz, void **req_cls)
{
	const struct swl_weblib *lib = h->lib;
	if (*req_cls != &head_seen) { /* back from the checker */
		const struct check *k = *req_cls;
		return k->state == CHECK_PASSED ? 0 : k->state == CHECK_FAILED ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	if (!h->web)
		return 0;
	if (healthz) { /* open to probes without a password, not to clients the TLS policy refuses */
		const union MHD_ConnectionInfo *ci = lib->MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		return swl_webconfig_client_cert_ok(h->web, ci ? ci->tls_session : NULL) ? 0 : MHD_HTTP_FORBIDDEN;
	}
	char *user, *password;
	unsigned r = swl_webconfig_authorize_start(h->web, c, &user, &password);
	if (r != SWL_WEBCONFIG_CHECK_PASSWORD)
		return r;
	struct check *k = swl_xcalloc(1, sizeof(*k));
	*k = (struct check){ .c = c, .user = user, .password = password, .state = CHECK_QUEUED };
	if (check_enqueue(h, k)) {
		*req_cls = k;
		return SWL_WEBCONFIG_CHECK_PASSWORD;
	}
	swl_webconfig_release_credentials(h->web, user, password);
	free(k);
	return MHD_HTTP_SERVICE_UNAVAILABLE;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	(void)upload_data;
	struct swl_http *h = cls;
	const struct swl_weblib *lib = h->lib;
	if (!*req_cls) { /* the request head is complete */
		const union MHD_ConnectionInfo *ci = lib->MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		swl_gate_busy(h->gate, ci ? ci->socket_context : NULL);
		/* from here on the idle timeout bounds a client that stops reading the answer */
		lib->MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->timeout_s);
		/* RFC 9112 3.2 (libmicrohttpd checks it only in a strict mode that also refuses
		 * spaces in the request target without an answer) */
		if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && !header(lib, c, MHD_HTTP_HEADER_HOST))
			return queue_text(lib, c, MHD_HTTP_BAD_REQUEST, "bad request: HTTP/1.1 needs a Host header\n");
		/* A body is never read: refused at once (by what it asks for, or 413), and
		 * libmicrohttpd closes the connection rather than read it. */
		if (has_body(lib, c)) {
			enum route r = route(h, url, method);
			if (r >= ROUTE_NO_LIFECYCLE)
				return answer(h, c, r);
			return queue_text(lib, c, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
		}
		/* Answered with the next call, once the request is complete: an answer queued now
		 * would close the connection, and scrapers keep theirs alive. */
		*req_cls = &head_seen;
		return MHD_YES;
	}
	if (*upload_data_size) { /* not announced in the head: dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	enum route r = route(h, url, method);
	unsigned deny = authorize(h, c, r == ROUTE_HEALTHZ, req_cls);
	if (deny == SWL_WEBCONFIG_CHECK_PASSWORD)
		return MHD_YES; /* suspended: called again with the result */
	if (deny == MHD_HTTP_UNAUTHORIZED)
		return queue_text(lib, c, deny, "unauthorized\n");
	if (deny == MHD_HTTP_SERVICE_UNAVAILABLE)
		return queue_busy(lib, c, "too many password checks waiting\n");
	if (deny)
		return queue_text(lib, c, deny, "forbidden\n");
	return answer(h, c, r);
}

/* The end of a request (answered, or its connection gone). */
static void request_done(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct swl_http *h = cls;
	if (*req_cls != &head_seen)
		free(*req_cls); /* a struct check, resumed: the checker is done with it */
	*req_cls = NULL;
	/* Kept alive, the connection may wait for its next request: the gate bounds that wait, the
	 * idle timeout must not come first. */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		const union MHD_ConnectionInfo *ci = h->lib->MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		swl_gate_idle(h->gate, ci ? ci->socket_context : NULL);
		h->lib->MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)SWL_HTTP_KEEPALIVE_S + 1);
	}
}

/* A connection handed over by the gate starts or ends: the gate follows it. */
static void connection_event(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode what)
{
	struct swl_http *h = cls;
	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = h->lib->MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? swl_gate_started(h->gate, ci->connect_fd) : NULL;
	} else {
		swl_gate_closed(h->gate, *socket_context); /* before libmicrohttpd closes the descriptor */
	}
}

/* The gate hands an accepted connection over. */
static bool admit(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct swl_http *h = cls;
	return h->lib->MHD_add_connection(h->daemon, fd, addr, addrlen) == MHD_YES;
}

/* libmicrohttpd's own messages (failed TLS handshakes from scanners, plain HTTP on the TLS
 * port...): to the log, at most LOG_BURST a minute so a client cannot flood it. */
#define LOG_BURST 10
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t window;
	static unsigned n, dropped;
	time_t now = time(NULL);
	pthread_mutex_lock(&lock);
	if (now - window >= 60) {
		if (dropped)
			swl_log(LOG_WARNING, "http: %u more messages in the last minute were not logged", dropped);
		window = now;
		n = dropped = 0;
	}
	bool show = n++ < LOG_BURST;
	if (!show)
		dropped++;
	pthread_mutex_unlock(&lock);
	if (show) {
		char msg[512];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		size_t l = strlen(msg);
		while (l && msg[l - 1] == '\n')
			msg[--l] = '\0';
		swl_log(LOG_WARNING, "http: %s", msg);
	}
}

/* The port of "ADDR:PORT" (at colon + 1): decimal, 0 to 65535 (getaddrinfo would take
 * 99999 for 34463). */
static int check_port(const char *listen, const char *colon, struct swl_err *err)
{
	const char *p = colon ? colon + 1 : "";
	size_t n = strlen(p);
	if (!colon || n == 0) {
		swl_errf(err, "--web.listen-address: " "'%s' is not ADDR:PORT", listen);
		return -EINVAL;
	}
	if (n > 5 || strspn(p, "0123456789") != n || atol(p) > 65535) {
		swl_errf(err, "--web.listen-address: " "the port in '%s' is not a number from 0 to 65535", listen);
		return -EINVAL;
	}
	return 0;
}

int swl_http_check_listen(const char *listen, struct swl_err *err)
{
	return check_port(listen, strrchr(listen, ':'), err);
}

/* "ADDR:PORT", "[V6]:PORT", ":PORT" -> a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *ss, struct swl_err *err)
{
	const char *colon = strrchr(listen, ':');
	int r = check_port(listen, colon, err);
	if (r < 0)
		return r;
	char host[256];
	size_t hl = (size_t)(colon - listen);
	const char *hp = listen;
	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		swl_errf(err, "--web.listen-address: " "address too long in '%s'", listen);
		return -EINVAL;
	}
	memcpy(host, hp, hl);
	host[hl] = '\0';
	/* ":PORT" is every IPv4 address; "[::]:PORT" every address (dual stack) */
	struct addrinfo hints = { .ai_family = hl ? AF_UNSPEC : AF_INET, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res;
	r = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res);
	if (r != 0) {
		swl_errf(err, "--web.listen-address: " "cannot resolve '%s': %s", listen, gai_strerror(r));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* The listening socket, for the gate: non-blocking, SO_REUSEADDR (a restart need not wait for
 * the old connections' TIME_WAIT), both IPv4 and IPv6 on [::]. */
static int listen_on(const char *where, const struct sockaddr_storage *ss, struct swl_err *err)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int r = fd < 0 ? -errno : 0;
	if (!r && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		r = -errno;
	if (!r && ss->ss_family == AF_INET6) {
		int v6only = !IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			r = -errno;
	}
	if (!r && (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, SOMAXCONN) < 0))
		r = -errno;
	if (r < 0) {
		swl_errf(err, "--web.listen-address: " "cannot listen on %s: %s", where, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

/* Every daemon option in one place, TLS included (webconfig.c knows which). libmicrohttpd
 * has no listening socket: the gate accepts and hands connections over. */
static size_t daemon_options(struct swl_http *h, const struct swl_http_config *cfg, struct MHD_OptionItem *opts,
			     size_t cap, unsigned *flags)
{
	size_t n = 0;
#define OPT(o, v, p) do { if (n < cap - 1) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }; } while (0)
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL); /* the function in value, its cls in ptr_value */
	/* the gate keeps the bounds; libmicrohttpd counts a closed connection a little longer */
	OPT(MHD_OPTION_CONNECTION_LIMIT, 2 * SWL_HTTP_MAX_CONNECTIONS, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, h->timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SWL_HTTP_CONNECTION_MEMORY, NULL);
	OPT(MHD_OPTION_THREAD_POOL_SIZE, SWL_HTTP_THREADS, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, request_done, h);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, connection_event, h);
#undef OPT
	if (cfg->web && n + SWL_WEBCONFIG_MHD_OPTIONS < cap)
		n += swl_webconfig_mhd_options(cfg->web, opts + n, cap - 1 - n, flags);
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return n;
}

static void http_free(struct swl_http *h)
{
	pthread_mutex_destroy(&h->checks.lock);
	pthread_cond_destroy(&h->checks.cv);
	snapshot_unref(h->cur);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->reload_lock);
	pthread_cond_destroy(&h->reload_cv);
	if (h->reload_fd >= 0)
		close(h->reload_fd);
	free(h->landing);
	free(h->problem);
	free(h);
}

/* fd's address, as "ADDR:PORT" or "[V6ADDR]:PORT": the port the kernel chose for port 0. */
static void bound_address(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN], port[8];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, cap, "?");
		return;
	}
	snprintf(out, cap, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

const char *swl_http_address(const struct swl_http *h)
{
	return h->address;
}

int swl_http_start(const struct swl_http_config *cfg, struct swl_http **out, struct swl_err *err)
{
	*out = NULL;
	const struct swl_weblib *lib = swl_weblib_get(err);
	if (!lib)
		return -ELIBACC;
	struct sockaddr_storage ss;
	int r = resolve(cfg->listen, &ss, err);
	if (r < 0)
		return r;
	struct swl_http *h = swl_xcalloc(1, sizeof(*h));
	h->lib = lib;
	pthread_mutex_init(&h->lock, NULL);
	h->cur = snapshot_new(swl_xstrdup(""), 0, swl_xstrdup("# EOF\n"), 6);
	h->web = cfg->web;
	h->lifecycle = cfg->lifecycle;
	h->landing = landing_page(cfg);
	h->problem = cfg->problem && *cfg->problem ? swl_xstrdup(cfg->problem) : NULL; /* from the first request on */
	h->timeout_s = cfg->timeout_s ? cfg->timeout_s : SWL_HTTP_TIMEOUT_S;
	pthread_mutex_init(&h->checks.lock, NULL);
	pthread_cond_init(&h->checks.cv, NULL);
	pthread_mutex_init(&h->reload_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->reload_cv, &ca);
	pthread_condattr_destroy(&ca);
	h->reload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->reload_fd < 0) {
		r = -errno;
		swl_errf(err, "eventfd: %s", strerror(-r));
		http_free(h);
		return r;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	struct MHD_OptionItem opts[16];
	daemon_options(h, cfg, opts, sizeof(opts) / sizeof(opts[0]), &flags);
	int fd = listen_on(cfg->listen, &ss, err);
	if (fd < 0) {
		http_free(h);
		return fd;
	}
	bound_address(fd, h->address, sizeof(h->address));
	if (swl_webconfig_wants_auth(h->web)) {
		if ((r = pthread_create(&h->checks.thread, NULL, checker_main, h)) != 0) {
			swl_errf(err, "cannot start the password checker: %s", strerror(r));
			close(fd);
			http_free(h);
			return -r;
		}
		h->checks.running = true;
	}
	h->daemon = lib->MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->daemon) {
		r = errno ? -errno : -EINVAL;
		swl_errf(err, "--web.listen-address: " "cannot serve on %s: %s", cfg->listen, strerror(-r));
		close(fd);
		checker_stop(h);
		http_free(h);
		return r;
	}
	struct swl_gate_config gc = { .listen_fd = fd, .tls = cfg->web && cfg->web->tls, .admit = admit, .cls = h };
	if ((r = swl_gate_start(&gc, &h->gate, err)) < 0) { /* it closed fd */
		checker_stop(h);
		lib->MHD_stop_daemon(h->daemon);
		http_free(h);
		return r;
	}
	*out = h;
	return 0;
}

void swl_http_stop(struct swl_http *h)
{
	if (!h)
		return;
	checker_stop(h); /* resumes every suspended request first: libmicrohttpd requires it */
	swl_gate_stop(h->gate);
	h->lib->MHD_stop_daemon(h->daemon);
	swl_gate_free(h->gate); /* after: libmicrohttpd tells it of each connection it closes */
	http_free(h);
}
