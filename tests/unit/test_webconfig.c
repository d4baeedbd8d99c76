/* test_webconfig.c - the --web-config loader: valid files, every refusal with its line:col,
 * bcrypt checks against hashes made here by the system's crypt library, PEM files made here
 * by openssl, and client-certificate policies over real TLS (libmicrohttpd server, curl client). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "webconfig.h"
#define SWL_SCRATCH_TAG "webconfig"
#include "scratch.h"


static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(spath(name), "wb");
	cr_assert_not_null(f, "fopen %s: %s", name, strerror(errno));
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	cr_assert_eq(fclose(f), 0);
}

/* Run a shell command in the scratch directory; it must succeed. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && { ", scratch);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	strncat(cmd, "; } >/dev/null 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	cr_assert_eq(system(cmd), 0, "command failed: %s", cmd);
}

/* The server certificate the brief of every TLS config here uses: RSA, self-signed. */
static void make_server_cert(void)
{
	sh("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost "
	   "-days 1 -keyout srv.key -out srv.crt");
}

/* A client CA, a client certificate it signed for client auth, one it signed for servers
 * only, and a self-signed client certificate it knows nothing of. EC keys: fast. */
static void make_client_certs(void)
{
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=swl-test-ca "
	   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign "
	   "-days 1 -keyout ca.key -out ca.crt");
	write_file("client.ext", "extendedKeyUsage=clientAuth\n");
	write_file("server.ext", "extendedKeyUsage=serverAuth\n");
	sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=scraper "
	   "-keyout cli.key -out cli.csr && openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key "
	   "-CAcreateserial -days 1 -extfile client.ext -out cli.crt");
	sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=notclient "
	   "-keyout srvonly.key -out srvonly.csr && openssl x509 -req -in srvonly.csr -CA ca.crt -CAkey ca.key "
	   "-CAcreateserial -days 1 -extfile server.ext -out srvonly.crt");
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=rogue "
	   "-addext extendedKeyUsage=clientAuth -days 1 -keyout rogue.key -out rogue.crt");
}

/* A bcrypt hash of password made by the system's crypt library (prefix "$2b$" etc.). */
static char *bcrypt(const char *prefix, unsigned long cost, const char *password)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	cr_assert_not_null(crypt_gensalt_rn("$2b$", cost, NULL, 0, setting, sizeof(setting)));
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	const char *h = crypt_rn(password, setting, &cd, sizeof(cd));
	cr_assert_not_null(h);
	cr_assert_eq(strlen(h), 60);
	char *out = strdup(h);
	memcpy(out, prefix, 4); /* $2y$ and $2a$ hash ASCII passwords exactly as $2b$ does */
	return out;
}

static struct swl_webconfig *load_ok(const char *name, const char *text)
{
	write_file(name, text);
	struct swl_webconfig *wc = NULL;
	struct swl_err err = { "" };
	int r = swl_webconfig_load(spath(name), &wc, &err);
	cr_assert_eq(r, 0, "load %s: %d: %s", name, r, err.msg);
	cr_assert_not_null(wc);
	return wc;
}

/* The file must be refused with exactly "<its path>:<where>: <message>". */
static void load_fails(const char *text, const char *where_msg)
{
	write_file("bad.yml", text);
	struct swl_webconfig *wc = NULL;
	struct swl_err err = { "" };
	int r = swl_webconfig_load(spath("bad.yml"), &wc, &err);
	cr_assert_lt(r, 0, "accepted:\n%s", text);
	cr_assert_null(wc);
	char want[1024];
	snprintf(want, sizeof(want), "%s:%s", spath("bad.yml"), where_msg);
	cr_assert_str_eq(err.msg, want, "for:\n%s\ngot:  %s\nwant: %s", text, err.msg, want);
}

/* ---- valid files ---- */

TestSuite(valid, .init = scratch_init, .fini = scratch_fini);

Test(valid, empty_file_means_plain_http_without_auth)
{
	struct swl_webconfig *wc = load_ok("empty.yml", "# nothing configured\n");
	cr_assert_not(wc->tls);
	cr_assert_eq(wc->nusers, 0);
	cr_assert_not(swl_webconfig_wants_auth(wc));
	cr_assert(swl_webconfig_check_basic_auth(wc, NULL, NULL), "no users: auth is off");
	cr_assert(swl_webconfig_client_cert_ok(wc, NULL));
	swl_webconfig_destroy(wc);
}

