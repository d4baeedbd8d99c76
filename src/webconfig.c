/* webconfig.c - the --web-config file (exporter-toolkit's web-config.yml): parse, validate,
 * load the PEM files, and answer basic-auth and client-certificate questions for http.c.
 * GnuTLS, libxcrypt and libmicrohttpd are loaded with the file (weblib.h): every call to them
 * goes through wc->lib. */
#include "webconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "fileio.h"
#include "weblib.h"
#include "yaml_doc.h"

#define MAX_CONFIG_FILE (1u << 20)
#define MAX_USERS 1024
#define MAX_PEER_CERTS 16 /* client chains longer than this are refused */
#define BCRYPT_LEN 60

struct ld {
	struct swl_yaml_doc doc;
	struct swl_webconfig *wc;
};

/* An empty value (`key:`), ~ or null: the key counts as absent, as in the Go loader. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = swl_yaml_scalar(n);
	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

/* ---- files ---- */

/* Read a whole file, at most max bytes, NUL-terminated. Returns 0 or a negative errno. */
static int read_bounded(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = swl_read_all(fd, max, data, len);
	close(fd);
	return r == -EFBIG || r == 0 ? r : -EIO;
}

/* A path from the file, relative to the config file's directory as the Go loader does. */
static char *resolve(const char *config_path, const char *p)
{
	const char *slash = strrchr(config_path, '/');
	if (p[0] == '/' || !slash)
		return swl_xstrdup(p);
	size_t dl = (size_t)(slash - config_path);
	size_t l = dl + 1 + strlen(p) + 1;
	char *out = swl_xmalloc(l);
	snprintf(out, l, "%.*s/%s", (int)dl, config_path, p);
	return out;
}

static int load_pem(struct ld *ld, yaml_node_t *v, const char *what, char **out)
{
	char *full = resolve(ld->doc.path, swl_yaml_scalar(v));
	size_t len;
	int r = read_bounded(full, SWL_WEBCONFIG_MAX_PEM, out, &len);
	if (r == -EFBIG)
		r = swl_yaml_fail(&ld->doc, v, "%s '%s' is larger than %u bytes", what, full, SWL_WEBCONFIG_MAX_PEM);
	else if (r < 0)
		r = swl_yaml_fail(&ld->doc, v, "cannot read %s '%s': %s", what, full, strerror(-r));
	else if (len == 0 || strlen(*out) != len)
		r = swl_yaml_fail(&ld->doc, v, "%s '%s' is not a PEM file", what, full);
	free(full);
	return r;
}

/* ---- tls_server_config ---- */

static int tls_version(struct ld *ld, yaml_node_t *v, const char *key, enum swl_tls_version *out)
{
	const char *s = swl_yaml_scalar(v);
	if (s && strcmp(s, "TLS12") == 0)
		*out = SWL_TLS12;
	else if (s && strcmp(s, "TLS13") == 0)
		*out = SWL_TLS13;
	else if (s && (strcmp(s, "TLS10") == 0 || strcmp(s, "TLS11") == 0))
		return swl_yaml_fail(&ld->doc, v,
				     "%s %s is not supported: TLS 1.0 and 1.1 are obsolete (use TLS12 or TLS13)", key,
				     s);
	else
		return swl_yaml_fail(&ld->doc, v, "%s must be TLS12 or TLS13, not '%s'", key, s ? s : "(not a string)");
	return 0;
}

static int client_auth(struct ld *ld, yaml_node_t *v, enum swl_client_auth *out)
{
	static const struct {
		const char *name;
		enum swl_client_auth v;
	} names[] = {
		{ "NoClientCert", SWL_CLIENT_AUTH_NONE },
		{ "RequestClientCert", SWL_CLIENT_AUTH_REQUEST },
		{ "RequireAnyClientCert", SWL_CLIENT_AUTH_REQUIRE_ANY },
		{ "RequireClientCert", SWL_CLIENT_AUTH_REQUIRE_ANY }, /* the old name, still accepted by Go */
		{ "VerifyClientCertIfGiven", SWL_CLIENT_AUTH_VERIFY_IF_GIVEN },
		{ "RequireAndVerifyClientCert", SWL_CLIENT_AUTH_REQUIRE_AND_VERIFY },
	};
	const char *s = swl_yaml_scalar(v);
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].v;
			return 0;
		}
	}
	return swl_yaml_fail(&ld->doc, v,
			     "client_auth_type must be one of NoClientCert, RequestClientCert, RequireAnyClientCert, "
			     "VerifyClientCertIfGiven, RequireAndVerifyClientCert; not '%s'",
			     s ? s : "(not a string)");
}

