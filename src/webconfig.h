/* webconfig.h - the --web-config file: TLS and basic auth for the metrics endpoint, in the
 * format of the Prometheus exporter-toolkit's web-config.yml, so one file serves both.
 *
 *   tls_server_config:
 *     cert_file: server.crt          # PEM; relative paths are relative to the config file
 *     key_file: server.key
 *     client_ca_file: clients.pem    # CA bundle for client certificates; needed by every
 *                                    # client_auth_type but the first (libmicrohttpd asks
 *                                    # for a certificate only when it has a CA)
 *     client_auth_type: NoClientCert # | RequestClientCert | RequireAnyClientCert
 *                                    # | VerifyClientCertIfGiven | RequireAndVerifyClientCert
 *     min_version: TLS12             # TLS12 | TLS13
 *     max_version: TLS13
 *   http_server_config: {http2: true, headers: {...}}   # accepted, ignored
 *   basic_auth_users:
 *     alice: $2y$10$...              # bcrypt hashes ($2y$, $2b$, $2a$), cost at most
 *                                    # SWL_WEBCONFIG_MAX_BCRYPT_COST
 *
 * Loading reads the certificate, key and CA files into memory (bounded), and checks with
 * GnuTLS that they parse and that the key belongs to the certificate, so a bad file is
 * reported at start as path:line:col rather than by the first TLS handshake.
 * Loading a file loads the serving libraries (weblib.h): GnuTLS, libxcrypt, libmicrohttpd.
 */
#ifndef SWL_WEBCONFIG_H
#define SWL_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What is asked of clients, as Go's tls.ClientAuthType (same names in the file). */
enum swl_client_auth {
	SWL_CLIENT_AUTH_NONE,		   /* NoClientCert */
	SWL_CLIENT_AUTH_REQUEST,	   /* RequestClientCert: asked for, never checked */
	SWL_CLIENT_AUTH_REQUIRE_ANY,	   /* RequireAnyClientCert: one must be sent, not verified */
	SWL_CLIENT_AUTH_VERIFY_IF_GIVEN,   /* VerifyClientCertIfGiven */
	SWL_CLIENT_AUTH_REQUIRE_AND_VERIFY /* RequireAndVerifyClientCert */
};

enum swl_tls_version { SWL_TLS12 = 12, SWL_TLS13 = 13 };

struct swl_weblib;

struct swl_webconfig_user {
	char *name;
	char *hash; /* validated bcrypt hash, 60 characters */
};

struct swl_auth_memory;

/* Everything is owned by the struct. PEM buffers are NUL-terminated, as libmicrohttpd's
 * MHD_OPTION_HTTPS_MEM_CERT / _KEY / _TRUST want them. */
struct swl_webconfig {
	const struct swl_weblib *lib; /* the serving libraries, loaded by swl_webconfig_load */
	char *path;
	bool tls;		 /* cert and key given: serve HTTPS */
	char *cert_pem, *key_pem; /* set when tls */
	char *client_ca_pem;	 /* NULL unless client_ca_file was given */
	enum swl_client_auth client_auth;
	enum swl_tls_version min_version, max_version; /* defaults TLS12 .. TLS13 */
	size_t nusers;
	struct swl_webconfig_user *users;
	unsigned char auth_key[32];	 /* random, made at load: keys the digests below */
	struct swl_auth_memory *remembered; /* successful checks, as keyed digests; NULL without users */
	void *client_trust; /* gnutls_x509_trust_list_t of client_ca_pem, or NULL */
};

/* The highest bcrypt cost accepted: each check of a password not remembered costs a bcrypt
 * on the server, 2^cost rounds (cost 10: about 0.1 s on a small machine, each step doubles
 * it); a higher cost would let a few clients sending wrong passwords keep it busy (cost 31
 * would take days). */
#define SWL_WEBCONFIG_MAX_BCRYPT_COST 12
/* How many successful checks (user and password) are remembered, least recently used first out. */
#define SWL_WEBCONFIG_REMEMBERED 16

/* Largest certificate, key or CA file read (a CA bundle of a few hundred certificates fits). */
#define SWL_WEBCONFIG_MAX_PEM (1u << 20)

/* Parse and validate path. Unknown keys and bad values fail with "path:line:col: message"
 * in err. On success *out is the caller's (swl_webconfig_destroy).
 * Returns 0 or a negative errno (-EINVAL for a bad file, -ELIBACC when the serving libraries
 * cannot be loaded: err says which). */
int swl_webconfig_load(const char *path, struct swl_webconfig **out, struct swl_err *err);
void swl_webconfig_destroy(struct swl_webconfig *wc);

