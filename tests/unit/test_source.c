/* test_source.c - the line reader (plain, gzip, stdin) and the journal source against real
 * journal files written by systemd-journal-remote from export-format text. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lines.h"
#include "source_journal.h"
#define SWL_SCRATCH_TAG "source"
#include "scratch.h"

#ifndef JOURNAL_REMOTE
#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#endif


static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static void write_gzip(const char *path, const void *p, size_t n)
{
	gzFile gz = gzopen(path, "wb");
	cr_assert_not_null(gz);
	cr_assert_eq(gzwrite(gz, p, (unsigned)n), (int)n);
	cr_assert_eq(gzclose(gz), Z_OK);
}

/* ---- lines ---- */

struct got_line {
	char *p;
	size_t n;
	bool over;
};

/* Read every line of path; returns the count, lines in *out (caller frees). */
static size_t read_all(const char *path, size_t max_line, struct got_line **out)
{
	struct swl_lines *l;
	int r = swl_lines_open(path, max_line, &l);
	cr_assert_eq(r, 0, "open %s: %d", path, r);
	size_t n = 0, cap = 16;
	struct got_line *v = malloc(cap * sizeof(*v));
	const char *line;
	size_t len;
	bool over;
	while ((r = swl_lines_next(l, &line, &len, &over)) == 1) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n].p = malloc(len + 1);
		memcpy(v[n].p, line, len);
		v[n].p[len] = '\0';
		v[n].n = len;
		v[n].over = over;
		n++;
	}
	cr_assert_eq(r, 0, "next: %d", r);
	/* the end stays the end */
	cr_assert_eq(swl_lines_next(l, &line, &len, &over), 0);
	swl_lines_close(l);
	*out = v;
	return n;
}

static void free_lines(struct got_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].p);
	free(v);
}

static void expect_lines(struct got_line *v, size_t n, const char *const *want, size_t nwant)
{
	cr_assert_eq(n, nwant, "got %zu lines, want %zu", n, nwant);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(v[i].n, strlen(want[i]), "line %zu: length %zu, want %zu", i, v[i].n, strlen(want[i]));
		cr_assert_arr_eq(v[i].p, want[i], v[i].n, "line %zu: \"%s\", want \"%s\"", i, v[i].p, want[i]);
		cr_assert_not(v[i].over, "line %zu flagged oversized", i);
	}
}

TestSuite(lines, .init = scratch_init, .fini = scratch_fini);

static const char sample[] = "first\nsecond line\n\n\nfourth\n";
static const char *const sample_lines[] = { "first", "second line", "", "", "fourth" };

Test(lines, plain_file)
{
	write_file(spath("plain.log"), sample, sizeof(sample) - 1);
	struct got_line *v;
	size_t n = read_all(spath("plain.log"), 0, &v);
	expect_lines(v, n, sample_lines, 5);
	free_lines(v, n);
}

Test(lines, gzip_file_detected_by_content)
{
	/* no .gz in the name: detection is by content */
	write_gzip(spath("rotated.log.1"), sample, sizeof(sample) - 1);
	struct got_line *v;
	size_t n = read_all(spath("rotated.log.1"), 0, &v);
	expect_lines(v, n, sample_lines, 5);
	free_lines(v, n);
}

Test(lines, crlf_stripped_lone_cr_kept)
{
	static const char in[] = "a\r\nb\r\n\r\nx\ry\nlast\r\n";
	write_file(spath("crlf.log"), in, sizeof(in) - 1);
	struct got_line *v;
	size_t n = read_all(spath("crlf.log"), 0, &v);
	static const char *const want[] = { "a", "b", "", "x\ry", "last" };
	expect_lines(v, n, want, 5);
	free_lines(v, n);
}

Test(lines, final_line_without_newline)
{
	static const char in[] = "one\ntwo";
	write_file(spath("nonl.log"), in, sizeof(in) - 1);
	struct got_line *v;
	size_t n = read_all(spath("nonl.log"), 0, &v);
	static const char *const want[] = { "one", "two" };
	expect_lines(v, n, want, 2);
	free_lines(v, n);
}

Test(lines, empty_file_and_empty_lines)
{
	write_file(spath("empty.log"), "", 0);
	struct got_line *v;
	size_t n = read_all(spath("empty.log"), 0, &v);
	cr_assert_eq(n, 0);
	free_lines(v, n);

	write_file(spath("nl.log"), "\n\n", 2);
	n = read_all(spath("nl.log"), 0, &v);
	static const char *const want[] = { "", "" };
	expect_lines(v, n, want, 2);
	free_lines(v, n);
}

