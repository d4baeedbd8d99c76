/* test_source_omprog.c - rsyslog's omprog protocol over real pipes: one OK per message once
 * it is in the write-ahead log and applied, partial and oversized lines, a last line at the
 * end of input, the batch limit, the log applied again on open, a resent last record
 * recognised (and none after a clean end of input), a line end of \r\n the same live and
 * from the log, an append that fails answered with an error (and the message taken when it
 * comes again), and rsyslog gone. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_omprog.h"
#define SWL_SCRATCH_TAG "omprog"
#include "scratch.h"

struct seen {
	size_t n, resent, refused;
	char lines[16][64];
	bool oversized[16];
};

static void apply(void *arg, const char *line, size_t len, bool oversized)
{
	struct seen *s = arg;
	cr_assert_lt(s->n, 16);
	cr_assert_lt(len, 64);
	memcpy(s->lines[s->n], line, len);
	s->lines[s->n][len] = '\0';
	s->oversized[s->n] = oversized;
	s->n++;
}

static void resent(void *arg)
{
	((struct seen *)arg)->resent++;
}

static void refused(void *arg)
{
	((struct seen *)arg)->refused++;
}

/* The pipes rsyslog would hold: it writes to in[1] and reads out[0]. */
static int in[2], out[2];
static struct seen seen;

