/* test_source_export.c - the journal export format read back as entries: text and binary
 * fields, entries separated by empty lines, and input that is cut or malformed. Whole files
 * that journalctl wrote are replayed against their journal in tests/journal_golden.sh. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "parse_fields.h"
#include "source_export.h"
#define SWL_SCRATCH_TAG "export"
#include "scratch.h"

TestSuite(export, .init = scratch_init, .fini = scratch_fini);

static struct swl_export *x;
static const struct swl_field *fields;
static size_t nfields;

static const char *write_file(const char *name, const void *p, size_t n)
{
	const char *path = spath(name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static void open_bytes(const void *p, size_t n, size_t max_line)
{
	swl_export_close(x);
	cr_assert_eq(swl_export_open(write_file("in.export", p, n), max_line, &x), 0);
}

/* "NAME\n" + 64-bit little-endian length + value + "\n" */
static size_t binary(char *out, const char *name, const void *value, uint64_t len, size_t n)
{
	size_t k = strlen(name);
	memcpy(out, name, k);
	out[k++] = '\n';
	for (int i = 0; i < 8; i++)
		out[k++] = (char)(len >> (8 * i));
	memcpy(out + k, value, n);
	k += n;
	return k;
}

static void next_entry(size_t want)
{
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 1);
	cr_assert_eq(nfields, want, "%zu fields, want %zu", nfields, want);
}

static void assert_field_at(size_t k, const char *name, const void *value, size_t n)
{
	cr_assert(swl_str_eqc(fields[k].name, name), "field %zu: %.*s, want %s", k, (int)fields[k].name.n,
		  fields[k].name.p, name);
	cr_assert_eq(fields[k].value.n, n, "%s: %zu bytes, want %zu", name, fields[k].value.n, n);
	cr_assert(memcmp(fields[k].value.p, value, n) == 0);
}

#define assert_text(k, name, value) assert_field_at(k, name, value, strlen(value))

Test(export, text_and_binary_fields)
{
	char in[512];
	size_t n = (size_t)snprintf(in, sizeof(in), "__CURSOR=s=1;i=1\n__REALTIME_TIMESTAMP=1795974712000000\n"
						   "_PID=42\nSYSLOG_IDENTIFIER=charon\n");
	n += binary(in + n, "MESSAGE", "09[IKE] a\nb", 11, 11);
	in[n++] = '\n';
	n += (size_t)snprintf(in + n, sizeof(in) - n, "PRIORITY=6\n\n\n__CURSOR=s=1;i=2\nMESSAGE=x=y\n\n");
	open_bytes(in, n, 0);
	next_entry(6);
	assert_text(0, "__CURSOR", "s=1;i=1");
	assert_text(1, "__REALTIME_TIMESTAMP", "1795974712000000");
	assert_text(4, "MESSAGE", "09[IKE] a\nb");
	assert_text(5, "PRIORITY", "6");
	static struct swl_event ev;
	swl_event_from_fields(&ev, fields, nfields, 0);
	cr_assert_eq(ev.time_us, 1795974712000000LL);
	cr_assert_eq(ev.pid, 42);
	cr_assert(swl_str_eqc(ev.msg, "a\nb"));
	next_entry(2);
	assert_text(1, "MESSAGE", "x=y");
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 0);
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 0);
	size_t first;
	cr_assert_eq(swl_export_bad_lines(x, &first), 0);
	swl_export_close(x);
	x = NULL;
}

/* The last entry needs no empty line after it; a file cut inside a binary value still gives
 * the fields read, and the value as far as it goes. */