Test(valid, null_sections_and_values_count_as_absent)
{
	struct swl_webconfig *wc = load_ok("nulls.yml", "tls_server_config:\nbasic_auth_users: ~\n"
							"http_server_config: null\n");
	cr_assert_not(wc->tls);
	cr_assert_eq(wc->nusers, 0);
	swl_webconfig_destroy(wc);
}

Test(valid, tls_with_users_and_http_server_config)
{
	make_server_cert();
	make_client_certs();
	char *h = bcrypt("$2y$", 4, "s3cret");
	char text[1024];
	/* Relative paths are relative to the config file, and it is loaded from elsewhere. */
	snprintf(text, sizeof(text),
		 "# a full config\n"
		 "tls_server_config:\n"
		 "  cert_file: srv.crt\n"
		 "  key_file: \"%s\"\n"
		 "  client_ca_file: ca.crt\n"
		 "  client_auth_type: RequireAndVerifyClientCert\n"
		 "  min_version: TLS12\n"
		 "  max_version: TLS13\n"
		 "http_server_config:\n"
		 "  http2: On\n"
		 "  headers:\n"
		 "    X-Frame-Options: deny\n"
		 "basic_auth_users:\n"
		 "  alice: %s\n"
		 "  'bob smith': '%s'\n",
		 spath("srv.key"), h, h);
	cr_assert_eq(chdir("/"), 0);
	struct swl_webconfig *wc = load_ok("web.yml", text);
	cr_assert(wc->tls);
	cr_assert_not_null(strstr(wc->cert_pem, "-----BEGIN CERTIFICATE-----"));
	cr_assert_not_null(strstr(wc->key_pem, "PRIVATE KEY-----"));
	cr_assert_not_null(strstr(wc->client_ca_pem, "-----BEGIN CERTIFICATE-----"));
	cr_assert_not_null(wc->client_trust);
	cr_assert_eq(wc->client_auth, SWL_CLIENT_AUTH_REQUIRE_AND_VERIFY);
	cr_assert_eq(wc->min_version, SWL_TLS12);
	cr_assert_eq(wc->max_version, SWL_TLS13);
	cr_assert_str_eq(swl_webconfig_priorities(wc), "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	cr_assert_eq(wc->nusers, 2);
	cr_assert_str_eq(wc->users[0].name, "alice");
	cr_assert_str_eq(wc->users[1].name, "bob smith");
	cr_assert_str_eq(wc->users[1].hash, h);
	cr_assert(swl_webconfig_wants_auth(wc));
	cr_assert(swl_webconfig_check_basic_auth(wc, "bob smith", "s3cret"));
	cr_assert_not(swl_webconfig_client_cert_ok(wc, NULL), "no TLS session: refused");
	swl_webconfig_destroy(wc);
	free(h);
}

Test(valid, tls_versions_and_client_auth_names)
{
	make_server_cert();
	make_client_certs();
	struct swl_webconfig *wc = load_ok("v13.yml", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n"
						      "  min_version: TLS13\n");
	cr_assert_str_eq(swl_webconfig_priorities(wc), "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	cr_assert_eq(wc->client_auth, SWL_CLIENT_AUTH_NONE);
	cr_assert_null(wc->client_ca_pem);
	swl_webconfig_destroy(wc);
	wc = load_ok("v12.yml", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  max_version: TLS12\n");
	cr_assert_str_eq(swl_webconfig_priorities(wc), "NORMAL:-VERS-ALL:+VERS-TLS1.2");
	swl_webconfig_destroy(wc);
	static const struct {
		const char *name;
		enum swl_client_auth v;
	} modes[] = {
		{ "NoClientCert", SWL_CLIENT_AUTH_NONE },
		{ "RequestClientCert", SWL_CLIENT_AUTH_REQUEST },
		{ "RequireAnyClientCert", SWL_CLIENT_AUTH_REQUIRE_ANY },
		{ "RequireClientCert", SWL_CLIENT_AUTH_REQUIRE_ANY },
		{ "VerifyClientCertIfGiven", SWL_CLIENT_AUTH_VERIFY_IF_GIVEN },
		{ "RequireAndVerifyClientCert", SWL_CLIENT_AUTH_REQUIRE_AND_VERIFY },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n"
					     "  client_auth_type: %s\n%s",
			 modes[i].name, modes[i].v == SWL_CLIENT_AUTH_NONE ? "" : "  client_ca_file: ca.crt\n");
		wc = load_ok("mode.yml", text);
		cr_assert_eq(wc->client_auth, modes[i].v, "%s", modes[i].name);
		swl_webconfig_destroy(wc);
	}
}

/* ---- refusals: every one names the file, line and column ---- */

TestSuite(errors, .init = scratch_init, .fini = scratch_fini);

Test(errors, yaml_syntax)
{
	load_fails("basic_auth_users:\n  alice: [unclosed\n",
		   "3:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
}

Test(errors, second_document)
{
	load_fails("basic_auth_users: {}\n---\ntls_server_config: {}\n",
		   "3:1: a web config is one YAML document, not several");
	load_fails("basic_auth_users: {}\n---\n[\n", "4:1: YAML syntax error: did not find expected node content");
}

Test(errors, missing_file)
{
	struct swl_webconfig *wc = NULL;
	struct swl_err err;
	cr_assert_eq(swl_webconfig_load(spath("nope.yml"), &wc, &err), -ENOENT);
	char want[512];
	snprintf(want, sizeof(want), "%s: cannot read web config: No such file or directory", spath("nope.yml"));
	cr_assert_str_eq(err.msg, want);
}

Test(errors, structure)
{
	load_fails("- tls_server_config\n",
		   "1:1: a web config must be a mapping (tls_server_config, basic_auth_users, http_server_config)");
	load_fails("tls_config:\n  cert_file: a\n",
		   "1:1: unknown key 'tls_config' in the web config (expected one of: tls_server_config, "
		   "http_server_config, basic_auth_users)");
	load_fails("basic_auth_users: {}\nbasic_auth_users: {}\n", "2:1: duplicate key 'basic_auth_users' in the web config");
	load_fails("tls_server_config: yes\n", "1:20: tls_server_config must be a mapping");
	load_fails("tls_server_config:\n  cert_file: a\n  certfile: b\n",
		   "3:3: unknown key 'certfile' in tls_server_config (expected one of: cert_file, key_file, "
		   "client_ca_file, client_auth_type, min_version, max_version, cert, key, client_ca, cipher_suites, "
		   "curve_preferences, prefer_server_cipher_suites, client_allowed_sans)");
	load_fails("tls_server_config:\n  cert_file: a\n  cert_file: b\n",
		   "3:3: duplicate key 'cert_file' in tls_server_config");
	load_fails("tls_server_config:\n  cert_file: [a, b]\n", "2:14: cert_file must be a string");
}

Test(errors, unsupported_tls_keys)
{
	load_fails("tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n",
		   "2:3: inline 'cert' is not supported: put the PEM in a file and use cert_file");
	load_fails("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		   "2:3: 'cipher_suites' is not supported (GnuTLS's NORMAL priorities are used)");
	load_fails("tls_server_config:\n  client_allowed_sans: [a]\n",
		   "2:3: 'client_allowed_sans' is not supported (GnuTLS's NORMAL priorities are used)");
}

Test(errors, bad_values)
{
	load_fails("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireCert\n",
		   "4:21: client_auth_type must be one of NoClientCert, RequestClientCert, RequireAnyClientCert, "
		   "VerifyClientCertIfGiven, RequireAndVerifyClientCert; not 'RequireCert'");
	load_fails("tls_server_config:\n  min_version: TLS11\n",
		   "2:16: min_version TLS11 is not supported: TLS 1.0 and 1.1 are obsolete (use TLS12 or TLS13)");
	load_fails("tls_server_config:\n  max_version: 'TLS1.3'\n",
		   "2:17: max_version must be TLS12 or TLS13, not 'TLS1.3'");
	load_fails("tls_server_config:\n  min_version: TLS13\n  max_version: TLS12\n",
		   "3:16: max_version is lower than min_version");
}

Test(errors, incomplete_tls)
{
	load_fails("tls_server_config:\n  cert_file: a.crt\n", "1:1: tls_server_config has cert_file but no key_file");
	load_fails("tls_server_config:\n  key_file: a.key\n", "1:1: tls_server_config has key_file but no cert_file");
	load_fails("tls_server_config:\n  min_version: TLS13\n", "1:1: tls_server_config needs cert_file and key_file");
	load_fails("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.crt\n",
		   "4:19: client_ca_file is set but client_auth_type is NoClientCert (client CAs configured without a "
		   "client auth policy)");
	load_fails("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
		   "4:21: client_auth_type RequireAndVerifyClientCert needs client_ca_file");
	load_fails("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n",
		   "4:21: client_auth_type RequireAnyClientCert needs client_ca_file");
	load_fails("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequestClientCert\n",
		   "4:21: client_auth_type RequestClientCert needs client_ca_file");
}

Test(errors, unreadable_and_bad_pem_files)
{
	char want[1024];
	snprintf(want, sizeof(want), "2:14: cannot read cert_file '%s': No such file or directory", spath("gone.crt"));
	load_fails("tls_server_config:\n  cert_file: gone.crt\n  key_file: gone.key\n", want);

	write_file("empty.crt", "");
	write_file("junk.crt", "this is not a certificate\n");
	snprintf(want, sizeof(want), "2:14: cert_file '%s' is not a PEM file", spath("empty.crt"));
	load_fails("tls_server_config:\n  cert_file: empty.crt\n  key_file: junk.crt\n", want);
	/* GnuTLS says what is wrong with the content. */
	load_fails("tls_server_config:\n  cert_file: junk.crt\n  key_file: junk.crt\n",
		   "2:14: cert_file: No certificate was found.");

	/* Larger than the bound: refused before it is parsed. */
	FILE *f = fopen(spath("huge.crt"), "wb");
	cr_assert_not_null(f);
	for (unsigned i = 0; i <= SWL_WEBCONFIG_MAX_PEM / 64; i++)
		fputs("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", f);
	fclose(f);
	snprintf(want, sizeof(want), "2:14: cert_file '%s' is larger than %u bytes", spath("huge.crt"),
		 SWL_WEBCONFIG_MAX_PEM);
	load_fails("tls_server_config:\n  cert_file: huge.crt\n  key_file: huge.crt\n", want);
}

Test(errors, key_that_is_not_the_certificates)
{
	make_server_cert();
	sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key");
	load_fails("tls_server_config:\n  cert_file: srv.crt\n  key_file: other.key\n",
		   "3:13: key_file does not belong to the certificate in cert_file");
	/* A passphrase-protected key cannot be used unattended. */
	sh("openssl pkey -in srv.key -aes256 -passout pass:x -out enc.key");
	load_fails("tls_server_config:\n  cert_file: srv.crt\n  key_file: enc.key\n",
		   "3:13: key_file: Decryption has failed. (an unencrypted PEM key is needed)");
	/* A key where the CA bundle should be. */
	load_fails("tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_ca_file: srv.key\n"
		   "  client_auth_type: VerifyClientCertIfGiven\n",
		   "4:19: client_ca_file: No certificate was found.");
}

Test(errors, http_server_config)
{
	load_fails("http_server_config:\n  http3: true\n",
		   "2:3: unknown key 'http3' in http_server_config (expected one of: http2, headers)");
	load_fails("http_server_config:\n  http2: maybe\n", "2:10: http2 must be true or false");
	load_fails("http_server_config:\n  http2: 'true'\n", "2:11: http2 must be true or false");
	load_fails("http_server_config:\n  headers: [a]\n", "2:12: headers must be a mapping of header names to values");
	load_fails("http_server_config:\n  headers:\n    X-A: {b: c}\n", "3:10: header values must be strings");
	load_fails("http_server_config: [http2]\n", "1:21: http_server_config must be a mapping");
}

Test(errors, users)
{
	load_fails("basic_auth_users:\n  - alice\n",
		   "2:3: basic_auth_users must be a mapping of user names to bcrypt hashes");
	static const char *const wrong[] = {
		"plain-password",
		"$1$abcdefgh$0123456789012345678901",				      /* MD5-crypt */
		"$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",   /* $2x$ */
		"$2y$03$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",   /* cost 3 */
		"$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW",    /* 59 chars */
		"$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lh!y",   /* bad char */
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "basic_auth_users:\n  alice: '%s'\n", wrong[i]);
		load_fails(text, "2:11: the password of 'alice' must be a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-12, "
				 "60 characters; htpasswd -nBC 10 USER makes one)");
	}
	load_fails("basic_auth_users:\n  alice: [a]\n",
		   "2:10: the password of 'alice' must be a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-12, 60 characters; "
		   "htpasswd -nBC 10 USER makes one)");
	/* A cost above 12 is refused: cost 31 took days to check, and start-up hung on it. */
	load_fails("basic_auth_users:\n  alice: $2y$13$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n",
		   "2:10: the bcrypt cost of 'alice' is 13, above 12: every wrong password would cost the server 2^13 "
		   "rounds (htpasswd -nBC 10 USER makes a hash of cost 10)");
	load_fails("basic_auth_users:\n  bob: $2b$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n"
		   "  alice: '$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'\n",
		   "3:11: the bcrypt cost of 'alice' is 31, above 12: every wrong password would cost the server 2^31 "
		   "rounds (htpasswd -nBC 10 USER makes a hash of cost 10)");
	load_fails("basic_auth_users:\n  \"\": x\n", "2:4: user name '' must be non-empty and without ':'");
	load_fails("basic_auth_users:\n  a:b: x\n", "2:3: user name 'a:b' must be non-empty and without ':'");
	load_fails("basic_auth_users:\n  alice: x\n  alice: y\n", "3:3: duplicate key 'alice' in basic_auth_users");
	load_fails("basic_auth_users:\n  [a]: x\n", "2:3: keys of basic_auth_users must be strings");
}

/* ---- basic auth ---- */

TestSuite(auth, .init = scratch_init, .fini = scratch_fini);

static struct swl_webconfig *users_config(const char *prefix, unsigned long cost)
{
	char *ha = bcrypt(prefix, cost, "correct horse");
	char *hb = bcrypt(prefix, cost, "");
	char text[512];
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n  bob: '%s'\n", ha, hb);
	free(ha);
	free(hb);
	return load_ok("users.yml", text);
}

Test(auth, right_and_wrong_passwords_for_each_prefix)
{
	static const char *const prefixes[] = { "$2y$", "$2b$", "$2a$" };
	for (size_t i = 0; i < 3; i++) {
		struct swl_webconfig *wc = users_config(prefixes[i], 4);
		cr_assert(swl_webconfig_check_basic_auth(wc, "alice", "correct horse"), "%s", prefixes[i]);
		cr_assert(swl_webconfig_check_basic_auth(wc, "bob", ""), "%s", prefixes[i]);
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "alice", "correct horsE"));
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "alice", ""));
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "bob", "correct horse"), "another user's password");
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "Alice", "correct horse"), "names are case-sensitive");
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "mallory", "correct horse"));
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "mallory", "swanlog unknown user"), "the dummy");
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "", ""));
		cr_assert_not(swl_webconfig_check_basic_auth(wc, NULL, "correct horse"));
		cr_assert_not(swl_webconfig_check_basic_auth(wc, "alice", NULL));
		swl_webconfig_destroy(wc);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double time_check(const struct swl_webconfig *wc, const char *user, const char *pw)
{
	double best = 1e9;
	for (int i = 0; i < 3; i++) { /* the fastest of three: least disturbed by other load */
		double t0 = now_s();
		cr_assert_not(swl_webconfig_check_basic_auth(wc, user, pw));
		double t = now_s() - t0;
		best = t < best ? t : best;
	}
	return best;
}