/* True when requests must carry basic auth credentials (basic_auth_users is not empty). */
bool swl_webconfig_wants_auth(const struct swl_webconfig *wc);

/* Check a user name and password (borrowed) against basic_auth_users. True when no users are
 * configured (auth is off), false when either is NULL. A pair that passed before is
 * remembered (see below) and answered at once; otherwise it costs a bcrypt: tens of
 * milliseconds at cost 10, so callers must not hold a lock across it. An unknown name costs
 * the same as a known one: it is checked against the hash of a configured user picked by a
 * keyed digest of the name, so one name always takes the same time, and the times of unknown
 * names are spread like those of the real ones (users with different costs cannot be told
 * from unknown names by timing). The comparison is constant-time. Thread-safe. */
bool swl_webconfig_check_basic_auth(const struct swl_webconfig *wc, const char *user, const char *password);

/* Whether this user and password passed swl_webconfig_check_basic_auth before and are still
 * remembered: a few microseconds, never a bcrypt. The last SWL_WEBCONFIG_REMEMBERED successful
 * pairs are kept as HMAC-SHA-256 digests under auth_key (never the password); a wrong password
 * is never remembered. True when auth is off. Thread-safe. */
bool swl_webconfig_check_remembered(const struct swl_webconfig *wc, const char *user, const char *password);

/* The GnuTLS priority string for MHD_OPTION_HTTPS_PRIORITIES ("NORMAL:-VERS-ALL:+VERS-TLS1.2..."),
 * restricted to min_version..max_version. Returns a static string. */
const char *swl_webconfig_priorities(const struct swl_webconfig *wc);

/* Whether a TLS connection satisfies client_auth_type. session is the gnutls_session_t of the
 * connection (libmicrohttpd: MHD_CONNECTION_INFO_GNUTLS_SESSION), borrowed. libmicrohttpd asks
 * for a client certificate when given MHD_OPTION_HTTPS_MEM_TRUST but never verifies it: this
 * does, against client_ca_file. Call it for every request on a TLS connection. */
bool swl_webconfig_client_cert_ok(const struct swl_webconfig *wc, void *session);

/* ---- libmicrohttpd glue: what http.c needs is these two calls ---- */

struct MHD_OptionItem;
struct MHD_Connection;

/* The most items swl_webconfig_mhd_options() appends. */
#define SWL_WEBCONFIG_MHD_OPTIONS 4

/* Append the TLS options (MHD_OPTION_HTTPS_MEM_CERT, _KEY, _TRUST when a client CA is set,
 * _PRIORITIES) to opts, which has room for cap items; no MHD_OPTION_END is written. Adds
 * MHD_USE_TLS to *flags when TLS is on. The pointers in the items stay owned by wc, which must
 * outlive the daemon. Returns the number of items appended (0 without TLS, or when cap is
 * less than SWL_WEBCONFIG_MHD_OPTIONS). */
size_t swl_webconfig_mhd_options(const struct swl_webconfig *wc, struct MHD_OptionItem *opts, size_t cap,
				 unsigned *flags);

/* Whether a request may be served: 0 when it may, else the status to answer with:
 * 403 (MHD_HTTP_FORBIDDEN) when the client certificate fails client_auth_type, 401
 * (MHD_HTTP_UNAUTHORIZED) when basic auth is wanted and missing or wrong; answer 401 with
 * MHD_queue_basic_auth_fail_response(c, "swanlog", response) so the client gets
 * WWW-Authenticate. With basic_auth_users this runs a bcrypt (tens of milliseconds at cost
 * 10) on the calling thread. wc NULL: everything is allowed. */
unsigned swl_webconfig_authorize(const struct swl_webconfig *wc, struct MHD_Connection *c);

/* The part of swl_webconfig_authorize() that costs no bcrypt, for callers that run the bcrypt
 * on a thread of their own: returns what swl_webconfig_authorize() would, or
 * SWL_WEBCONFIG_CHECK_PASSWORD (not an HTTP status) when only a bcrypt can decide: then *user
 * and *password are set for swl_webconfig_check_basic_auth(), and the caller releases them
 * with swl_webconfig_release_credentials() (from any thread). */
#define SWL_WEBCONFIG_CHECK_PASSWORD 1u
unsigned swl_webconfig_authorize_start(const struct swl_webconfig *wc, struct MHD_Connection *c, char **user,
				       char **password);
void swl_webconfig_release_credentials(const struct swl_webconfig *wc, char *user, char *password);

#endif