Test(lines, nul_bytes_inside_a_line)
{
	static const char in[] = "a\0b\nc\0\n";
	write_file(spath("nul.log"), in, sizeof(in) - 1);
	struct got_line *v;
	size_t n = read_all(spath("nul.log"), 0, &v);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[0].n, 3);
	cr_assert_arr_eq(v[0].p, "a\0b", 3);
	cr_assert_eq(v[1].n, 2);
	cr_assert_arr_eq(v[1].p, "c\0", 2);
	free_lines(v, n);
}

/* A 16 MiB line between two short ones, written in chunks; read plain and gzipped. */
static void huge_line_case(bool gz)
{
	const char *path = spath(gz ? "huge.log.gz" : "huge.log");
	const size_t huge = 16u << 20;
	char chunk[65536];
	if (gz) {
		gzFile f = gzopen(path, "wb1");
		cr_assert_not_null(f);
		gzputs(f, "before\n");
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)('a' + i % 26);
		for (size_t done = 0; done < huge; done += sizeof(chunk))
			cr_assert_eq(gzwrite(f, chunk, sizeof(chunk)), (int)sizeof(chunk));
		gzputs(f, "\r\nafter\n");
		cr_assert_eq(gzclose(f), Z_OK);
	} else {
		FILE *f = fopen(path, "wb");
		cr_assert_not_null(f);
		fputs("before\n", f);
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)('a' + i % 26);
		for (size_t done = 0; done < huge; done += sizeof(chunk))
			cr_assert_eq(fwrite(chunk, 1, sizeof(chunk), f), sizeof(chunk));
		fputs("\r\nafter\n", f);
		cr_assert_eq(fclose(f), 0);
	}

	struct got_line *v;
	size_t n = read_all(path, 65536, &v);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].p, "before");
	cr_assert_not(v[0].over);
	cr_assert(v[1].over, "the 16 MiB line must be flagged oversized");
	cr_assert_eq(v[1].n, 65536);
	for (size_t i = 0; i < v[1].n; i++)
		cr_assert_eq(v[1].p[i], (char)('a' + i % 26), "byte %zu", i);
	cr_assert_str_eq(v[2].p, "after");
	cr_assert_not(v[2].over);
	free_lines(v, n);
}

Test(lines, huge_line_cut_and_skipped)
{
	huge_line_case(false);
}

Test(lines, huge_line_cut_and_skipped_gzip)
{
	huge_line_case(true);
}

/* Lines of every length around max_line, placed across the reader's block boundary too:
 * compare with a straightforward reference split. */
Test(lines, boundaries_against_reference)
{
	const size_t max = 16;
	size_t cap = 3u << 20, len = 0;
	char *in = malloc(cap);
	unsigned seed = 12345;
	while (len < cap - 64) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 16) % 24;
		for (size_t i = 0; i < n; i++, len++)
			in[len] = (char)('A' + (len % 26));
		if ((seed >> 8) % 5 == 0)
			in[len++] = '\r';
		in[len++] = '\n';
	}
	/* and a final line without newline */
	memcpy(in + len, "tail", 4);
	len += 4;
	write_file(spath("bound.log"), in, len);

	struct got_line *v;
	size_t n = read_all(spath("bound.log"), max, &v);
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && in[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		size_t ln = i - start;
		if (i < len && ln > 0 && in[start + ln - 1] == '\r')
			ln--;
		bool over = ln > max;
		if (over)
			ln = max;
		cr_assert_lt(k, n, "too few lines");
		cr_assert_eq(v[k].n, ln, "line %zu at %zu: length %zu, want %zu", k, start, v[k].n, ln);
		cr_assert_arr_eq(v[k].p, in + start, ln, "line %zu", k);
		cr_assert_eq(v[k].over, over, "line %zu oversized flag", k);
		k++;
		start = i + 1;
	}
	cr_assert_eq(k, n, "got %zu lines, want %zu", n, k);
	free_lines(v, n);
	free(in);
}