Test(auth, unknown_users_cost_a_bcrypt_too)
{
	/* Cost 10 is what htpasswd -B makes: tens of milliseconds per check. A name lookup that
	 * skipped the hash would take microseconds, a thousand times less. */
	struct swl_webconfig *wc = users_config("$2y$", 10);
	double known = time_check(wc, "alice", "wrong password");
	double unknown = time_check(wc, "mallory", "wrong password");
	cr_assert_gt(known, 0.002, "a cost-10 bcrypt took %.6f s", known);
	/* Wide bounds: other tests may load the machine; a skipped hash is off by 1000 times. */
	cr_assert_gt(unknown, known * 0.25, "unknown user %.6f s, known user %.6f s", unknown, known);
	cr_assert_lt(unknown, known * 4.0, "unknown user %.6f s, known user %.6f s", unknown, known);
	swl_webconfig_destroy(wc);
}

Test(errors, cost_31_is_refused_at_once, .timeout = 20)
{
	/* Loading used to hash a stand-in password at the first user's cost: 2^31 rounds, days. */
	load_fails("basic_auth_users:\n  alice: $2y$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n",
		   "2:10: the bcrypt cost of 'alice' is 31, above 12: every wrong password would cost the server 2^31 "
		   "rounds (htpasswd -nBC 10 USER makes a hash of cost 10)");
}

