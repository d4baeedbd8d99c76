/* weblib.h - the HTTP server, TLS and password-hash libraries, loaded on demand.
 *
 * libmicrohttpd, GnuTLS (with p11-kit, nettle, gmp, idn2...) and libxcrypt serve /metrics
 * only, yet linking them costs every command their start-up and a few megabytes of memory
 * (GnuTLS's constructor alone allocates and touches much). So the binary does not link them:
 * the serving commands dlopen() them by their versioned sonames, once, and call them through
 * this table of function pointers, typed with the libraries' own prototypes. Code that
 * serves writes lib->MHD_queue_response(...) where it would write MHD_queue_response(...).
 * The libraries are never unloaded.
 */
#ifndef SWL_WEBLIB_H
#define SWL_WEBLIB_H

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "util.h"

/* The sonames loaded: the ABI versions the headers above describe. */
#define SWL_WEBLIB_MHD "libmicrohttpd.so.12"
#define SWL_WEBLIB_GNUTLS "libgnutls.so.30"
#define SWL_WEBLIB_CRYPT "libcrypt.so.1"

/* Every function the serving code calls, by the library's own name. Only pointers: weblib.c
 * checks at compile time that its lists of names cover every member. */
struct swl_weblib {
	/* libmicrohttpd (http.c, webconfig.c) */
	__typeof__(MHD_start_daemon) *MHD_start_daemon;
	__typeof__(MHD_stop_daemon) *MHD_stop_daemon;
	__typeof__(MHD_create_response_from_buffer) *MHD_create_response_from_buffer;
	__typeof__(MHD_create_response_from_buffer_with_free_callback_cls)
		*MHD_create_response_from_buffer_with_free_callback_cls;
	__typeof__(MHD_add_response_header) *MHD_add_response_header;
	__typeof__(MHD_queue_response) *MHD_queue_response;
	__typeof__(MHD_queue_basic_auth_fail_response) *MHD_queue_basic_auth_fail_response;
	__typeof__(MHD_destroy_response) *MHD_destroy_response;
	__typeof__(MHD_lookup_connection_value) *MHD_lookup_connection_value;
	__typeof__(MHD_get_connection_info) *MHD_get_connection_info;
	__typeof__(MHD_basic_auth_get_username_password) *MHD_basic_auth_get_username_password;
	__typeof__(MHD_free) *MHD_free;
	__typeof__(MHD_add_connection) *MHD_add_connection;
	__typeof__(MHD_set_connection_option) *MHD_set_connection_option;
	__typeof__(MHD_suspend_connection) *MHD_suspend_connection;
	__typeof__(MHD_resume_connection) *MHD_resume_connection;

	/* GnuTLS (webconfig.c: the certificate files, client certificates) */
	__typeof__(gnutls_global_init) *gnutls_global_init;
	__typeof__(gnutls_strerror) *gnutls_strerror;
	/* gnutls_free is a variable holding GnuTLS's free function (and a macro that calls it):
	 * this points at the variable; call it as (*lib->gnutls_free)(p). */
	gnutls_free_function *gnutls_free;
	__typeof__(gnutls_x509_crt_init) *gnutls_x509_crt_init;
	__typeof__(gnutls_x509_crt_deinit) *gnutls_x509_crt_deinit;
	__typeof__(gnutls_x509_crt_import) *gnutls_x509_crt_import;
	__typeof__(gnutls_x509_crt_list_import2) *gnutls_x509_crt_list_import2;
	__typeof__(gnutls_certificate_allocate_credentials) *gnutls_certificate_allocate_credentials;
	__typeof__(gnutls_certificate_free_credentials) *gnutls_certificate_free_credentials;
	__typeof__(gnutls_certificate_set_x509_key_mem2) *gnutls_certificate_set_x509_key_mem2;
	__typeof__(gnutls_certificate_get_peers) *gnutls_certificate_get_peers;
	__typeof__(gnutls_x509_trust_list_init) *gnutls_x509_trust_list_init;
	__typeof__(gnutls_x509_trust_list_deinit) *gnutls_x509_trust_list_deinit;
	__typeof__(gnutls_x509_trust_list_add_trust_mem) *gnutls_x509_trust_list_add_trust_mem;
	__typeof__(gnutls_x509_trust_list_verify_crt2) *gnutls_x509_trust_list_verify_crt2;
	/* (webconfig.c: keyed digests of remembered passwords) */
	__typeof__(gnutls_hmac_init) *gnutls_hmac_init;
	__typeof__(gnutls_hmac) *gnutls_hmac;
	__typeof__(gnutls_hmac_deinit) *gnutls_hmac_deinit;

	/* libxcrypt (webconfig.c: bcrypt) */
	__typeof__(crypt_rn) *crypt_rn;
	__typeof__(crypt_gensalt_rn) *crypt_gensalt_rn;
};

/* The libraries, loaded on the first call (thread-safe; later calls return the same table or
 * the same error). NULL when one cannot be loaded or lacks a function: err then says
 * "serving needs SONAME: <the loader's reason>". */
const struct swl_weblib *swl_weblib_get(struct swl_err *err);

/* The loading itself, from the sonames given (file names or paths, as dlopen takes them):
 * what swl_weblib_get() does once with the three above. Fills every member of *lib and
 * initializes GnuTLS. Returns 0, or -ELIBACC with err set as above. Libraries opened before a
 * failure stay loaded (the process is about to give up on serving). */
struct swl_weblib_sonames {
	const char *mhd, *gnutls, *crypt;
};
int swl_weblib_open(const struct swl_weblib_sonames *names, struct swl_weblib *lib, struct swl_err *err);

#endif