/* Exactly max_line bytes (with or without CR) is not oversized; one more byte is. */
Test(lines, exact_limit)
{
	static const char in[] = "0123456789abcdef\n0123456789abcdef\r\n0123456789abcdefX\n"
				 "0123456789abcdefX\r\nend";
	write_file(spath("exact.log"), in, sizeof(in) - 1);
	struct got_line *v;
	size_t n = read_all(spath("exact.log"), 16, &v);
	cr_assert_eq(n, 5);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(v[i].n, 16, "line %d", i);
		cr_assert_arr_eq(v[i].p, "0123456789abcdef", 16);
		cr_assert_eq(v[i].over, i >= 2, "line %d", i);
	}
	cr_assert_str_eq(v[4].p, "end");
	free_lines(v, n);
}

/* stdin is a pipe fed by a child: large enough for several partial reads. */
static void stdin_case(bool gz)
{
	const size_t nlines = 50000;
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		gzFile f = gzdopen(fds[1], gz ? "wb" : "wT"); /* "T": plain, no gzip */
		if (!f)
			_exit(1);
		for (size_t i = 0; i < nlines; i++)
			gzprintf(f, "line %zu of the pipe\n", i);
		_exit(gzclose(f) == Z_OK ? 0 : 1);
	}
	close(fds[1]);
	cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);

	time_t before = time(NULL);
	struct swl_lines *l;
	cr_assert_eq(swl_lines_open("-", 0, &l), 0);
	time_t m = swl_lines_mtime(l);
	cr_assert(m >= before && m <= time(NULL) + 1, "stdin mtime is now");
	const char *line;
	size_t len, i = 0;
	bool over;
	int r;
	char want[64];
	while ((r = swl_lines_next(l, &line, &len, &over)) == 1) {
		snprintf(want, sizeof(want), "line %zu of the pipe", i);
		cr_assert_eq(len, strlen(want), "line %zu", i);
		cr_assert_arr_eq(line, want, len, "line %zu", i);
		i++;
	}
	cr_assert_eq(r, 0);
	cr_assert_eq(i, nlines);
	swl_lines_close(l);
	/* the reader worked on a duplicate: fd 0 is still open */
	cr_assert_neq(fcntl(STDIN_FILENO, F_GETFD), -1);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(lines, stdin_pipe)
{
	stdin_case(false);
}

Test(lines, stdin_pipe_gzip)
{
	stdin_case(true);
}

Test(lines, mtime_is_the_files)
{
	write_file(spath("old.log"), "x\n", 2);
	struct timespec ts[2] = { { 1600000000, 0 }, { 1600000000, 0 } };
	cr_assert_eq(utimensat(AT_FDCWD, spath("old.log"), ts, 0), 0);
	struct swl_lines *l;
	cr_assert_eq(swl_lines_open(spath("old.log"), 0, &l), 0);
	cr_assert_eq(swl_lines_mtime(l), (time_t)1600000000);
	swl_lines_close(l);
}

Test(lines, missing_file_and_directory)
{
	struct swl_lines *l = (struct swl_lines *)1;
	cr_assert_eq(swl_lines_open(spath("does-not-exist.log"), 0, &l), -ENOENT);
	cr_assert_null(l);
	cr_assert_eq(swl_lines_open(scratch, 0, &l), -EISDIR);
	cr_assert_null(l);
}

Test(lines, truncated_gzip_reports_error_after_its_lines)
{
	/* incompressible-ish content, cut in the middle of the stream */
	size_t n = 200000, k = 0;
	char *in = malloc(n);
	unsigned seed = 7;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		in[i] = (i % 40 == 39) ? '\n' : (char)('!' + (seed >> 16) % 90);
	}
	write_gzip(spath("t.gz"), in, n);
	struct stat st;
	cr_assert_eq(stat(spath("t.gz"), &st), 0);
	cr_assert_eq(truncate(spath("t.gz"), st.st_size / 2), 0);
	struct swl_lines *l;
	cr_assert_eq(swl_lines_open(spath("t.gz"), 0, &l), 0);
	const char *line;
	size_t len;
	bool over;
	int r;
	while ((r = swl_lines_next(l, &line, &len, &over)) == 1) {
		if (len == 39)
			cr_assert_arr_eq(line, in + k * 40, 39, "line %zu", k);
		k++;
	}
	cr_assert_eq(r, -EIO, "a cut gzip stream is an error, got %d", r);
	cr_assert_gt(k, 100);
	cr_assert_eq(swl_lines_next(l, &line, &len, &over), 0);
	swl_lines_close(l);
	free(in);
}

