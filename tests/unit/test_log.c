/* test_log.c - the log's three forms, whole lines compared: the journal's <N> prefix, logfmt
 * with its time stamp, level name and quoting, and the plain "swanlog: " of the one-shot
 * commands; text a log line carries (attacker-chosen) stays one line: control characters
 * escaped, and in logfmt \ and " too; a stream is the journal only when JOURNAL_STREAM names
 * that very file. stderr is a scratch file for each test. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#define SWL_SCRATCH_TAG "log"
#include "scratch.h"

static int saved_stderr = -1;

/* stderr into a fresh scratch file; JOURNAL_STREAM names it when journal */
static void capture(bool journal)
{
	int fd = open(spath("err"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	if (saved_stderr < 0)
		saved_stderr = dup(STDERR_FILENO);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	struct stat st;
	cr_assert_eq(fstat(STDERR_FILENO, &st), 0);
	char js[64];
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", js, 1);
	else
		unsetenv("JOURNAL_STREAM");
}

/* stderr back; what was written */
static const char *captured(void)
{
	static char buf[8192];
	dup2(saved_stderr, STDERR_FILENO);
	FILE *f = fopen(spath("err"), "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void setup(void)
{
	scratch_init();
}

static void teardown(void)
{
	if (saved_stderr >= 0)
		dup2(saved_stderr, STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	scratch_fini();
}

TestSuite(log, .init = setup, .fini = teardown);

Test(log, journal_prefixes)
{
	capture(true);
	swl_log_init(true);
	cr_assert_eq(swl_log_form(), SWL_LOG_JOURNAL);
	swl_log(LOG_ERR, "bad %d", 1);
	swl_log(LOG_WARNING, "careful");
	swl_log(LOG_INFO, "told");
	swl_log(LOG_DEBUG, "detail");
	swl_log(LOG_INFO, "a\nforged line\t\x01 and \\ \"quoted\"");
	cr_assert_str_eq(captured(), "<3>bad 1\n<4>careful\n<6>told\n<7>detail\n"
				     "<6>a\\nforged line\\t\\x01 and \\ \"quoted\"\n");
}

Test(log, journal_even_for_one_shot_commands)
{
	capture(true);
	swl_log_init(false);
	cr_assert_eq(swl_log_form(), SWL_LOG_JOURNAL);
	swl_log(LOG_ERR, "x");
	cr_assert_str_eq(captured(), "<3>x\n");
}

Test(log, logfmt)
{
	capture(false);
	swl_log_init(true);
	cr_assert_eq(swl_log_form(), SWL_LOG_LOGFMT);
	swl_log(LOG_ERR, "e");
	swl_log(LOG_WARNING, "w");
	swl_log(LOG_INFO, "i");
	swl_log(LOG_DEBUG, "d");
	swl_log(LOG_INFO, "path \"a\\b\"\nlevel=error msg=\"forged\"\x7f");
	const char *out = captured();
	regex_t re;
	cr_assert_eq(regcomp(&re,
			     "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z level=error msg=\"e\"\n"
			     "ts=[^ ]+Z level=warn msg=\"w\"\n"
			     "ts=[^ ]+Z level=info msg=\"i\"\n"
			     "ts=[^ ]+Z level=debug msg=\"d\"\n"
			     "ts=[^ ]+Z level=info msg=\"path \\\\\"a\\\\\\\\b\\\\\"\\\\nlevel=error msg=\\\\\"forged\\\\\"\\\\x7f\"\n$",
			     REG_EXTENDED),
		     0);
	cr_assert_eq(regexec(&re, out, 0, NULL, 0), 0, "logfmt:\n%s", out);
	regfree(&re);
}

Test(log, plain)
{
	capture(false);
	swl_log_init(false);
	cr_assert_eq(swl_log_form(), SWL_LOG_PLAIN);
	swl_log(LOG_ERR, "rules.yaml:3:4: bad");
	swl_log(LOG_INFO, "two\nlines");
	cr_assert_str_eq(captured(), "swanlog: rules.yaml:3:4: bad\nswanlog: two\\nlines\n");
}

/* JOURNAL_STREAM inherited while stderr now goes elsewhere: not the journal */
Test(log, journal_stream_of_another_file)
{
	capture(false);
	setenv("JOURNAL_STREAM", "1:1", 1);
	swl_log_init(true);
	cr_assert_eq(swl_log_form(), SWL_LOG_LOGFMT);
	captured();
}

/* A message longer than the line bound is cut, still one line */
Test(log, long_message_cut)
{
	capture(true);
	swl_log_init(true);
	static char big[10000];
	memset(big, '\n', sizeof(big) - 1);
	swl_log(LOG_INFO, "%s", big);
	const char *out = captured();
	size_t len = strlen(out);
	cr_assert_gt(len, 100);
	cr_assert_eq(out[len - 1], '\n');
	cr_assert_null(memchr(out, '\n', len - 1), "more than one line");
	cr_assert_eq(strncmp(out, "<6>\\n\\n", 7), 0);
}
