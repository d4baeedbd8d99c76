/* test_source_ahead.c - the reader thread yields, in order, exactly what reading and parsing
 * on one thread yields: every event field, across many batches, with lines longer than a
 * batch, cut lines, gzip, a read error at the end, and a caller that stops early. */
#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "parse_syslog.h"
#include "source_ahead.h"
#define SWL_SCRATCH_TAG "ahead"
#include "scratch.h"

TestSuite(ahead, .init = scratch_init, .fini = scratch_fini);

/* Lines of every kind the parser knows, some long, some unparsed; n of them. */
static char *mixed_lines(size_t n, size_t *len)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		switch (i % 7) {
		case 0:
			swl_buf_printf(&b, "Mar  1 00:%02zu:%02zu moon charon[4242]: %02zu[IKE] <con%zu|%zu> IKE_SA con%zu[%zu] "
					   "established between 192.0.2.1[moon]...198.51.100.%zu[sun]\n",
				       i / 60 % 60, i % 60, i % 16, i % 5, i, i % 5, i, i % 250);
			break;
		case 1:
			swl_buf_printf(&b, "Mar  1 00:%02zu:%02zu moon sshd[%zu]: Accepted publickey for root\n", i / 60 % 60,
				       i % 60, i);
			break;
		case 2:
			swl_buf_printf(&b, "not a syslog line %zu\n", i);
			break;
		case 3:
			swl_buf_printf(&b, "<134>1 2026-03-01T00:00:%02zu.123456+00:00 sun charon-systemd %zu - - "
					   "%02zu[NET] sending packet\n",
				       i % 60, i, i % 16);
			break;
		case 4: /* longer than a batch's text now and then, longer than max_line sometimes */
			swl_buf_printf(&b, "Mar  1 01:00:00 moon kernel: [%zu.0] ", i);
			for (size_t k = 0; k < (i % 35 == 4 ? SWL_AHEAD_TEXT + 1000 + i : i % 300); k++)
				swl_buf_addc(&b, (char)('a' + k % 26));
			swl_buf_addc(&b, '\n');
			break;
		case 5:
			swl_buf_add(&b, "\n", 1);
			break;
		default:
			swl_buf_printf(&b, "Mar  1 02:00:%02zu 09[CFG] <%zu> selected peer config 'con%zu'\n", i % 60, i,
				       i % 3);
			break;
		}
	}
	return swl_buf_steal(&b, len);
}