Test(lines, is_journal_path)
{
	cr_assert(swl_is_journal_path("/var/log/journal/x/system.journal"));
	cr_assert(swl_is_journal_path("system@0005-0006.journal~"));
	cr_assert(swl_is_journal_path("a.journal"));
	cr_assert_not(swl_is_journal_path("a.journal.gz"));
	cr_assert_not(swl_is_journal_path("journal"));
	cr_assert_not(swl_is_journal_path("/var/log/syslog"));
	cr_assert_not(swl_is_journal_path(""));
	cr_assert_not(swl_is_journal_path(NULL));
}

/* ---- journal ---- */

#define BOOT_ID "0123456789abcdef0123456789abcdef"
#define BASE_US INT64_C(1700000000000000)

struct jent {
	const char *kv[12][2]; /* field, value; NULL-terminated */
};

static char big_msg[3000], big_field[5000], huge_field[100001];

/* Entries 0..5, in time order. Realtime = BASE_US + i s, monotonic = i s + 1 µs. */
static const struct jent entries[] = {
	{ { { "SYSLOG_IDENTIFIER", "charon-systemd" },
	    { "MESSAGE", "IKE_SA con1[1] established between 192.0.2.1[gw]...198.51.100.7[peer7]" },
	    { "IKE_SA_NAME", "con1" },
	    { "IKE_SA_UNIQUE_ID", "1" },
	    { "_HOSTNAME", "gw1" },
	    { "_PID", "1234" },
	    { "_TRANSPORT", "journal" } } },
	{ { { "SYSLOG_IDENTIFIER", "sshd" },
	    { "MESSAGE", "Accepted publickey for root from 203.0.113.9 port 50000 ssh2" },
	    { "_HOSTNAME", "gw1" },
	    { "_PID", "99" },
	    { "_TRANSPORT", "syslog" } } },
	{ { { "SYSLOG_IDENTIFIER", "charon" },
	    { "MESSAGE", "09[IKE] <con1|1> giving up after 5 retransmits" },
	    { "_HOSTNAME", "gw1" },
	    { "SYSLOG_PID", "777" },
	    { "_TRANSPORT", "syslog" } } },
	{ { { "MESSAGE", "XFRM: replay check failed for SPI 0xc1a2b3c4" },
	    { "_HOSTNAME", "gw1" },
	    { "_TRANSPORT", "kernel" },
	    { "PRIORITY", "4" } } },
	/* long fields are stored compressed: both must survive enumeration */
	{ { { "SYSLOG_IDENTIFIER", "charon-systemd" },
	    { "MESSAGE", big_msg },
	    { "BIG_FIELD", big_field },
	    { "HUGE_FIELD", huge_field },
	    { "_HOSTNAME", "gw2" },
	    { "_PID", "1234" } } },
	{ { { "SYSLOG_IDENTIFIER", "charon-systemd" },
	    { "MESSAGE", "CHILD_SA net{2} established" },
	    { "IKE_SA_NAME", "con2" },
	    { "_HOSTNAME", "gw1" },
	    { "_PID", "1234" } } },
};
#define NENT (sizeof(entries) / sizeof(entries[0]))

static void big_init(void)
{
	memset(big_msg, 'm', sizeof(big_msg) - 1);
	memcpy(big_msg, "IKE_SA big[9] ", 14);
	memset(big_field, 'b', sizeof(big_field) - 1);
	memcpy(big_field + sizeof(big_field) - 4, "end", 3);
	memset(huge_field, 'h', sizeof(huge_field) - 1);
}

static void journal_init(void)
{
	cr_assert_eq(access(JOURNAL_REMOTE, X_OK), 0,
		     JOURNAL_REMOTE " is missing (%s): install the systemd-journal-remote package "
		     "to run the journal tests", strerror(errno));
	scratch_init();
	big_init();
	char d[256];
	snprintf(d, sizeof(d), "%s/j", scratch);
	cr_assert_eq(mkdir(d, 0700), 0);
}

/* The export-format header of an entry at time index ti. */
static void jr_header(struct swl_buf *b, size_t ti)
{
	swl_buf_printf(b, "__REALTIME_TIMESTAMP=%" PRId64 "\n", BASE_US + (int64_t)ti * 1000000);
	swl_buf_printf(b, "__MONOTONIC_TIMESTAMP=%zu\n", ti * 1000000 + 1);
	swl_buf_printf(b, "_BOOT_ID=%s\n", BOOT_ID);
}

/* Append export-format text b (freed here) to DIR/j/name via systemd-journal-remote (a second
 * run on an existing file appends). */
static void jr_send(const char *name, struct swl_buf *b);