/* Parse the certificate, the key against it, and the CA bundle with GnuTLS. */
static int check_tls_files(struct ld *ld, yaml_node_t *cert_v, yaml_node_t *key_v, yaml_node_t *ca_v)
{
	struct swl_webconfig *wc = ld->wc;
	const struct swl_weblib *lib = wc->lib;
	gnutls_datum_t cert = { (unsigned char *)wc->cert_pem, (unsigned)strlen(wc->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)wc->key_pem, (unsigned)strlen(wc->key_pem) };
	gnutls_x509_crt_t *crts = NULL;
	unsigned ncrts = 0;
	int r = lib->gnutls_x509_crt_list_import2(&crts, &ncrts, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0)
		return swl_yaml_fail(&ld->doc, cert_v, "cert_file: %s", lib->gnutls_strerror(r));
	for (unsigned i = 0; i < ncrts; i++)
		lib->gnutls_x509_crt_deinit(crts[i]);
	(*lib->gnutls_free)(crts);

	gnutls_certificate_credentials_t cred;
	if (lib->gnutls_certificate_allocate_credentials(&cred) < 0)
		abort(); /* only fails on OOM */
	r = lib->gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	lib->gnutls_certificate_free_credentials(cred);
	if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
		return swl_yaml_fail(&ld->doc, key_v, "key_file does not belong to the certificate in cert_file");
	if (r < 0)
		return swl_yaml_fail(&ld->doc, key_v, "key_file: %s (an unencrypted PEM key is needed)",
				     lib->gnutls_strerror(r));

	if (wc->client_ca_pem) {
		gnutls_x509_trust_list_t tl;
		if (lib->gnutls_x509_trust_list_init(&tl, 0) < 0)
			abort();
		gnutls_datum_t ca = { (unsigned char *)wc->client_ca_pem, (unsigned)strlen(wc->client_ca_pem) };
		r = lib->gnutls_x509_trust_list_add_trust_mem(tl, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			lib->gnutls_x509_trust_list_deinit(tl, 1);
			return swl_yaml_fail(&ld->doc, ca_v, "client_ca_file: %s",
					     r < 0 ? lib->gnutls_strerror(r) : "no certificate in it");
		}
		wc->client_trust = tl;
	}
	return 0;
}