/* The fastest of three checks of a wrong password (the least disturbed by other load). */
static double time_wrong(const struct swl_webconfig *wc, const char *user)
{
	return time_check(wc, user, "wrong password");
}

Test(auth, unknown_names_cost_what_some_user_costs)
{
	/* alice at cost 4 (about 1 ms), bob at cost 9 (32 times that). An unknown name used to cost
	 * what the first user costs, so a name that took longer was bob: a real user. Now each
	 * unknown name takes the time of one user, the same every time, picked per name. */
	char *ha = bcrypt("$2y$", 4, "a"), *hb = bcrypt("$2y$", 9, "b");
	char text[512];
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n  bob: '%s'\n", ha, hb);
	free(ha);
	free(hb);
	struct swl_webconfig *wc = load_ok("users.yml", text);
	double fast = time_wrong(wc, "alice"), slow = time_wrong(wc, "bob");
	cr_assert_gt(slow, fast * 8, "cost 9 %.6f s, cost 4 %.6f s", slow, fast);
	double between = sqrt(fast * slow);
	unsigned nfast = 0, nslow = 0;
	for (int i = 0; i < 16; i++) {
		char name[32];
		snprintf(name, sizeof(name), "mallory%d", i);
		double t1 = time_wrong(wc, name), t2 = time_wrong(wc, name);
		cr_assert_eq(t1 > between, t2 > between, "%s took %.6f s, then %.6f s (between: %.6f s)", name, t1, t2,
			     between);
		if (t1 > between)
			nslow++;
		else
			nfast++;
	}
	/* each side has 16 names with probability 1 - 2^-15 */
	cr_assert(nfast > 0 && nslow > 0, "unknown names: %u as fast as alice, %u as slow as bob", nfast, nslow);
	swl_webconfig_destroy(wc);
}

