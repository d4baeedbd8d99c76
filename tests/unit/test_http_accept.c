/* test_http_accept.c - content negotiation of /metrics: which format an Accept header gets and
 * whether Accept-Encoding allows gzip, on the headers real scrapers send and on tricky ones. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "http.h"

struct accept_case {
	const char *header;
	bool want; /* OpenMetrics, or gzip */
};

#define CHECK_CASES(fn, name, cases)                                                                       \
	for (size_t i = 0; i < sizeof(cases) / sizeof((cases)[0]); i++)                                   \
		cr_expect_eq(fn((cases)[i].header), (cases)[i].want, name ": %s",                          \
			     (cases)[i].header ? (cases)[i].header : "(none)")

Test(accept, formats)
{
	static const struct accept_case cases[] = {
		{ NULL, false },
		{ "", false },
		{ "*/*", false },
		{ "text/plain", false },
		{ "application/openmetrics-text", true },
		/* what Prometheus 2 sends */
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
		  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		  true },
		/* with scrape_protocols: [PrometheusText0.0.4] first */
		{ "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1", false },
		/* q=0 refuses, whatever follows */
		{ "application/openmetrics-text;q=0, text/plain", false },
		{ "application/openmetrics-text;q=0, */*", false },
		{ "application/openmetrics-text;q=0.000", false },
		{ "application/openmetrics-text;q=0.001", true },
		/* media types and parameter names are case-insensitive */
		{ "Application/OpenMetrics-Text; version=1.0.0", true },
		{ "APPLICATION/OPENMETRICS-TEXT;Q=0, text/plain", false },
		{ "application/openmetrics-text; Q=0.2, TEXT/PLAIN; q=0.9", false },
		/* weights, not order */
		{ "text/plain;q=0.3, application/openmetrics-text;q=0.7", true },
		{ "application/openmetrics-text;q=0.3, text/plain;q=0.7", false },
		/* a tie goes to OpenMetrics only when it is named */
		{ "text/plain, application/openmetrics-text", true },
		{ "text/plain, */*", false },
		{ "application/*", true },
		{ "application/*, text/*", false },
		{ "text/*;q=0.5, application/*", true },
		/* the most specific range decides, even against a higher wildcard */
		{ "*/*;q=1, application/openmetrics-text;q=0.1, text/plain;q=0.2", false },
		{ "*/*;q=0.1, application/openmetrics-text", true },
		{ "application/openmetrics-text;q=0.5, application/openmetrics-text;version=1.0.0;q=0.9, text/plain;q=0.8",
		  true },
		/* quoted parameters may hold separators and a fake q */
		{ "application/openmetrics-text; x=\"a, text/plain; q=1\"; q=0.4, text/plain;q=0.3", true },
		{ "application/openmetrics-text; x=\"a\\\"; q=0\"", true },
		{ "text/plain; x=\"q=0, application/openmetrics-text\"", false },
		/* malformed weights: the element is ignored */
		{ "application/openmetrics-text;q=2", false },
		{ "application/openmetrics-text;q=1.5", false },
		{ "application/openmetrics-text;q=0.1234", false },
		{ "application/openmetrics-text;q=", false },
		{ "application/openmetrics-text;q=abc, text/plain", false },
		{ "application/openmetrics-text;q=1.000", true },
		{ "application/openmetrics-text;q=1.", true },
		/* spaces and empty elements */
		{ "  ,, application/openmetrics-text  ;  q=0.5 ,", true },
		{ "application/openmetrics-text ; q = 0 , text/plain", false },
		/* near misses are other types */
		{ "application/openmetrics-textx", false },
		{ "application/openmetrics", false },
		{ "application/json", false },
		{ "applicationX/openmetrics-text", false },
		{ "application/openmetrics-text;version", true },
	};
	CHECK_CASES(swl_http_wants_openmetrics, "Accept", cases);
}

Test(accept, gzip)
{
	static const struct accept_case cases[] = {
		{ NULL, false },
		{ "", false },
		{ "gzip", true },
		{ "GZip", true },
		{ "x-gzip", true },
		{ "gzip, deflate", true },
		{ "deflate, br", false },
		{ "identity", false },
		{ "*", true },
		{ "*;q=0", false },
		{ "gzip;q=0", false },
		{ "gzip;Q=0.0", false },
		{ "gzip;q=0, identity", false },
		{ "gzip;q=0, *", false },      /* the named coding wins over * */
		{ "*;q=0, gzip;q=0.1", true },
		{ "gzip;q=0.5", true },
		{ "gzip;q=bad", false },
		{ "gzip ; q=0.001", true },
		{ "gzipx", false },
		{ "deflate;x=\"gzip, q=1\"", false },
	};
	CHECK_CASES(swl_http_accepts_gzip, "Accept-Encoding", cases);
}

Test(accept, long_headers)
{
	/* A header of 2,500 elements is parsed in one pass; the last one counts. */
	static char h[2500 * 12 + 64];
	size_t n = 0;
	for (int i = 0; i < 2500; i++)
		n += (size_t)snprintf(h + n, sizeof(h) - n, "gzip;q=0.5, ");
	snprintf(h + n, sizeof(h) - n, "gzip;q=0");
	cr_expect(swl_http_accepts_gzip(h), "the highest weight among equals");
	n = 0;
	for (int i = 0; i < 2500; i++)
		n += (size_t)snprintf(h + n, sizeof(h) - n, "text/plain, ");
	snprintf(h + n, sizeof(h) - n, "application/openmetrics-text");
	cr_expect(swl_http_wants_openmetrics(h));
}