/* Append entries [from, to) of `e`, stamped with time index ti0.., to DIR/j/name. */
static void jr_write(const char *name, const struct jent *e, size_t from, size_t to, size_t ti0)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	for (size_t i = from; i < to; i++) {
		jr_header(&b, ti0 + (i - from));
		for (size_t k = 0; e[i].kv[k][0]; k++)
			swl_buf_printf(&b, "%s=%s\n", e[i].kv[k][0], e[i].kv[k][1]);
		swl_buf_addc(&b, '\n');
	}
	jr_send(name, &b);
}

static void jr_send(const char *name, struct swl_buf *b)
{
	char out[256], err[256];
	snprintf(out, sizeof(out), "%s/j/%s", scratch, name);
	/* journal-remote's chatter goes beside, never into, the journal directory */
	snprintf(err, sizeof(err), "%s/journal-remote.err", scratch);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(JOURNAL_REMOTE, JOURNAL_REMOTE, "-o", out, "-", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	for (size_t off = 0; off < b->len;) {
		ssize_t n = write(fds[1], b->p + off, b->len - off);
		cr_assert_gt(n, 0, "write to journal-remote: %s", strerror(errno));
		off += (size_t)n;
	}
	close(fds[1]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "systemd-journal-remote failed (status %d), see %s", status, err);
	swl_buf_fini(b);
}

static const char *jpath(const char *name)
{
	static char b[2][256];
	static int next;
	char *p = b[next++ % 2];
	snprintf(p, sizeof(b[0]), "%s/j/%s", scratch, name);
	return p;
}

static struct swl_journal *jopen_file(const char *name, const char *const *ids, size_t nids, bool kernel)
{
	const char *paths[1] = { jpath(name) };
	struct swl_journal *j;
	int r = swl_journal_open(SWL_JOURNAL_FILES, paths, 1, ids, nids, kernel, &j);
	cr_assert_eq(r, 0, "swl_journal_open: %s", strerror(-r));
	return j;
}

static struct swl_str field_of(const struct swl_event *ev, const char *name)
{
	for (size_t i = 0; i < ev->nfields; i++)
		if (swl_str_eqc(ev->fields[i].name, name))
			return ev->fields[i].value;
	return SWL_STR_NULL;
}

static const char *kv_of(const struct jent *e, const char *name)
{
	for (size_t k = 0; e->kv[k][0]; k++)
		if (strcmp(e->kv[k][0], name) == 0)
			return e->kv[k][1];
	return NULL;
}

#define assert_str(s, want, what)                                                                \
	cr_assert(swl_str_eqc((s), (want)), "entry %zu %s: \"%.*s\", want \"%s\"", idx, (what), \
		  (int)((s).n > 200 ? 200 : (s).n), (s).p ? (s).p : "", (want))

/* ev must be entries[idx] (time index ti), exactly. */
static void check_entry(const struct swl_event *ev, size_t idx, size_t ti)
{
	const struct jent *e = &entries[idx];
	cr_assert_eq(ev->time_us, BASE_US + (int64_t)ti * 1000000, "entry %zu time", idx);
	const char *host = kv_of(e, "_HOSTNAME"), *ident = kv_of(e, "SYSLOG_IDENTIFIER");
	assert_str(ev->host, host ? host : "", "host");
	const char *transport = kv_of(e, "_TRANSPORT");
	const char *prog = ident ? ident : transport && !strcmp(transport, "kernel") ? "kernel" : "";
	assert_str(ev->program, prog, "program");
	const char *pid = kv_of(e, "_PID");
	if (!pid)
		pid = kv_of(e, "SYSLOG_PID");
	cr_assert_eq(ev->pid, pid ? atol(pid) : -1, "entry %zu pid %ld", idx, ev->pid);

	/* every field of the entry, with its exact value (HUGE_FIELD cut at 64 KiB) */
	size_t nkv = 0;
	for (size_t k = 0; e->kv[k][0]; k++, nkv++) {
		struct swl_str v = field_of(ev, e->kv[k][0]);
		cr_assert_not_null(v.p, "entry %zu lacks field %s", idx, e->kv[k][0]);
		if (strcmp(e->kv[k][0], "HUGE_FIELD") == 0) {
			cr_assert_eq(v.n, 65536 - strlen("HUGE_FIELD="), "entry %zu HUGE_FIELD length %zu", idx, v.n);
			cr_assert_arr_eq(v.p, huge_field, v.n);
			continue;
		}
		assert_str(v, e->kv[k][1], e->kv[k][0]);
	}
	assert_str(field_of(ev, "_BOOT_ID"), BOOT_ID, "_BOOT_ID");

	const char *msg = kv_of(e, "MESSAGE");
	bool prefixed = strncmp(msg, "09[IKE] ", 8) == 0;
	if (prefixed) {
		/* charon's syslog prefix moved into fields */
		assert_str(ev->msg, "giving up after 5 retransmits", "msg");
		/* charon-systemd writes THREAD without the zero padding */
		assert_str(field_of(ev, "THREAD"), "9", "THREAD");
		assert_str(field_of(ev, "GROUP"), "IKE", "GROUP");
		assert_str(field_of(ev, "IKE_SA_NAME"), "con1", "IKE_SA_NAME");
		assert_str(field_of(ev, "IKE_SA_UNIQUE_ID"), "1", "IKE_SA_UNIQUE_ID");
		cr_assert_eq(ev->nfields, nkv + 1 + 4, "entry %zu nfields %zu", idx, ev->nfields);
	} else {
		assert_str(ev->msg, msg, "msg");
		cr_assert_eq(ev->nfields, nkv + 1, "entry %zu nfields %zu", idx, ev->nfields); /* + _BOOT_ID */
	}
}

/* Read every entry now available; expect exactly entries want[0..n) (time index = entry index). */
static void expect_entries(struct swl_journal *j, const size_t *want, size_t n)
{
	struct swl_event ev;
	for (size_t i = 0; i < n; i++) {
		int r = swl_journal_next(j, &ev);
		cr_assert_eq(r, 1, "entry %zu of %zu: next returned %d", i, n, r);
		check_entry(&ev, want[i], want[i]);
	}
	cr_assert_eq(swl_journal_next(j, &ev), 0, "more entries than the %zu expected", n);
}

static void write_all_entries(const char *name)
{
	jr_write(name, entries, 0, NENT, 0);
}

TestSuite(journal, .init = journal_init, .fini = scratch_fini);

static const char *const charon_ids[] = { "charon-systemd", "charon" };

Test(journal, every_entry_in_order_with_exact_fields)
{
	write_all_entries("x.journal");
	struct swl_journal *j = jopen_file("x.journal", NULL, 0, false);
	cr_assert_null(swl_journal_cursor(j), "no cursor before the first entry");
	static const size_t want[] = { 0, 1, 2, 3, 4, 5 };
	expect_entries(j, want, 6);
	swl_journal_close(j);
}

/* More fields than an event holds: the first ones are kept, and the fields the event is built
 * from count wherever they are in the entry. */
Test(journal, fields_past_the_event_s_room)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	jr_header(&b, 0);
	for (int i = 0; i < 80; i++)
		swl_buf_printf(&b, "X_%02d=v%d\n", i, i);
	swl_buf_printf(&b, "SYSLOG_IDENTIFIER=charon\nMESSAGE=09[IKE] <con1|1> giving up\n_PID=42\n"
			   "_HOSTNAME=gw9\nLAST=never kept\n\n");
	jr_send("many.journal", &b);
	struct swl_journal *j = jopen_file("many.journal", NULL, 0, false);
	struct swl_event ev;
	cr_assert_eq(swl_journal_next(j, &ev), 1);
	cr_assert(swl_str_eqc(ev.program, "charon"));
	cr_assert(swl_str_eqc(ev.msg, "giving up"), "msg \"%.*s\"", (int)ev.msg.n, ev.msg.p);
	cr_assert(swl_str_eqc(ev.host, "gw9"));
	cr_assert_eq(ev.pid, 42);
	/* _BOOT_ID and X_00..X_58 (room for charon's four prefix fields), then those four */
	cr_assert_eq(ev.nfields, SWL_EVENT_MAX_FIELDS);
	cr_assert(swl_str_eqc(field_of(&ev, "X_58"), "v58"));
	cr_assert_null(field_of(&ev, "X_59").p);
	cr_assert_null(field_of(&ev, "LAST").p);
	cr_assert(swl_str_eqc(field_of(&ev, "IKE_SA_NAME"), "con1"));
	cr_assert_eq(swl_journal_next(j, &ev), 0);
	swl_journal_close(j);
}