static int load_tls(struct ld *ld, yaml_node_t *kn, yaml_node_t *map)
{
	static const char *const keys[] = { "cert_file", "key_file", "client_ca_file", "client_auth_type",
					    "min_version", "max_version", "cert", "key", "client_ca",
					    "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
					    "client_allowed_sans", NULL };
	struct swl_webconfig *wc = ld->wc;
	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return swl_yaml_fail(&ld->doc, map, "tls_server_config must be a mapping");
	int r = swl_yaml_check_keys(&ld->doc, map, keys, "tls_server_config");
	if (r < 0)
		return r;
	yaml_node_t *cert_v = NULL, *key_v = NULL, *ca_v = NULL, *auth_v = NULL, *min_v = NULL, *max_v = NULL;
	SWL_YAML_MAP_FOR(map, pair) {
		yaml_node_t *k = swl_yaml_node(&ld->doc, pair->key), *v = swl_yaml_node(&ld->doc, pair->value);
		const char *key = swl_yaml_scalar(k);
		if (strcmp(key, "cert") == 0 || strcmp(key, "key") == 0 || strcmp(key, "client_ca") == 0)
			return swl_yaml_fail(&ld->doc, k,
					     "inline '%s' is not supported: put the PEM in a file and use %s_file", key,
					     key);
		if (strcmp(key, "cipher_suites") == 0 || strcmp(key, "curve_preferences") == 0 ||
		    strcmp(key, "prefer_server_cipher_suites") == 0 || strcmp(key, "client_allowed_sans") == 0)
			return swl_yaml_fail(&ld->doc, k, "'%s' is not supported (GnuTLS's NORMAL priorities are used)",
					     key);
		if (is_null(v))
			continue;
		if (!swl_yaml_scalar(v))
			return swl_yaml_fail(&ld->doc, v, "%s must be a string", key);
		if (strcmp(key, "cert_file") == 0)
			cert_v = v;
		else if (strcmp(key, "key_file") == 0)
			key_v = v;
		else if (strcmp(key, "client_ca_file") == 0)
			ca_v = v;
		else if (strcmp(key, "client_auth_type") == 0)
			auth_v = v;
		else if (strcmp(key, "min_version") == 0)
			min_v = v;
		else if (strcmp(key, "max_version") == 0)
			max_v = v;
	}
	if (min_v && (r = tls_version(ld, min_v, "min_version", &wc->min_version)) < 0)
		return r;
	if (max_v && (r = tls_version(ld, max_v, "max_version", &wc->max_version)) < 0)
		return r;
	if (wc->min_version > wc->max_version)
		return swl_yaml_fail(&ld->doc, max_v ? max_v : min_v, "max_version is lower than min_version");
	if (auth_v && (r = client_auth(ld, auth_v, &wc->client_auth)) < 0)
		return r;
	if (!cert_v && !key_v) {
		/* The Go loader serves plain HTTP then; refuse the half-configured case instead. */
		if (ca_v || auth_v || min_v || max_v)
			return swl_yaml_fail(&ld->doc, kn, "tls_server_config needs cert_file and key_file");
		return 0;
	}
	if (!cert_v)
		return swl_yaml_fail(&ld->doc, kn, "tls_server_config has key_file but no cert_file");
	if (!key_v)
		return swl_yaml_fail(&ld->doc, kn, "tls_server_config has cert_file but no key_file");
	if (ca_v && wc->client_auth == SWL_CLIENT_AUTH_NONE)
		return swl_yaml_fail(&ld->doc, ca_v,
				     "client_ca_file is set but client_auth_type is NoClientCert "
				     "(client CAs configured without a client auth policy)");
	/* libmicrohttpd asks for a client certificate only when it has a trust list: without a CA
	 * even RequestClientCert could not be honoured, so it is refused rather than ignored. */
	if (!ca_v && wc->client_auth >= SWL_CLIENT_AUTH_REQUEST)
		return swl_yaml_fail(&ld->doc, auth_v, "client_auth_type %s needs client_ca_file",
				     swl_yaml_scalar(auth_v));
	if ((r = load_pem(ld, cert_v, "cert_file", &wc->cert_pem)) < 0 ||
	    (r = load_pem(ld, key_v, "key_file", &wc->key_pem)) < 0 ||
	    (ca_v && (r = load_pem(ld, ca_v, "client_ca_file", &wc->client_ca_pem)) < 0))
		return r;
	wc->tls = true;
	return check_tls_files(ld, cert_v, key_v, ca_v);
}

/* ---- http_server_config (accepted so one file serves both, ignored) ---- */

/* The YAML 1.1 booleans that the Go loader (yaml.v2) accepts. */
static bool is_bool(const yaml_node_t *n)
{
	static const char *const words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
					     "true", "True", "TRUE", "false", "False", "FALSE",
					     "on", "On", "ON", "off", "Off", "OFF", NULL };
	const char *s = swl_yaml_scalar(n);
	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

