/* http.c - libmicrohttpd serving published snapshots (see http.h). */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "expo.h"

/* A message that is not about a line of a file: "message" as given. */
static void __attribute__((format(printf, 2, 3))) errf(struct swl_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* One rendered exposition in both formats, immutable once published. */
struct snapshot {
	atomic_uint refs;
	char *prom, *om;
	size_t prom_len, om_len;
};

struct swl_http {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;  /* guards cur, held only to swap or take a reference */
	struct snapshot *cur;
};

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>swanlog</title></head><body>\n"
	"<h1>swanlog</h1>\n<p>strongSwan and kernel IPsec log metrics.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

static struct snapshot *snapshot_new(char *prom, size_t prom_len, char *om, size_t om_len)
{
	struct snapshot *s = swl_xcalloc(1, sizeof(*s));
	atomic_init(&s->refs, 1);
	s->prom = prom;
	s->prom_len = prom_len;
	s->om = om;
	s->om_len = om_len;
	return s;
}

static void snapshot_unref(struct snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
		free(s->prom);
		free(s->om);
		free(s);
	}
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

static enum MHD_Result queue_static(struct MHD_Connection *c, unsigned status, const char *body,
				    const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool wants_openmetrics(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	return accept && strstr(accept, "application/openmetrics-text");
}

static enum MHD_Result queue_metrics(struct swl_http *h, struct MHD_Connection *c)
{
	struct snapshot *s = snapshot_get(h);
	bool om = wants_openmetrics(c);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
		om ? s->om_len : s->prom_len, om ? s->om : s->prom, snapshot_release, s);
	if (!r) {
		snapshot_unref(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				om ? SWL_CONTENT_TYPE_OPENMETRICS : SWL_CONTENT_TYPE_PROMETHEUS);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	struct swl_http *h = cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "text/plain; charset=utf-8");
	/* HEAD: libmicrohttpd sends the headers of the GET response without its body */
	if (strcmp(url, "/metrics") == 0)
		return queue_metrics(h, c);
	if (strcmp(url, "/healthz") == 0)
		return queue_static(c, MHD_HTTP_OK, "ok\n", "text/plain; charset=utf-8");
	if (strcmp(url, "/") == 0)
		return queue_static(c, MHD_HTTP_OK, landing, "text/html; charset=utf-8");
	return queue_static(c, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain; charset=utf-8");
}

/* "ADDR:PORT", "[V6]:PORT", ":PORT" -> a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *ss, struct swl_err *err)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1]) {
		errf(err, "--listen: " "'%s' is not ADDR:PORT", listen);
		return -EINVAL;
	}
	char host[256];
	size_t hl = (size_t)(colon - listen);
	const char *hp = listen;
	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		errf(err, "--listen: " "address too long in '%s'", listen);
		return -EINVAL;
	}
	memcpy(host, hp, hl);
	host[hl] = '\0';
	/* ":PORT" is every IPv4 address; "[::]:PORT" every address (dual stack) */
	struct addrinfo hints = { .ai_family = hl ? AF_UNSPEC : AF_INET, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res;
	int r = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res);
	if (r != 0) {
		errf(err, "--listen: " "cannot resolve '%s': %s", listen, gai_strerror(r));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Every daemon option in one place: TLS (MHD_OPTION_HTTPS_MEM_KEY/CERT) would be added here. */
static size_t daemon_options(const struct swl_http_config *cfg, struct sockaddr_storage *ss,
			     struct MHD_OptionItem *opts, size_t cap)
{
	size_t n = 0;
#define OPT(o, v, p) do { if (n < cap - 1) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }; } while (0)
	OPT(MHD_OPTION_SOCK_ADDR, 0, ss);
	OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections : SWL_HTTP_MAX_CONNECTIONS, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : SWL_HTTP_TIMEOUT_S, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SWL_HTTP_CONNECTION_MEMORY, NULL);
	OPT(MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL);
#undef OPT
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return n;
}

int swl_http_start(const struct swl_http_config *cfg, struct swl_http **out, struct swl_err *err)
{
	*out = NULL;
	struct sockaddr_storage ss;
	int r = resolve(cfg->listen, &ss, err);
	if (r < 0)
		return r;
	struct swl_http *h = swl_xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->cur = snapshot_new(swl_xstrdup(""), 0, swl_xstrdup("# EOF\n"), 6);
	struct MHD_OptionItem opts[16];
	daemon_options(cfg, &ss, opts, sizeof(opts) / sizeof(opts[0]));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
		flags |= IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	}
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->daemon) {
		r = errno ? -errno : -EADDRINUSE;
		errf(err, "--listen: " "cannot listen on %s: %s", cfg->listen, strerror(-r));
		snapshot_unref(h->cur);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return r;
	}
	*out = h;
	return 0;
}

void swl_http_stop(struct swl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	snapshot_unref(h->cur);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