Test(journal, identifiers_filter)
{
	write_all_entries("x.journal");
	struct swl_journal *j = jopen_file("x.journal", charon_ids, 2, false);
	static const size_t want[] = { 0, 2, 4, 5 };
	expect_entries(j, want, 4);
	swl_journal_close(j);

	static const char *const one[] = { "charon" };
	j = jopen_file("x.journal", one, 1, false);
	static const size_t want1[] = { 2 };
	expect_entries(j, want1, 1);
	swl_journal_close(j);
}

Test(journal, kernel_disjunction)
{
	write_all_entries("x.journal");
	struct swl_journal *j = jopen_file("x.journal", charon_ids, 2, true);
	static const size_t want[] = { 0, 2, 3, 4, 5 };
	expect_entries(j, want, 5);
	swl_journal_close(j);

	j = jopen_file("x.journal", NULL, 0, true);
	static const size_t want_k[] = { 3 };
	expect_entries(j, want_k, 1);
	swl_journal_close(j);
}

Test(journal, directory_open)
{
	write_all_entries("x.journal");
	char d[256];
	snprintf(d, sizeof(d), "%s/j", scratch);
	const char *paths[1] = { d };
	struct swl_journal *j;
	cr_assert_eq(swl_journal_open(SWL_JOURNAL_DIR, paths, 1, charon_ids, 2, true, &j), 0);
	static const size_t want[] = { 0, 2, 3, 4, 5 };
	expect_entries(j, want, 5);
	swl_journal_close(j);
}