Test(auth, successful_checks_are_remembered)
{
	struct swl_webconfig *wc = users_config("$2b$", 10);
	cr_assert_not(swl_webconfig_check_remembered(wc, "alice", "correct horse"));
	double t0 = now_s();
	cr_assert(swl_webconfig_check_basic_auth(wc, "alice", "correct horse"));
	double first = now_s() - t0;
	cr_assert(swl_webconfig_check_remembered(wc, "alice", "correct horse"));
	t0 = now_s();
	cr_assert(swl_webconfig_check_basic_auth(wc, "alice", "correct horse"));
	double again = now_s() - t0;
	cr_assert_lt(again, first / 10, "a remembered check took %.6f s, a bcrypt %.6f s", again, first);
	/* never a wrong password, another user's, or an unknown name */
	cr_assert_not(swl_webconfig_check_basic_auth(wc, "alice", "correct horsE"));
	cr_assert_not(swl_webconfig_check_remembered(wc, "alice", "correct horsE"));
	cr_assert_not(swl_webconfig_check_remembered(wc, "alice", "correct hors"));
	cr_assert_not(swl_webconfig_check_remembered(wc, "alic", "ecorrect horse"));
	cr_assert_not(swl_webconfig_check_basic_auth(wc, "bob", "correct horse"));
	cr_assert_not(swl_webconfig_check_basic_auth(wc, "mallory", "correct horse"));
	cr_assert_not(swl_webconfig_check_remembered(wc, "mallory", "correct horse"));
	cr_assert_not(swl_webconfig_check_remembered(wc, NULL, "correct horse"));
	/* the key is made at each load: another load remembers nothing of this one */
	struct swl_webconfig *other = load_ok("users.yml", "basic_auth_users:\n  alice: "
							   "$2b$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n");
	cr_assert_neq(memcmp(wc->auth_key, other->auth_key, sizeof(wc->auth_key)), 0);
	cr_assert_not(swl_webconfig_check_remembered(other, "alice", "correct horse"));
	swl_webconfig_destroy(other);
	swl_webconfig_destroy(wc);
}