static void write_file(const char *path, const char *p, size_t n, bool gz)
{
	if (gz) {
		gzFile f = gzopen(path, "wb1");
		cr_assert_not_null(f);
		cr_assert_eq(gzwrite(f, p, (unsigned)n), (int)n);
		cr_assert_eq(gzclose(f), Z_OK);
		return;
	}
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static void expect_same_str(struct swl_str got, struct swl_str want, size_t line, const char *what)
{
	cr_assert_eq(got.n, want.n, "line %zu: %s length %zu, want %zu", line, what, got.n, want.n);
	cr_assert(got.n == 0 || memcmp(got.p, want.p, got.n) == 0, "line %zu: %s differs", line, what);
}

/* Records swl_ahead_next handed out in the last compare_both_ways_filtered. */
static size_t records;

/* A filter: lines of the program named by arg, tagged with their pid + 2. */
static uint64_t program_is(const struct swl_event *ev, const void *arg)
{
	return swl_str_eq(ev->program, swl_str_c(arg)) ? (uint64_t)(ev->pid + 2) : 0;
}

/* Read path both ways (one thread: swl_lines + swl_parse_line; two: swl_ahead) and compare
 * every line: all of it when the filter wants it, its time and flags otherwise. Returns the
 * number of lines; *status gets the final status of the reader. */
static size_t compare_both_ways_filtered(const char *path, size_t max_line, swl_ahead_filter *filter, int *status)
{
	struct swl_lines *l1, *l2;
	cr_assert_eq(swl_lines_open(path, max_line, &l1), 0);
	cr_assert_eq(swl_lines_open(path, max_line, &l2), 0);
	struct swl_parser p1, p2;
	swl_parser_init(&p1, 2026, 0);
	swl_parser_init(&p2, 2026, 0);
	struct swl_ahead *a;
	cr_assert_eq(swl_ahead_start(l2, &p2, filter, filter ? "charon" : NULL, &a), 0);

	static struct swl_event want;
	struct swl_ahead_line got = { 0 };
	const char *line;
	size_t len, n = 0, run_left = 0;
	bool over;
	int r1, r2;
	records = 0;
	while ((r1 = swl_lines_next(l1, &line, &len, &over)) > 0) {
		bool parsed = swl_parse_line(&p1, line, len, &want) == 0;
		uint64_t tag = filter ? filter(&want, "charon") : 1;
		bool wanted = tag != 0;
		if (run_left == 0) {
			r2 = swl_ahead_next(a, &got);
			cr_assert_eq(r2, 1, "line %zu: the reader ended early (%d)", n, r2);
			records++;
			run_left = got.lines;
			cr_assert(got.lines == 1 || (!got.tag && got.parsed && !got.oversized), "line %zu: a run of %zu",
				  n, got.lines);
		}
		run_left--;
		cr_assert_eq(got.tag != 0, wanted, "line %zu", n);
		cr_assert_eq(got.parsed, parsed, "line %zu", n);
		cr_assert_eq(got.oversized, over, "line %zu", n);
		const struct swl_event *ev = got.ev;
		cr_assert_eq(ev->time_us, want.time_us, "line %zu", n);
		n++;
		if (!wanted)
			continue;
		cr_assert_eq(got.tag, tag, "line %zu: tag %" PRIu64 ", want %" PRIu64, n, got.tag, tag);
		cr_assert_eq(ev->pid, want.pid, "line %zu", n);
		expect_same_str(ev->host, want.host, n, "host");
		expect_same_str(ev->program, want.program, n, "program");
		expect_same_str(ev->msg, want.msg, n, "msg");
		cr_assert_eq(ev->nfields, want.nfields, "line %zu", n);
		for (size_t f = 0; f < want.nfields; f++) {
			expect_same_str(ev->fields[f].name, want.fields[f].name, n, "field name");
			expect_same_str(ev->fields[f].value, want.fields[f].value, n, "field value");
		}
	}
	cr_assert_eq(run_left, 0, "a run went past the last line");
	r2 = swl_ahead_next(a, &got);
	cr_assert_eq(r2, r1, "after %zu lines: status %d, want %d", n, r2, r1);
	cr_assert_eq(swl_ahead_next(a, &got), r1, "the end stays the end");
	swl_ahead_stop(a);
	swl_lines_close(l1);
	swl_lines_close(l2);
	*status = r1;
	return n;
}

static size_t compare_both_ways(const char *path, size_t max_line, int *status)
{
	return compare_both_ways_filtered(path, max_line, NULL, status);
}

Test(ahead, same_events_as_one_thread_across_many_batches)
{
	size_t len;
	char *text = mixed_lines(20000, &len);
	cr_assert_gt(len, 8 * SWL_AHEAD_TEXT, "too little text for many batches");
	write_file(spath("mixed.log"), text, len, false);
	int status;
	cr_assert_eq(compare_both_ways(spath("mixed.log"), 0, &status), 20000);
	cr_assert_eq(status, 0);
	/* max_line below some lines: those are cut and flagged */
	cr_assert_eq(compare_both_ways(spath("mixed.log"), 200, &status), 20000);
	free(text);
}

/* Lines the filter turns down keep their place, time and flags; the others are whole. */
Test(ahead, filtered)
{
	size_t len;
	char *text = mixed_lines(20000, &len);
	write_file(spath("mixed.log"), text, len, false);
	int status;
	cr_assert_eq(compare_both_ways_filtered(spath("mixed.log"), 0, program_is, &status), 20000);
	cr_assert_eq(status, 0);
	cr_assert_eq(compare_both_ways_filtered(spath("mixed.log"), 200, program_is, &status), 20000);
	free(text);
}

/* Lines turned down that share a time come as one record; any other line breaks the run. */
Test(ahead, runs_of_unwanted_lines)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	for (size_t i = 0; i < 30000; i++) {
		if (i % 10 == 9)
			swl_buf_printf(&b, "Mar  1 00:%02zu:%02zu moon charon: 09[IKE] <c|%zu> sending DPD request\n",
				       i / 1500, i / 25 % 60, i);
		else if (i % 97 == 0)
			swl_buf_printf(&b, "garbage %zu\n", i);
		else
			swl_buf_printf(&b, "Mar  1 00:%02zu:%02zu moon sshd[%zu]: Connection closed\n", i / 1500,
				       i / 25 % 60, i % 4000);
	}
	size_t len;
	char *text = swl_buf_steal(&b, &len);
	write_file(spath("runs.log"), text, len, false);
	int status;
	cr_assert_eq(compare_both_ways_filtered(spath("runs.log"), 0, program_is, &status), 30000);
	cr_assert_eq(status, 0);
	cr_assert_lt(records, 30000 / 2, "%zu records for 30000 lines: runs were not merged", records);
	cr_assert_gt(records, 3000, "%zu records: every wanted line is one", records);
	free(text);
}