Test(journal, open_errors)
{
	struct swl_journal *j = (struct swl_journal *)1;
	const char *paths[1] = { jpath("missing.journal") };
	cr_assert_eq(swl_journal_open(SWL_JOURNAL_FILES, paths, 1, NULL, 0, false, &j), -ENOENT);
	cr_assert_null(j);
	cr_assert_eq(swl_journal_open(SWL_JOURNAL_FILES, paths, 0, NULL, 0, false, &j), -EINVAL);
}

/* Read the filtered entries up to position `upto` (1-based) and return that entry's cursor. */
static char *cursor_at(const char *name, size_t upto)
{
	struct swl_journal *j = jopen_file(name, charon_ids, 2, true);
	struct swl_event ev;
	for (size_t i = 0; i < upto; i++)
		cr_assert_eq(swl_journal_next(j, &ev), 1);
	char *c = swl_journal_cursor(j);
	cr_assert_not_null(c);
	swl_journal_close(j);
	return c;
}

Test(journal, cursor_resume)
{
	write_all_entries("x.journal");
	char *c = cursor_at("x.journal", 2); /* entries 0, 2: the cursor names entry 2 */
	struct swl_journal *j = jopen_file("x.journal", charon_ids, 2, true);
	cr_assert_eq(swl_journal_seek_cursor(j, c), 1);
	/* standing on the cursor's entry: its cursor, and next moves past it */
	char *again = swl_journal_cursor(j);
	cr_assert_str_eq(again, c);
	free(again);
	static const size_t want[] = { 3, 4, 5 };
	expect_entries(j, want, 3);
	swl_journal_close(j);
	free(c);

	/* the cursor of the last entry: nothing left */
	c = cursor_at("x.journal", 5);
	j = jopen_file("x.journal", charon_ids, 2, true);
	cr_assert_eq(swl_journal_seek_cursor(j, c), 1);
	expect_entries(j, NULL, 0);
	swl_journal_close(j);
	free(c);
}

Test(journal, garbage_cursor_reads_from_head)
{
	write_all_entries("x.journal");
	struct swl_journal *j = jopen_file("x.journal", charon_ids, 2, true);
	cr_assert_eq(swl_journal_seek_cursor(j, "this is not a cursor"), 0);
	static const size_t want[] = { 0, 2, 3, 4, 5 };
	expect_entries(j, want, 5);
	swl_journal_close(j);
}

/* A well-formed cursor whose entry is not in the file: seek succeeds and lands on a later
 * entry, which must not count as the cursor's; the reader starts again at the head. */
Test(journal, vanished_cursor_reads_from_head)
{
	write_all_entries("x.journal");
	char c[256];
	/* between entries 2 and 3, same boot, another file's seqnum id */
	snprintf(c, sizeof(c), "s=fedcba9876543210fedcba9876543210;i=3;b=%s;m=%" PRIx64 ";t=%" PRIx64 ";x=0",
		 BOOT_ID, (uint64_t)2500001, (uint64_t)(BASE_US + 2500000));
	struct swl_journal *j = jopen_file("x.journal", charon_ids, 2, true);
	cr_assert_eq(swl_journal_seek_cursor(j, c), 0);
	static const size_t want[] = { 0, 2, 3, 4, 5 };
	expect_entries(j, want, 5);
	swl_journal_close(j);
}