static int load_http(struct ld *ld, yaml_node_t *map)
{
	static const char *const keys[] = { "http2", "headers", NULL };
	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return swl_yaml_fail(&ld->doc, map, "http_server_config must be a mapping");
	int r = swl_yaml_check_keys(&ld->doc, map, keys, "http_server_config");
	if (r < 0)
		return r;
	SWL_YAML_MAP_FOR(map, pair) {
		yaml_node_t *k = swl_yaml_node(&ld->doc, pair->key), *v = swl_yaml_node(&ld->doc, pair->value);
		if (is_null(v))
			continue;
		if (strcmp(swl_yaml_scalar(k), "http2") == 0) {
			if (!is_bool(v))
				return swl_yaml_fail(&ld->doc, v, "http2 must be true or false");
		} else {
			if (v->type != YAML_MAPPING_NODE)
				return swl_yaml_fail(&ld->doc, v,
						     "headers must be a mapping of header names to values");
			if ((r = swl_yaml_check_keys(&ld->doc, v, NULL, "headers")) < 0)
				return r;
			SWL_YAML_MAP_FOR(v, h) {
				if (!swl_yaml_scalar(swl_yaml_node(&ld->doc, h->value)))
					return swl_yaml_fail(&ld->doc, swl_yaml_node(&ld->doc, h->value),
							     "header values must be strings");
			}
		}
	}
	return 0;
}

/* ---- basic_auth_users ---- */

