/* Loading the serving libraries with dlopen: the real sonames fill every member of the table
 * and the functions work; a missing library, or a library that lacks the functions (libz
 * stands in: it is there, and exports none of them), fails with "serving needs SONAME: why".
 * This test links the serving libraries (for memcheck's sake, see CMakeLists.txt), so dlopen
 * finds them loaded and the table must hold the very functions the linker resolved;
 * tests/serve_libs.sh checks the binary, which does not link them. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "weblib.h"

#define MISSING "libswanlog-no-such-library.so.0"
#define NOT_IT "libz.so.1" /* loaded, but none of the serving functions */

static const struct swl_weblib_sonames real = { SWL_WEBLIB_MHD, SWL_WEBLIB_GNUTLS, SWL_WEBLIB_CRYPT };

/* Every member, as the void * it was filled from. */
static void assert_all_set(const struct swl_weblib *lib)
{
	for (size_t off = 0; off < sizeof(*lib); off += sizeof(void *)) {
		void *p;
		memcpy(&p, (const char *)lib + off, sizeof(p));
		cr_assert_not_null(p, "member %zu of struct swl_weblib is not set", off / sizeof(void *));
	}
}

static enum MHD_Result refuse(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	(void)cls, (void)c, (void)url, (void)method, (void)version, (void)upload_data, (void)upload_data_size,
		(void)req_cls;
	return MHD_NO;
}

Test(weblib, real_sonames_fill_every_member_and_work)
{
	struct swl_weblib lib;
	struct swl_err err;
	cr_assert_eq(swl_weblib_open(&real, &lib, &err), 0, "%s", err.msg);
	assert_all_set(&lib);
	cr_assert_eq((void *)lib.MHD_start_daemon, (void *)MHD_start_daemon);
	cr_assert_eq((void *)lib.gnutls_x509_trust_list_verify_crt2, (void *)gnutls_x509_trust_list_verify_crt2);
	/* a variable: the executable may hold a copy of it (a copy relocation), so the value */
	cr_assert_eq((void *)*lib.gnutls_free, (void *)gnutls_free);
	cr_assert_eq((void *)lib.crypt_rn, (void *)crypt_rn);
	cr_assert_str_eq(lib.gnutls_strerror(GNUTLS_E_CERTIFICATE_KEY_MISMATCH),
			 "The certificate and the given key do not match.");
	/* bcrypt through the table: the hash of a setting starts with that setting */
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	cr_assert_not_null(lib.crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)));
	struct crypt_data cd = { 0 };
	const char *h = lib.crypt_rn("pw", setting, &cd, sizeof(cd));
	cr_assert_not_null(h);
	cr_assert_eq(strlen(h), 60);
	cr_assert_eq(strncmp(h, setting, 29), 0, "%s from %s", h, setting);
	/* libmicrohttpd: a daemon on an ephemeral loopback port starts and stops */
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *d = lib.MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, refuse, NULL,
						    MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	cr_assert_not_null(d);
	lib.MHD_stop_daemon(d);
}

static void assert_fails(const struct swl_weblib_sonames *names, const char *soname, const char *why)
{
	struct swl_weblib lib;
	struct swl_err err;
	cr_assert_eq(swl_weblib_open(names, &lib, &err), -ELIBACC);
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "serving needs %s: ", soname);
	cr_assert_eq(strncmp(err.msg, prefix, strlen(prefix)), 0, "'%s' does not start with '%s'", err.msg, prefix);
	cr_assert_not_null(strstr(err.msg + strlen(prefix), why), "'%s' does not say '%s'", err.msg, why);
}

Test(weblib, a_missing_library_is_named)
{
	const char *why = MISSING ": cannot open shared object file";
	assert_fails(&(struct swl_weblib_sonames){ MISSING, SWL_WEBLIB_GNUTLS, SWL_WEBLIB_CRYPT }, MISSING, why);
	assert_fails(&(struct swl_weblib_sonames){ SWL_WEBLIB_MHD, MISSING, SWL_WEBLIB_CRYPT }, MISSING, why);
	assert_fails(&(struct swl_weblib_sonames){ SWL_WEBLIB_MHD, SWL_WEBLIB_GNUTLS, MISSING }, MISSING, why);
}

Test(weblib, a_library_without_the_functions_is_named_with_the_first_one_missing)
{
	assert_fails(&(struct swl_weblib_sonames){ NOT_IT, SWL_WEBLIB_GNUTLS, SWL_WEBLIB_CRYPT }, NOT_IT,
		     "undefined symbol: MHD_start_daemon");
	assert_fails(&(struct swl_weblib_sonames){ SWL_WEBLIB_MHD, NOT_IT, SWL_WEBLIB_CRYPT }, NOT_IT,
		     "undefined symbol: gnutls_global_init");
	assert_fails(&(struct swl_weblib_sonames){ SWL_WEBLIB_MHD, SWL_WEBLIB_GNUTLS, NOT_IT }, NOT_IT,
		     "undefined symbol: crypt_rn");
}

/* Each criterion test runs in a process of its own: here the first calls race. */
#define RACERS 8
static void *get_table(void *arg)
{
	(void)arg;
	struct swl_err err;
	return (void *)swl_weblib_get(&err);
}

Test(weblib, get_loads_once_for_racing_threads)
{
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, get_table, NULL), 0);
	void *first = NULL;
	for (int i = 0; i < RACERS; i++) {
		void *got;
		cr_assert_eq(pthread_join(t[i], &got), 0);
		cr_assert_not_null(got);
		if (i == 0)
			first = got;
		cr_assert_eq(got, first, "one table for every caller");
	}
	struct swl_err err;
	const struct swl_weblib *lib = swl_weblib_get(&err);
	cr_assert_eq((void *)lib, first);
	assert_all_set(lib);
}
