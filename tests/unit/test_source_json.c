/* test_source_json.c - journalctl -o json lines decoded into journal fields. Lines as
 * journalctl prints them (its JSON output of the tests' journals); the replay of whole files
 * against the journal they came from is in tests/journal_golden.sh. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_fields.h"
#include "source_json.h"

static struct swl_field fields[SWL_FIELDS_ROOM];
static char *buf;

/* Decode from an exact-size copy, into a buffer of exactly the line's length, so the
 * sanitizer sees a read past the line or a write past the buffer. */
static int decode_n(const char *line, size_t len)
{
	static char *copy;
	free(copy);
	free(buf);
	copy = malloc(len ? len : 1);
	buf = malloc(len ? len : 1);
	cr_assert(copy && buf);
	memcpy(copy, line, len);
	return swl_json_fields(copy, len, buf, fields);
}

static int decode(const char *line)
{
	return decode_n(line, strlen(line));
}

static void assert_field_at(int k, const char *name, const void *value, size_t n)
{
	cr_assert(swl_str_eqc(fields[k].name, name), "field %d: %.*s, want %s", k, (int)fields[k].name.n,
		  fields[k].name.p, name);
	cr_assert_eq(fields[k].value.n, n, "%s: %zu bytes, want %zu", name, fields[k].value.n, n);
	cr_assert(memcmp(fields[k].value.p, value, n) == 0, "%s: %.*s", name, (int)n, fields[k].value.p);
}

#define assert_text(k, name, value) assert_field_at(k, name, value, strlen(value))

Test(json, journalctl_line)
{
	cr_assert_eq(decode("{\"_PID\":\"4242\",\"_HOSTNAME\":\"moon\",\"MESSAGE\":\"09[IKE] initiating IKE_SA con1[1] "
			    "to 198.18.1.2\",\"SYSLOG_FACILITY\":\"3\",\"__REALTIME_TIMESTAMP\":\"1795974712000000\"}"),
		     5);
	assert_text(0, "_PID", "4242");
	assert_text(1, "_HOSTNAME", "moon");
	assert_text(2, "MESSAGE", "09[IKE] initiating IKE_SA con1[1] to 198.18.1.2");
	assert_text(3, "SYSLOG_FACILITY", "3");
	assert_text(4, "__REALTIME_TIMESTAMP", "1795974712000000");
	/* the event, as the journal source builds it */
	static struct swl_event ev;
	swl_event_from_fields(&ev, fields, 5, 0);
	cr_assert_eq(ev.time_us, 1795974712000000LL);
	cr_assert(swl_str_eqc(ev.program, "charon")); /* by its marker: no SYSLOG_IDENTIFIER */
	cr_assert_eq(ev.pid, 4242);
	cr_assert(swl_str_eqc(ev.msg, "initiating IKE_SA con1[1] to 198.18.1.2"));
}

Test(json, escapes)
{
	cr_assert_eq(decode("{\"MESSAGE\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"}"), 1);
	assert_text(0, "MESSAGE", "a\"b\\c/d\n\t\r\b\f");
	cr_assert_eq(decode("{\"M\":\"\\u00e9\\u20ac\\ud83d\\ude42\\u0041\"}"), 1);
	assert_text(0, "M", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x99\x82" "A");
	/* lone halves of a surrogate pair are U+FFFD */
	cr_assert_eq(decode("{\"M\":\"\\ud83dx\\ude42\\ud83d\\u0041\"}"), 1);
	assert_text(0, "M", "\xEF\xBF\xBDx\xEF\xBF\xBD\xEF\xBF\xBD" "A");
	cr_assert_eq(decode("{\"M\":\"\\u0000\"}"), 1);
	assert_field_at(0, "M", "", 1);
}

Test(json, values_journalctl_writes)
{
	/* bytes that are not UTF-8: an array of numbers; several values of a field: an array */
	cr_assert_eq(decode("{\"A\":[104,255,0,10],\"B\":[\"x\",[121,10],null,\"z\"],\"C\":null,\"D\":[]}"), 5);
	assert_field_at(0, "A", "h\xff\0\n", 4);
	assert_text(1, "B", "x");
	assert_field_at(2, "B", "y\n", 2);
	assert_text(3, "B", "z");
	assert_text(4, "D", ""); /* an empty value */
	cr_assert_eq(decode("{\"E\":12, \"F\" : true ,\"G\":false}"), 3);
	assert_text(0, "E", "12");
	assert_text(1, "F", "true");
	assert_text(2, "G", "false");
	/* json-seq's record separator, white space around */
	cr_assert_eq(decode("\x1e { \"M\" : \"x\" } \r"), 1);
	assert_text(0, "M", "x");
	cr_assert_eq(decode("{}"), 0);
}

Test(json, not_an_entry)
{
	static const char *const bad[] = {
		"",
		"[]",
		"\"MESSAGE\"",
		"{",
		"{\"M\"}",
		"{\"M\":}",
		"{\"M\":\"x\",}",
		"{\"M\":\"x\"} {}",
		"{\"M\":\"x\"",
		"{\"M\":\"x}",
		"{\"M\":\"\\x\"}",
		"{\"M\":\"\\u12\"}",
		"{\"M\":{\"a\":\"b\"}}",
		"{\"M\":[256]}",
		"{\"M\":[1,]}",
		"{\"M\":[\"a\",5]}",
		"{\"M\":[[\"a\"]]}",
		"{\"M\":nul}",
		"{M:\"x\"}",
		"Nov 29 17:51:52 moon charon: 09[IKE] x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(decode(bad[i]), -EBADMSG, "%s", bad[i]);
}

/* A line cut anywhere (a line longer than the maximum is cut) decodes or is refused; the
 * decoded bytes never need more room than the line. */
Test(json, cut_at_every_length)
{
	static const char line[] = "\x1e{\"MESSAGE\":\"09[IKE] \\u00e9\\ud83d\\ude42 \\\"q\\\"\",\"A\":[104,105],"
				   "\"B\":[\"x\",[1,2],null],\"C\":null,\"N\":-1.5e3}";
	cr_assert_eq(decode(line), 5);
	for (size_t len = 0; len < sizeof(line) - 1; len++) {
		int r = decode_n(line, len);
		cr_assert(r == -EBADMSG, "cut at %zu: %d", len, r);
	}
}

/* However many fields a line has, the first SWL_EVENT_MAX_FIELDS and then the ones an
 * event is built from are kept. */
Test(json, fields_bounded)
{
	char line[8192];
	size_t n = (size_t)snprintf(line, sizeof(line), "{");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\"F%d\":\"v\",", i);
	snprintf(line + n, sizeof(line) - n, "\"MESSAGE\":\"m\",\"_PID\":\"7\",\"MESSAGE\":\"again\"}");
	cr_assert_eq(decode(line), SWL_EVENT_MAX_FIELDS + 2);
	assert_text(SWL_EVENT_MAX_FIELDS, "MESSAGE", "m");
	assert_text(SWL_EVENT_MAX_FIELDS + 1, "_PID", "7");
}