Test(auth, remembered_checks_are_bounded)
{
	/* 20 users: the 16 most recently used are remembered (u0, u5..u19), u1..u4 are not any more. */
	char text[20 * 100 + 32] = "basic_auth_users:\n";
	for (int i = 0; i < 20; i++) {
		char pw[16], *h;
		snprintf(pw, sizeof(pw), "pw%d", i);
		h = bcrypt("$2b$", 4, pw);
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "  u%d: '%s'\n", i, h);
		free(h);
	}
	struct swl_webconfig *wc = load_ok("many.yml", text);
	for (int i = 0; i < 20; i++) {
		char u[16], pw[16];
		snprintf(u, sizeof(u), "u%d", i);
		snprintf(pw, sizeof(pw), "pw%d", i);
		cr_assert(swl_webconfig_check_basic_auth(wc, u, pw));
		if (i == 15) /* u0 used again as the memory fills: more recent than u1..u15 */
			cr_assert(swl_webconfig_check_remembered(wc, "u0", "pw0"));
	}
	for (int i = 0; i < 20; i++) {
		char u[16], pw[16];
		snprintf(u, sizeof(u), "u%d", i);
		snprintf(pw, sizeof(pw), "pw%d", i);
		bool kept = i >= 5 || i == 0;
		cr_expect_eq(swl_webconfig_check_remembered(wc, u, pw), kept, "%s", u);
	}
	swl_webconfig_destroy(wc);
}