static bool is_b64(char c)
{
	return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* $2a$/$2b$/$2y$, a two-digit cost from 04 to 31, then 22 salt and 31 hash characters: the
 * cost, or -1. */
static int bcrypt_cost(const char *h)
{
	if (strlen(h) != BCRYPT_LEN || h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') ||
	    h[3] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -1;
	int cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return -1;
	for (size_t i = 7; i < BCRYPT_LEN; i++)
		if (!is_b64(h[i]))
			return -1;
	return cost;
}

/* Successful checks, remembered as keyed digests (see swl_webconfig_check_remembered). */
struct swl_auth_memory {
	pthread_mutex_t lock;
	uint64_t clock;
	struct {
		unsigned char digest[32];
		uint64_t used; /* 0: empty */
	} e[SWL_WEBCONFIG_REMEMBERED];
};

static int load_users(struct ld *ld, yaml_node_t *map)
{
	struct swl_webconfig *wc = ld->wc;
	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return swl_yaml_fail(&ld->doc, map,
				     "basic_auth_users must be a mapping of user names to bcrypt hashes");
	int r = swl_yaml_check_keys(&ld->doc, map, NULL, "basic_auth_users");
	if (r < 0)
		return r;
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (n > MAX_USERS)
		return swl_yaml_fail(&ld->doc, map, "more than %d basic_auth_users", MAX_USERS);
	wc->users = swl_xcalloc(n ? n : 1, sizeof(*wc->users));
	SWL_YAML_MAP_FOR(map, pair) {
		yaml_node_t *k = swl_yaml_node(&ld->doc, pair->key), *v = swl_yaml_node(&ld->doc, pair->value);
		const char *name = swl_yaml_scalar(k), *hash = swl_yaml_scalar(v);
		if (!*name || strchr(name, ':'))
			return swl_yaml_fail(&ld->doc, k, "user name '%s' must be non-empty and without ':'", name);
		int cost = hash ? bcrypt_cost(hash) : -1;
		if (cost < 0)
			return swl_yaml_fail(&ld->doc, v,
					     "the password of '%s' must be a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-%02d, "
					     "60 characters; htpasswd -nBC 10 USER makes one)",
					     name, SWL_WEBCONFIG_MAX_BCRYPT_COST);
		if (cost > SWL_WEBCONFIG_MAX_BCRYPT_COST)
			return swl_yaml_fail(&ld->doc, v,
					     "the bcrypt cost of '%s' is %d, above %d: every wrong password would cost the "
					     "server 2^%d rounds (htpasswd -nBC 10 USER makes a hash of cost 10)",
					     name, cost, SWL_WEBCONFIG_MAX_BCRYPT_COST, cost);
		wc->users[wc->nusers++] = (struct swl_webconfig_user){ swl_xstrdup(name), swl_xstrdup(hash) };
	}
	if (wc->nusers) {
		if (getrandom(wc->auth_key, sizeof(wc->auth_key), 0) != (ssize_t)sizeof(wc->auth_key))
			return swl_yaml_fail(&ld->doc, map, "cannot get random bytes for basic_auth_users: %s",
					     strerror(errno));
		wc->remembered = swl_xcalloc(1, sizeof(*wc->remembered));
		pthread_mutex_init(&wc->remembered->lock, NULL);
	}
	return 0;
}

/* ---- the file ---- */

static int load_root(struct ld *ld)
{
	static const char *const keys[] = { "tls_server_config", "http_server_config", "basic_auth_users", NULL };
	yaml_node_t *root = yaml_document_get_root_node(&ld->doc.y);
	if (!root || is_null(root))
		return 0; /* an empty file: plain HTTP, no auth */
	if (root->type != YAML_MAPPING_NODE)
		return swl_yaml_fail(&ld->doc, root,
				     "a web config must be a mapping (tls_server_config, basic_auth_users, "
				     "http_server_config)");
	int r = swl_yaml_check_keys(&ld->doc, root, keys, "the web config");
	if (r < 0)
		return r;
	SWL_YAML_MAP_FOR(root, pair) {
		yaml_node_t *k = swl_yaml_node(&ld->doc, pair->key), *v = swl_yaml_node(&ld->doc, pair->value);
		const char *key = swl_yaml_scalar(k);
		if (strcmp(key, "tls_server_config") == 0)
			r = load_tls(ld, k, v);
		else if (strcmp(key, "http_server_config") == 0)
			r = load_http(ld, v);
		else
			r = load_users(ld, v);
		if (r < 0)
			return r;
	}
	return 0;
}

int swl_webconfig_load(const char *path, struct swl_webconfig **out, struct swl_err *err)
{
	*out = NULL;
	char *data;
	size_t len;
	int r = read_bounded(path, MAX_CONFIG_FILE, &data, &len);
	if (r < 0) {
		if (r == -EFBIG)
			swl_err_set(err, path, 0, 0, "web config larger than %u bytes", MAX_CONFIG_FILE);
		else
			swl_err_set(err, path, 0, 0, "cannot read web config: %s", strerror(-r));
		return r;
	}
	struct ld ld = { .doc = { .path = path, .err = err, .inside_quotes = true } };
	if ((r = swl_yaml_doc_parse(&ld.doc, data, len, "web config")) < 0) {
		swl_yaml_doc_fini(&ld.doc);
		return r;
	}
	/* Checking certificates and hashing passwords need the serving libraries. */
	const struct swl_weblib *lib = swl_weblib_get(err);
	if (!lib) {
		swl_yaml_doc_fini(&ld.doc);
		return -ELIBACC;
	}
	ld.wc = swl_xcalloc(1, sizeof(*ld.wc));
	ld.wc->lib = lib;
	ld.wc->path = swl_xstrdup(path);
	ld.wc->min_version = SWL_TLS12;
	ld.wc->max_version = SWL_TLS13;
	r = load_root(&ld);
	swl_yaml_doc_fini(&ld.doc);
	if (r < 0) {
		swl_webconfig_destroy(ld.wc);
		return r;
	}
	*out = ld.wc;
	return 0;
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void swl_webconfig_destroy(struct swl_webconfig *wc)
{
	if (!wc)
		return;
	free(wc->path);
	free(wc->cert_pem);
	free_secret(wc->key_pem);
	free(wc->client_ca_pem);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	if (wc->remembered) {
		pthread_mutex_destroy(&wc->remembered->lock);
		explicit_bzero(wc->remembered, sizeof(*wc->remembered));
		free(wc->remembered);
	}
	explicit_bzero(wc->auth_key, sizeof(wc->auth_key));
	if (wc->client_trust)
		wc->lib->gnutls_x509_trust_list_deinit(wc->client_trust, 1);
	free(wc);
}

/* ---- questions http.c asks ---- */

bool swl_webconfig_wants_auth(const struct swl_webconfig *wc)
{
	return wc && wc->nusers > 0;
}

/* Compare n bytes without an early exit, so the time does not say where they differ. */
static bool ct_equal(const char *a, const char *b, size_t n)
{
	volatile unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* HMAC-SHA-256 under auth_key of purpose, a, each with its NUL, then b when given: purpose
 * keeps digests made for different ends apart, and a (a user name) holds no NUL, so no two
 * inputs share one. False when GnuTLS refuses (then nothing is remembered). */
static bool keyed_digest(const struct swl_webconfig *wc, const char *purpose, const char *a, const char *b,
			 unsigned char out[32])
{
	const struct swl_weblib *lib = wc->lib;
	gnutls_hmac_hd_t h;
	if (lib->gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, wc->auth_key, sizeof(wc->auth_key)) < 0)
		return false;
	bool ok = lib->gnutls_hmac(h, purpose, strlen(purpose) + 1) == 0 && lib->gnutls_hmac(h, a, strlen(a) + 1) == 0 &&
		  (!b || lib->gnutls_hmac(h, b, strlen(b)) == 0);
	lib->gnutls_hmac_deinit(h, out);
	return ok;
}

/* Index of the entry holding digest (constant-time in its content), or -1. Under the lock. */
static int memory_find(const struct swl_auth_memory *m, const unsigned char digest[32])
{
	int found = -1;
	for (int i = 0; i < SWL_WEBCONFIG_REMEMBERED; i++)
		if (m->e[i].used && ct_equal((const char *)m->e[i].digest, (const char *)digest, 32))
			found = i;
	return found;
}

bool swl_webconfig_check_remembered(const struct swl_webconfig *wc, const char *user, const char *password)
{
	if (!swl_webconfig_wants_auth(wc))
		return true;
	unsigned char d[32];
	if (!user || !password || !keyed_digest(wc, "pass", user, password, d))
		return false;
	struct swl_auth_memory *m = wc->remembered;
	pthread_mutex_lock(&m->lock);
	int i = memory_find(m, d);
	if (i >= 0)
		m->e[i].used = ++m->clock;
	pthread_mutex_unlock(&m->lock);
	explicit_bzero(d, sizeof(d));
	return i >= 0;
}

/* Remember a pair that passed, in place of the least recently used. */
static void remember(const struct swl_webconfig *wc, const char *user, const char *password)
{
	unsigned char d[32];
	if (!keyed_digest(wc, "pass", user, password, d))
		return;
	struct swl_auth_memory *m = wc->remembered;
	pthread_mutex_lock(&m->lock);
	int i = memory_find(m, d);
	if (i < 0) {
		i = 0;
		for (int j = 1; j < SWL_WEBCONFIG_REMEMBERED; j++)
			if (m->e[j].used < m->e[i].used)
				i = j;
		memcpy(m->e[i].digest, d, sizeof(d));
	}
	m->e[i].used = ++m->clock;
	pthread_mutex_unlock(&m->lock);
	explicit_bzero(d, sizeof(d));
}

/* The hash an unknown name is checked against: a configured user's, picked by the name's
 * keyed digest, so the same name always costs the same and the costs of unknown names are
 * spread like those of the users. */
static const char *stand_in_hash(const struct swl_webconfig *wc, const char *user)
{
	unsigned char d[32];
	uint64_t pick = 0;
	if (keyed_digest(wc, "unknown", user, NULL, d))
		memcpy(&pick, d, sizeof(pick));
	return wc->users[pick % wc->nusers].hash;
}

bool swl_webconfig_check_basic_auth(const struct swl_webconfig *wc, const char *user, const char *password)
{
	if (!swl_webconfig_wants_auth(wc))
		return true;
	if (!user || !password)
		return false;
	if (swl_webconfig_check_remembered(wc, user, password))
		return true;
	const struct swl_webconfig_user *found = NULL;
	for (size_t i = 0; i < wc->nusers; i++) /* no early exit: the scan takes the same time */
		if (strcmp(wc->users[i].name, user) == 0 && !found)
			found = &wc->users[i];
	const char *hash = found ? found->hash : stand_in_hash(wc, user);
	/* struct crypt_data is 32 KiB: too big for a server thread's stack. */
	struct crypt_data *cd = swl_xcalloc(1, sizeof(*cd));
	const char *got = wc->lib->crypt_rn(password, hash, cd, sizeof(*cd));
	bool same = got && strlen(got) == BCRYPT_LEN && ct_equal(got, hash, BCRYPT_LEN);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	/* an unknown name with a user's password matches that user's hash: still refused */
	if (same && found)
		remember(wc, user, password);
	return same && found;
}

const char *swl_webconfig_priorities(const struct swl_webconfig *wc)
{
	if (wc->min_version == SWL_TLS13)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	if (wc->max_version == SWL_TLS12)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
}

bool swl_webconfig_client_cert_ok(const struct swl_webconfig *wc, void *session)
{
	if (!wc->tls || wc->client_auth <= SWL_CLIENT_AUTH_REQUEST)
		return true;
	if (!session)
		return false;
	const struct swl_weblib *lib = wc->lib;
	unsigned n = 0;
	const gnutls_datum_t *peers = lib->gnutls_certificate_get_peers(session, &n);
	if (!peers || n == 0)
		return wc->client_auth == SWL_CLIENT_AUTH_VERIFY_IF_GIVEN;
	if (wc->client_auth == SWL_CLIENT_AUTH_REQUIRE_ANY)
		return true;
	if (n > MAX_PEER_CERTS || !wc->client_trust)
		return false;
	gnutls_x509_crt_t crts[MAX_PEER_CERTS];
	unsigned ok = 0;
	for (; ok < n; ok++) {
		if (lib->gnutls_x509_crt_init(&crts[ok]) < 0)
			break;
		if (lib->gnutls_x509_crt_import(crts[ok], &peers[ok], GNUTLS_X509_FMT_DER) < 0) {
			lib->gnutls_x509_crt_deinit(crts[ok]);
			break;
		}
	}
	bool verified = false;
	if (ok == n) {
		/* Like Go's server: the chain must lead to client_ca_file and allow client auth. */
		gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
		unsigned status = 0;
		int r = lib->gnutls_x509_trust_list_verify_crt2(wc->client_trust, crts, n, &purpose, 1, 0, &status, NULL);
		verified = r == 0 && status == 0;
	}
	for (unsigned i = 0; i < ok; i++)
		lib->gnutls_x509_crt_deinit(crts[i]);
	return verified;
}

/* ---- libmicrohttpd glue ---- */

size_t swl_webconfig_mhd_options(const struct swl_webconfig *wc, struct MHD_OptionItem *opts, size_t cap,
				 unsigned *flags)
{
	if (!wc || !wc->tls || cap < SWL_WEBCONFIG_MHD_OPTIONS)
		return 0;
	size_t n = 0;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem };
	/* With a trust list libmicrohttpd asks clients for a certificate (never verifies it). */
	if (wc->client_ca_pem && wc->client_auth != SWL_CLIENT_AUTH_NONE)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, wc->client_ca_pem };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)swl_webconfig_priorities(wc) };
	*flags |= MHD_USE_TLS;
	return n;
}