/* The same entries written again into a new file (new seqnum id): test_cursor says no, but
 * it is the same entry, and must not be delivered twice. */
Test(journal, cursor_into_rewritten_file)
{
	write_all_entries("a.journal");
	char *c = cursor_at("a.journal", 2);
	write_all_entries("b.journal");
	struct swl_journal *j = jopen_file("b.journal", charon_ids, 2, true);
	cr_assert_eq(swl_journal_seek_cursor(j, c), 1);
	static const size_t want[] = { 3, 4, 5 };
	expect_entries(j, want, 3);
	swl_journal_close(j);
	free(c);
}

/* Poll (wait + next) until n entries arrived or the deadline passed; returns how many. */
static size_t follow(struct swl_journal *j, const size_t *want, const size_t *ti, size_t n)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t got = 0;
	struct swl_event ev;
	for (int loops = 0; got < n && loops < 1000; loops++) {
		int r = 0;
		while (got < n && (r = swl_journal_next(j, &ev)) == 1) {
			check_entry(&ev, want[got], ti[got]);
			got++;
		}
		cr_assert_geq(r, 0);
		if (got == n)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 15)
			break;
		cr_assert_geq(swl_journal_wait(j, 200000), 0);
	}
	return got;
}

Test(journal, seek_tail_then_follow_appends)
{
	jr_write("x.journal", entries, 0, 4, 0);
	struct swl_journal *j = jopen_file("x.journal", charon_ids, 2, true);
	cr_assert_eq(swl_journal_seek_tail(j), 0);
	struct swl_event ev;
	cr_assert_eq(swl_journal_next(j, &ev), 0, "nothing after the tail");
	/* a second run on the same file appends entries 4, 5 (sshd between them is filtered) */
	const struct jent more[] = { entries[4], entries[1], entries[5] };
	jr_write("x.journal", more, 0, 3, 4);
	/* time indexes: entry 4 at 4, sshd at 5, entry 5 at 6 */
	static const size_t want[] = { 4, 5 }, ti[] = { 4, 6 };
	size_t got = follow(j, want, ti, 2);
	cr_assert_eq(got, 2, "saw %zu of 2 appended entries", got);
	cr_assert_eq(swl_journal_next(j, &ev), 0);
	swl_journal_close(j);
}

/* seek_tail when the filter matches nothing yet: the first matching entry that arrives
 * must still be delivered. */
Test(journal, seek_tail_on_empty_match_then_follow)
{
	write_all_entries("x.journal");
	static const char *const ids[] = { "late" };
	struct swl_journal *j = jopen_file("x.journal", ids, 1, false);
	cr_assert_eq(swl_journal_seek_tail(j), 0);
	struct swl_event ev;
	cr_assert_eq(swl_journal_next(j, &ev), 0);
	static const struct jent late[] = { { { { "SYSLOG_IDENTIFIER", "late" },
						{ "MESSAGE", "arrived later" },
						{ "_HOSTNAME", "gw1" } } } };
	jr_write("x.journal", late, 0, 1, 10);

	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = 0;
	for (int loops = 0; loops < 1000; loops++) {
		r = swl_journal_next(j, &ev);
		if (r != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 15)
			break;
		cr_assert_geq(swl_journal_wait(j, 200000), 0);
	}
	cr_assert_eq(r, 1, "the appended entry never arrived");
	cr_assert(swl_str_eqc(ev.msg, "arrived later"));
	cr_assert(swl_str_eqc(ev.program, "late"));
	cr_assert_eq(ev.pid, -1);
	cr_assert_eq(ev.time_us, BASE_US + 10 * 1000000);
	cr_assert_eq(swl_journal_next(j, &ev), 0);
	swl_journal_close(j);
}

Test(journal, wait_times_out_without_changes)
{
	write_all_entries("x.journal");
	struct swl_journal *j = jopen_file("x.journal", NULL, 0, false);
	cr_assert_eq(swl_journal_seek_tail(j), 0);
	/* the first wait reports INVALIDATE at once (mapped to 1); later ones time out */
	int r = 1;
	for (int i = 0; i < 5 && r == 1; i++)
		r = swl_journal_wait(j, 50000);
	cr_assert_eq(r, 0);
	swl_journal_close(j);
}