static void setup(void)
{
	scratch_init();
	cr_assert_eq(pipe2(in, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	memset(&seen, 0, sizeof(seen));
	signal(SIGPIPE, SIG_IGN);
}

TestSuite(omprog, .init = setup, .fini = scratch_fini);

static struct swl_omprog *open_at(size_t max_line, uint64_t after, long *replayed)
{
	const struct swl_omprog_ops ops = { apply, resent, refused, &seen };
	struct swl_omprog *o;
	int r = swl_omprog_open(in[0], out[1], spath("state.wal"), max_line, after, &ops, &o, replayed);
	cr_assert_eq(r, 0, "open: %s", strerror(-r));
	return o;
}

static void send(const char *text)
{
	cr_assert_eq(write(in[1], text, strlen(text)), (ssize_t)strlen(text));
}

/* Everything swanlog answered so far. */
static const char *replies(void)
{
	static char buf[4096];
	ssize_t n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static char *file(const char *name)
{
	static char buf[4096];
	FILE *f = fopen(spath(name), "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Read until nothing more comes now; returns the messages handled. */
static size_t drain(struct swl_omprog *o, size_t max, size_t *applied)
{
	size_t total = 0, all_applied = 0, handled, a;
	bool more = true;
	while (more) {
		cr_assert_eq(swl_omprog_read(o, max, &handled, &a, &more), 0);
		total += handled;
		all_applied += a;
	}
	if (applied)
		*applied = all_applied;
	return total;
}

Test(omprog, each_message_logged_applied_confirmed)
{
	long replayed;
	struct swl_omprog *o = open_at(100, 0, &replayed);
	cr_assert_eq(replayed, 0);
	swl_omprog_ready(o);
	cr_assert_str_eq(replies(), "OK\n");
	send("first message\nsecond");
	size_t applied;
	cr_assert_eq(drain(o, 1000, &applied), 1);
	cr_assert_eq(applied, 1);
	cr_assert_str_eq(replies(), "OK\n");
	/* the partial line waits for its newline */
	send(" message\n");
	cr_assert_eq(drain(o, 1000, &applied), 1);
	cr_assert_eq(seen.n, 2);
	cr_assert_str_eq(seen.lines[0], "first message");
	cr_assert_str_eq(seen.lines[1], "second message");
	cr_assert_str_eq(replies(), "OK\n");
	cr_assert_str_eq(file("state.wal"), "1 first message\n2 second message\n");
	cr_assert_eq(swl_omprog_seq(o), 2);
	cr_assert_not(swl_omprog_done(o));
	/* a save covers 2: the log keeps only its last record */
	cr_assert_eq(swl_omprog_checkpoint(o), 0);
	cr_assert_str_eq(file("state.wal"), "2 second message\n");
	swl_omprog_close(o);
}

Test(omprog, oversized_line_cut_and_skipped)
{
	long replayed;
	struct swl_omprog *o = open_at(8, 0, &replayed);
	send("0123456789abcdefghij\nshort\n");
	size_t applied;
	cr_assert_eq(drain(o, 1000, &applied), 2);
	cr_assert_eq(applied, 2);
	cr_assert_eq(seen.n, 2);
	cr_assert_str_eq(seen.lines[0], "01234567");
	cr_assert(seen.oversized[0]);
	cr_assert_str_eq(seen.lines[1], "short");
	cr_assert_not(seen.oversized[1]);
	cr_assert_str_eq(replies(), "OK\nOK\n");
	swl_omprog_close(o);
}

Test(omprog, batch_limit_and_end_of_input)
{
	long replayed;
	struct swl_omprog *o = open_at(100, 0, &replayed);
	send("a\nb\nc\nd\ne");
	close(in[1]);
	size_t handled, applied;
	bool more;
	cr_assert_eq(swl_omprog_read(o, 2, &handled, &applied, &more), 0);
	cr_assert_eq(handled, 2);
	cr_assert(more);
	cr_assert_eq(seen.n, 2);
	/* the rest, and the last line without a newline once the input has ended */
	cr_assert_eq(drain(o, 2, &applied), 3);
	cr_assert_eq(seen.n, 5);
	cr_assert_str_eq(seen.lines[4], "e");
	cr_assert(swl_omprog_done(o));
	cr_assert_str_eq(replies(), "OK\nOK\nOK\nOK\nOK\n");
	swl_omprog_close(o);
}

Test(omprog, log_applied_again_and_resend_recognised)
{
	FILE *f = fopen(spath("state.wal"), "w");
	cr_assert_not_null(f);
	fputs("1 one\n2 two\n3 three\n", f);
	fclose(f);
	long replayed;
	struct swl_omprog *o = open_at(100, 1, &replayed);
	/* the save covered 1: two and three are applied again */
	cr_assert_eq(replayed, 2);
	cr_assert_eq(seen.n, 2);
	cr_assert_str_eq(seen.lines[0], "two");
	cr_assert_str_eq(seen.lines[1], "three");
	/* rsyslog sends three again (its OK was lost): confirmed, not applied; only the first
	 * message can be such a resend */
	send("three\nthree\n");
	size_t applied;
	cr_assert_eq(drain(o, 1000, &applied), 2);
	cr_assert_eq(applied, 1);
	cr_assert_eq(seen.resent, 1);
	cr_assert_eq(seen.n, 3);
	cr_assert_str_eq(replies(), "OK\nOK\n");
	cr_assert_eq(swl_omprog_seq(o), 4);
	swl_omprog_close(o);
}

/* The input closed after every reply (rsyslog's restart): no resend can come, so the same
 * message again at the next start is counted. */
Test(omprog, repeat_after_a_clean_end_is_counted)
{
	long replayed;
	struct swl_omprog *o = open_at(100, 0, &replayed);
	send("one\ntwo\n");
	close(in[1]);
	cr_assert_eq(drain(o, 1000, NULL), 2);
	cr_assert(swl_omprog_done(o));
	cr_assert_eq(swl_omprog_checkpoint(o), 0);
	cr_assert_str_eq(file("state.wal"), "");
	swl_omprog_close(o);
	cr_assert_eq(pipe2(in, O_CLOEXEC | O_NONBLOCK), 0);
	o = open_at(100, 2, &replayed);
	cr_assert_eq(replayed, 0);
	send("two\n");
	size_t applied;
	cr_assert_eq(drain(o, 1000, &applied), 1);
	cr_assert_eq(applied, 1);
	cr_assert_eq(seen.resent, 0);
	cr_assert_eq(seen.n, 3);
	cr_assert_str_eq(file("state.wal"), "3 two\n");
	swl_omprog_close(o);
}

/* A message ending in \r (or \r\r) is the same live and applied again from the log. */
Test(omprog, carriage_return_normalised_once)
{
	long replayed;
	struct swl_omprog *o = open_at(100, 0, &replayed);
	send("crlf\r\ntwo\r\r\n");
	cr_assert_eq(drain(o, 1000, NULL), 2);
	cr_assert_str_eq(seen.lines[0], "crlf");
	cr_assert_str_eq(seen.lines[1], "two");
	cr_assert_str_eq(file("state.wal"), "1 crlf\n2 two\n");
	swl_omprog_close(o);
	o = open_at(100, 0, &replayed); /* as after a crash before any save */
	cr_assert_eq(replayed, 2);
	cr_assert_str_eq(seen.lines[2], "crlf");
	cr_assert_str_eq(seen.lines[3], "two");
	swl_omprog_close(o);
}

Test(omprog, failed_append_answered_with_an_error)
{
	long replayed;
	struct swl_omprog *o = open_at(100, 0, &replayed);
	send("kept\n");
	drain(o, 1000, NULL);
	cr_assert_str_eq(replies(), "OK\n");
	/* the log's file may not grow: the next append fails like on a full disk */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	struct rlimit small = { .rlim_cur = (rlim_t)strlen("1 kept\n"), .rlim_max = rl.rlim_max };
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	send("refused\n");
	size_t applied;
	cr_assert_eq(drain(o, 1000, &applied), 1);
	cr_assert_eq(applied, 0);
	cr_assert_eq(seen.refused, 1);
	cr_assert_eq(seen.n, 1);
	char want[256];
	snprintf(want, sizeof(want), "Error: cannot append to the write-ahead log: %s\n", strerror(EFBIG));
	cr_assert_str_eq(replies(), want);
	cr_assert_str_eq(file("state.wal"), "1 kept\n");
	/* room again: rsyslog's next try is taken */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	send("refused\n");
	cr_assert_eq(drain(o, 1000, &applied), 1);
	cr_assert_eq(applied, 1);
	cr_assert_str_eq(seen.lines[1], "refused");
	cr_assert_str_eq(replies(), "OK\n");
	cr_assert_str_eq(file("state.wal"), "1 kept\n2 refused\n");
	swl_omprog_close(o);
}

Test(omprog, rsyslog_gone)
{
	long replayed;
	struct swl_omprog *o = open_at(100, 0, &replayed);
	close(out[0]);
	send("a\nb\n");
	size_t applied;
	drain(o, 1000, &applied);
	/* the first message was applied, its OK could not be written: nothing more is taken */
	cr_assert_eq(applied, 1);
	cr_assert_eq(seen.n, 1);
	cr_assert(swl_omprog_done(o));
	swl_omprog_close(o);
}