/* ---- client certificates over real TLS ---- */

struct server {
	struct MHD_Daemon *d;
	struct swl_webconfig *wc;
	unsigned port;
};

/* The way http.c serves: swl_webconfig_authorize() decides, 401 carries WWW-Authenticate. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	(void)url, (void)method, (void)version, (void)upload, (void)upload_size, (void)ctx;
	struct server *s = cls;
	unsigned code = swl_webconfig_authorize(s->wc, c);
	struct MHD_Response *r = MHD_create_response_from_buffer(3, (void *)"ok\n", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = code == MHD_HTTP_UNAUTHORIZED ? MHD_queue_basic_auth_fail_response(c, "swanlog", r)
							  : MHD_queue_response(c, code ? code : MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void server_start(struct server *s, const char *config)
{
	s->wc = load_ok("server.yml", config);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_OptionItem opts[8];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	size_t n = 0;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sa };
	size_t added = swl_webconfig_mhd_options(s->wc, opts + n, 8 - n - 1, &flags);
	cr_assert(!s->wc->tls || added >= 3, "TLS options appended: %zu", added);
	n += added;
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	cr_assert_not_null(s->d, "MHD_start_daemon");
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	cr_assert(di && di->port);
	s->port = di->port;
}

static void server_stop(struct server *s)
{
	MHD_stop_daemon(s->d);
	swl_webconfig_destroy(s->wc);
}

/* The HTTP status curl got (0 when the TLS handshake failed). extra: curl options. */
static unsigned fetch(const struct server *s, const char *extra)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && curl -s -o /dev/null -w '%%{http_code}' --max-time 10 --cacert srv.crt "
		 "--resolve localhost:%u:127.0.0.1 %s https://localhost:%u/metrics",
		 scratch, s->port, extra, s->port);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	unsigned code = 0;
	if (fscanf(p, "%u", &code) != 1)
		code = 0;
	pclose(p);
	return code;
}

#define CLI "--cert cli.crt --key cli.key"
#define ROGUE "--cert rogue.crt --key rogue.key"
#define SRVONLY "--cert srvonly.crt --key srvonly.key"

static void tls_init(void)
{
	scratch_init();
	make_server_cert();
	make_client_certs();
}

TestSuite(tls, .init = tls_init, .fini = scratch_fini, .timeout = 60);

static void policy(const char *mode, unsigned none, unsigned cli, unsigned rogue, unsigned srvonly)
{
	char text[512];
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n"
				     "  client_auth_type: %s\n  client_ca_file: ca.crt\n",
		 mode);
	struct server s;
	server_start(&s, text);
	cr_expect_eq(fetch(&s, ""), none, "%s, no client certificate", mode);
	cr_expect_eq(fetch(&s, CLI), cli, "%s, a certificate from the CA", mode);
	cr_expect_eq(fetch(&s, ROGUE), rogue, "%s, a self-signed certificate", mode);
	cr_expect_eq(fetch(&s, SRVONLY), srvonly, "%s, from the CA but not for client auth", mode);
	server_stop(&s);
}

Test(tls, no_client_cert)
{
	struct server s;
	server_start(&s, "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n");
	cr_assert_eq(fetch(&s, ""), 200);
	cr_assert_eq(fetch(&s, ROGUE), 200);
	server_stop(&s);
}

Test(tls, request_client_cert)
{
	policy("RequestClientCert", 200, 200, 200, 200);
}

Test(tls, require_any_client_cert)
{
	policy("RequireAnyClientCert", 403, 200, 200, 200);
}

Test(tls, verify_client_cert_if_given)
{
	policy("VerifyClientCertIfGiven", 200, 200, 403, 403);
}

