/* weblib.c - dlopen() the HTTP, TLS and password-hash libraries on demand (see weblib.h). */
#include "weblib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

/* A member of struct swl_weblib and the symbol that fills it. */
struct sym {
	const char *name;
	size_t offset;
};
#define SYM(f) { #f, offsetof(struct swl_weblib, f) }

static const struct sym mhd_syms[] = {
	SYM(MHD_start_daemon),
	SYM(MHD_stop_daemon),
	SYM(MHD_create_response_from_buffer),
	SYM(MHD_create_response_from_buffer_with_free_callback_cls),
	SYM(MHD_add_response_header),
	SYM(MHD_queue_response),
	SYM(MHD_queue_basic_auth_fail_response),
	SYM(MHD_destroy_response),
	SYM(MHD_lookup_connection_value),
	SYM(MHD_get_connection_info),
	SYM(MHD_basic_auth_get_username_password),
	SYM(MHD_free),
	SYM(MHD_add_connection),
	SYM(MHD_set_connection_option),
	SYM(MHD_suspend_connection),
	SYM(MHD_resume_connection),
};

static const struct sym gnutls_syms[] = {
	SYM(gnutls_global_init),
	SYM(gnutls_strerror),
	SYM(gnutls_free),
	SYM(gnutls_x509_crt_init),
	SYM(gnutls_x509_crt_deinit),
	SYM(gnutls_x509_crt_import),
	SYM(gnutls_x509_crt_list_import2),
	SYM(gnutls_certificate_allocate_credentials),
	SYM(gnutls_certificate_free_credentials),
	SYM(gnutls_certificate_set_x509_key_mem2),
	SYM(gnutls_certificate_get_peers),
	SYM(gnutls_x509_trust_list_init),
	SYM(gnutls_x509_trust_list_deinit),
	SYM(gnutls_x509_trust_list_add_trust_mem),
	SYM(gnutls_x509_trust_list_verify_crt2),
	SYM(gnutls_hmac_init),
	SYM(gnutls_hmac),
	SYM(gnutls_hmac_deinit),
};

static const struct sym crypt_syms[] = {
	SYM(crypt_rn),
	SYM(crypt_gensalt_rn),
};
#undef SYM

#define NSYMS(a) (sizeof(a) / sizeof((a)[0]))
/* dlsym's void * is stored into the function pointers: POSIX makes them the same size. */
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers are not data pointers");
/* A member added to the struct without its name here would stay NULL. */
_Static_assert(sizeof(struct swl_weblib) == (NSYMS(mhd_syms) + NSYMS(gnutls_syms) + NSYMS(crypt_syms)) * sizeof(void *),
	       "struct swl_weblib and the symbol lists of weblib.c differ");

static int loading_failed(struct swl_err *err, const char *soname, const char *why)
{
	snprintf(err->msg, sizeof(err->msg), "serving needs %s: %s", soname, why ? why : "unknown error");
	return -ELIBACC;
}

/* dlopen soname and fill the members named in syms. */
static int open_one(const char *soname, const struct sym *syms, size_t n, struct swl_weblib *lib, struct swl_err *err)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return loading_failed(err, soname, dlerror());
	for (size_t i = 0; i < n; i++) {
		dlerror();
		void *p = dlsym(h, syms[i].name);
		if (!p)
			return loading_failed(err, soname, dlerror());
		memcpy((char *)lib + syms[i].offset, &p, sizeof(p));
	}
	return 0;
}

int swl_weblib_open(const struct swl_weblib_sonames *names, struct swl_weblib *lib, struct swl_err *err)
{
	memset(lib, 0, sizeof(*lib));
	int r;
	if ((r = open_one(names->mhd, mhd_syms, NSYMS(mhd_syms), lib, err)) < 0 ||
	    (r = open_one(names->gnutls, gnutls_syms, NSYMS(gnutls_syms), lib, err)) < 0 ||
	    (r = open_one(names->crypt, crypt_syms, NSYMS(crypt_syms), lib, err)) < 0)
		return r;
	/* GnuTLS's constructor initializes it at dlopen, unless GNUTLS_NO_IMPLICIT_INIT is set:
	 * this call (reference-counted) makes it initialized either way. Never undone: the
	 * library stays loaded. */
	if ((r = lib->gnutls_global_init()) < 0) {
		snprintf(err->msg, sizeof(err->msg), "serving needs %s: gnutls_global_init: %s", names->gnutls,
			 lib->gnutls_strerror(r));
		return -ELIBACC;
	}
	return 0;
}

static struct swl_weblib loaded;
static struct swl_err load_err;
static bool load_ok;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const struct swl_weblib_sonames sonames = { SWL_WEBLIB_MHD, SWL_WEBLIB_GNUTLS, SWL_WEBLIB_CRYPT };
	load_ok = swl_weblib_open(&sonames, &loaded, &load_err) == 0;
}

const struct swl_weblib *swl_weblib_get(struct swl_err *err)
{
	pthread_once(&load_once, load);
	if (load_ok)
		return &loaded;
	*err = load_err;
	return NULL;
}