unsigned swl_webconfig_authorize_start(const struct swl_webconfig *wc, struct MHD_Connection *c, char **user,
				       char **password)
{
	*user = *password = NULL;
	if (!wc)
		return 0;
	if (wc->tls) {
		const union MHD_ConnectionInfo *ci = wc->lib->MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (!swl_webconfig_client_cert_ok(wc, ci ? ci->tls_session : NULL))
			return MHD_HTTP_FORBIDDEN;
	}
	if (!swl_webconfig_wants_auth(wc))
		return 0;
	char *pass = NULL;
	char *name = wc->lib->MHD_basic_auth_get_username_password(c, &pass);
	if (name && pass && !swl_webconfig_check_remembered(wc, name, pass)) {
		*user = name;
		*password = pass;
		return SWL_WEBCONFIG_CHECK_PASSWORD;
	}
	bool ok = name && pass; /* and remembered */
	swl_webconfig_release_credentials(wc, name, pass);
	return ok ? 0 : MHD_HTTP_UNAUTHORIZED;
}

void swl_webconfig_release_credentials(const struct swl_webconfig *wc, char *user, char *password)
{
	if (password)
		explicit_bzero(password, strlen(password));
	wc->lib->MHD_free(user);
	wc->lib->MHD_free(password);
}

unsigned swl_webconfig_authorize(const struct swl_webconfig *wc, struct MHD_Connection *c)
{
	char *user, *pass;
	unsigned r = swl_webconfig_authorize_start(wc, c, &user, &pass);
	if (r != SWL_WEBCONFIG_CHECK_PASSWORD)
		return r;
	bool ok = swl_webconfig_check_basic_auth(wc, user, pass);
	swl_webconfig_release_credentials(wc, user, pass);
	return ok ? 0 : MHD_HTTP_UNAUTHORIZED;
}