Test(ahead, gzip_and_a_final_line_without_newline)
{
	size_t len;
	char *text = mixed_lines(3001, &len);
	write_file(spath("mixed.log.gz"), text, len - 1, true);
	int status;
	cr_assert_eq(compare_both_ways(spath("mixed.log.gz"), 0, &status), 3001);
	cr_assert_eq(status, 0);
	free(text);
}

Test(ahead, empty_file)
{
	write_file(spath("empty.log"), "", 0, false);
	int status;
	cr_assert_eq(compare_both_ways(spath("empty.log"), 0, &status), 0);
	cr_assert_eq(status, 0);
}

Test(ahead, read_error_after_the_lines_before_it)
{
	size_t len;
	char *text = mixed_lines(20000, &len);
	write_file(spath("cut.log.gz"), text, len, true);
	struct stat st;
	cr_assert_eq(stat(spath("cut.log.gz"), &st), 0);
	cr_assert_eq(truncate(spath("cut.log.gz"), st.st_size / 2), 0);
	int status;
	size_t n = compare_both_ways(spath("cut.log.gz"), 0, &status);
	cr_assert_eq(status, -EIO);
	cr_assert_gt(n, 1000);
	free(text);
}

/* The caller stops while the reader waits on a full ring, and again before reading a line:
 * no hang, nothing leaked (the ASan build checks), and the reader is done with l and ps. */
Test(ahead, stop_early)
{
	size_t len;
	char *text = mixed_lines(20000, &len);
	write_file(spath("mixed.log"), text, len, false);
	for (int lines = 0; lines < 2; lines++) {
		struct swl_lines *l;
		cr_assert_eq(swl_lines_open(spath("mixed.log"), 0, &l), 0);
		struct swl_parser ps;
		swl_parser_init(&ps, 2026, 0);
		struct swl_ahead *a;
		cr_assert_eq(swl_ahead_start(l, &ps, NULL, NULL, &a), 0);
		struct swl_ahead_line got;
		for (int i = 0; i < lines * 5; i++)
			cr_assert_eq(swl_ahead_next(a, &got), 1);
		swl_ahead_stop(a);
		/* the rest of the file is still there to read, on this thread */
		const char *line;
		size_t n;
		bool over;
		cr_assert_geq(swl_lines_next(l, &line, &n, &over), 0);
		swl_lines_close(l);
	}
	free(text);
}