Test(tls, require_and_verify_client_cert)
{
	policy("RequireAndVerifyClientCert", 403, 200, 403, 403);
}

Test(tls, tls13_only_and_basic_auth)
{
	char *h = bcrypt("$2y$", 4, "pw");
	char text[512];
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n"
				     "  min_version: TLS13\nbasic_auth_users:\n  prom: %s\n",
		 h);
	free(h);
	struct server s;
	server_start(&s, text);
	cr_expect_eq(fetch(&s, "-u prom:pw"), 200);
	cr_expect_eq(fetch(&s, "-u prom:wrong"), 401);
	cr_expect_eq(fetch(&s, "-u nobody:pw"), 401);
	cr_expect_eq(fetch(&s, ""), 401);
	cr_expect_eq(fetch(&s, "-u prom:pw --tls-max 1.2"), 0, "TLS 1.2 refused by min_version TLS13");
	cr_expect_eq(fetch(&s, "-u prom:pw --tlsv1.3"), 200);
	server_stop(&s);
}

/* ---- the shipped example ---- */

Test(valid, dist_example_loads)
{
	/* The example names swanlog.crt and swanlog.key next to itself. */
	make_server_cert();
	cr_assert_eq(rename(spath("srv.crt"), spath("swanlog.crt")), 0);
	cr_assert_eq(rename(spath("srv.key"), spath("swanlog.key")), 0);
	char src[512];
	snprintf(src, sizeof(src), "%s/dist/web-config.yml", SWL_SOURCE_DIR);
	FILE *f = fopen(src, "rb");
	cr_assert_not_null(f, "%s: %s", src, strerror(errno));
	static char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	struct swl_webconfig *wc = load_ok("web-config.yml", text);
	cr_assert(wc->tls);
	cr_assert_eq(wc->client_auth, SWL_CLIENT_AUTH_NONE);
	cr_assert_eq(wc->nusers, 1);
	cr_assert_str_eq(wc->users[0].name, "prometheus");
	cr_assert_not(swl_webconfig_check_basic_auth(wc, "prometheus", ""));
	swl_webconfig_destroy(wc);
}

Test(valid, paths_relative_to_a_relative_config_path)
{
	make_server_cert();
	cr_assert_eq(mkdir(spath("conf"), 0700), 0);
	cr_assert_eq(rename(spath("srv.crt"), spath("conf/srv.crt")), 0);
	cr_assert_eq(rename(spath("srv.key"), spath("conf/srv.key")), 0);
	write_file("conf/web.yml", "tls_server_config:\n  cert_file: srv.crt\n  key_file: ./srv.key\n");
	cr_assert_eq(chdir(scratch), 0);
	struct swl_webconfig *wc = NULL;
	struct swl_err err = { "" };
	cr_assert_eq(swl_webconfig_load("conf/web.yml", &wc, &err), 0, "%s", err.msg);
	cr_assert(wc->tls);
	swl_webconfig_destroy(wc);
	cr_assert_eq(chdir(spath("conf")), 0);
	cr_assert_eq(swl_webconfig_load("web.yml", &wc, &err), 0, "%s", err.msg);
	swl_webconfig_destroy(wc);
	/* Not relative to the working directory. */
	write_file("web2.yml", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n");
	cr_assert_lt(swl_webconfig_load(spath("web2.yml"), &wc, &err), 0);
	cr_assert_not_null(strstr(err.msg, "cannot read cert_file"), "%s", err.msg);
}

Test(tls, unauthorized_carries_www_authenticate)
{
	char *h = bcrypt("$2b$", 4, "pw");
	char text[512];
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n"
				     "basic_auth_users:\n  prom: %s\n", h);
	free(h);
	struct server s;
	server_start(&s, text);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && curl -s -o /dev/null -D - --max-time 10 --cacert srv.crt --resolve localhost:%u:127.0.0.1 "
		 "https://localhost:%u/metrics",
		 scratch, s.port, s.port);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	char line[512];
	bool status = false, challenge = false;
	while (fgets(line, sizeof(line), p)) {
		status |= strncmp(line, "HTTP/1.1 401", 12) == 0;
		challenge |= strncasecmp(line, "WWW-Authenticate: Basic realm=\"swanlog\"", 39) == 0;
	}
	pclose(p);
	server_stop(&s);
	cr_assert(status, "no 401");
	cr_assert(challenge, "no WWW-Authenticate: Basic realm=\"swanlog\"");
}