Test(export, cut_files)
{
	char in[256];
	size_t n = (size_t)snprintf(in, sizeof(in), "A=1\nB=2");
	open_bytes(in, n, 0);
	next_entry(2);
	assert_text(1, "B", "2");
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 0);

	n = (size_t)snprintf(in, sizeof(in), "A=1\n");
	n += binary(in + n, "M", "abcdef", 100, 6); /* says 100 bytes, has 6 */
	open_bytes(in, n, 0);
	next_entry(2);
	assert_text(1, "M", "abcdef");
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 0);

	static const char short_length[] = "A=1\nM\n\x05\x00\x00"; /* 3 of the 8 bytes of a length */
	open_bytes(short_length, sizeof(short_length) - 1, 0);
	next_entry(1);
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 0);

	/* a length near 2^64: the value is skipped to the end of the file */
	n = (size_t)snprintf(in, sizeof(in), "A=1\n");
	n += binary(in + n, "M", "abc", UINT64_MAX, 3);
	open_bytes(in, n, 0);
	next_entry(2);
	assert_text(1, "M", "abc");
	cr_assert_eq(swl_export_next(x, &fields, &nfields), 0);
	swl_export_close(x);
	x = NULL;
}

/* Values are cut at max_line bytes, the rest skipped; lines that are no field are skipped and
 * counted; a wrong length is found at the byte that should be a newline. */
Test(export, bounded_and_malformed)
{
	static char in[8192];
	static char big[3000];
	memset(big, 'v', sizeof(big));
	size_t n = binary(in, "BIG", big, sizeof(big), sizeof(big));
	in[n++] = '\n';
	n += (size_t)snprintf(in + n, sizeof(in) - n, "TEXT=%.*s\nlower=x\n=x\n1A=x\nnot a field\nOK=1\n\n", 2000, big);
	n += binary(in + n, "W", "abc", 2, 3); /* 2 said, 3 there: 'c' is no newline */
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\nNEXT=1\n");
	open_bytes(in, n, 1024);
	next_entry(3);
	assert_field_at(0, "BIG", big, 1024);
	assert_field_at(1, "TEXT", big, 1024 - 5);
	assert_text(2, "OK", "1");
	/* the byte after the value ('c') is no newline: the rest of that line (empty) ends the entry */
	next_entry(1);
	assert_text(0, "W", "ab");
	next_entry(1);
	assert_text(0, "NEXT", "1");
	size_t first;
	cr_assert_eq(swl_export_bad_lines(x, &first), 5);
	cr_assert_eq(first, 3); /* "lower=x": BIG's name and TEXT are lines 1 and 2 */
	swl_export_close(x);
	x = NULL;
}

Test(export, fields_bounded)
{
	static char in[16384];
	size_t n = 0;
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "F%d=v\n", i);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "MESSAGE=m\nX=y\nMESSAGE=again\n");
	open_bytes(in, n, 0);
	next_entry(SWL_EVENT_MAX_FIELDS + 1);
	assert_text(SWL_EVENT_MAX_FIELDS, "MESSAGE", "m");
	swl_export_close(x);
	x = NULL;
}

/* Told by content: two fields first, plain or gzip; not a syslog file, not stdin. */
Test(export, recognised_by_content)
{
	static const char entry[] = "__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n";
	cr_assert(swl_is_export_file(write_file("a", entry, sizeof(entry) - 1)));
	char in[64];
	size_t n = (size_t)snprintf(in, sizeof(in), "__CURSOR=s=1\n");
	n += binary(in + n, "MESSAGE", "a\nb", 3, 3);
	cr_assert(swl_is_export_file(write_file("b", in, n)));
	gzFile gz = gzopen(spath("c.gz"), "wb");
	cr_assert_eq(gzwrite(gz, entry, sizeof(entry) - 1), (int)sizeof(entry) - 1);
	cr_assert_eq(gzclose(gz), Z_OK);
	cr_assert(swl_is_export_file(spath("c.gz")));
	static const char *const no[] = {
		"Nov 29 17:51:52 moon charon: 09[IKE] x\n",
		"MESSAGE=only one line\n",
		"MESSAGE\nMESSAGE=x\n",
		"{\"MESSAGE\":\"x\"}\n",
		"KEY=value\nsomething else\n",
		"",
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert_not(swl_is_export_file(write_file("d", no[i], strlen(no[i]))), "%s", no[i]);
	cr_assert_not(swl_is_export_file("-"));
	cr_assert_not(swl_is_export_file(spath("missing")));
}
