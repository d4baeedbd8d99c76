/* fuzz_parse.c - libFuzzer target: any bytes through swl_parse_line.
 *
 * Checks what the parser promises: every slice it hands out lies inside the line (or is a
 * constant: the program "charon", a facility's number), the field count is bounded, no
 * message ends in a space, tab or CR, and a second parse of the same bytes with the same
 * parser state gives the same event (the parser is pure). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse_syslog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	return 0;
}

/* A slice is fine when empty, inside the line, or one of the parser's constants. */
static void check_slice(struct swl_str s, const char *line, size_t len, const char *constant)
{
	if (s.n == 0)
		return;
	if (s.p >= line && s.p + s.n <= line + len)
		return;
	if (constant && swl_str_eqc(s, constant))
		return;
	abort();
}

/* A syslog facility's number (0..23), as the parser's constants spell it. */
static const char *facility_constant(struct swl_str s)
{
	static char buf[4];
	if (s.n < 1 || s.n > 2 || s.p[0] < '0' || s.p[0] > '9' || (s.n == 2 && (s.p[1] < '0' || s.p[1] > '9')))
		return NULL;
	int v = s.n == 1 ? s.p[0] - '0' : (s.p[0] - '0') * 10 + s.p[1] - '0';
	if (v > 23 || (s.n == 2 && s.p[0] == '0'))
		return NULL;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return buf;
}

static void check_event(const struct swl_event *ev, const char *line, size_t len)
{
	check_slice(ev->host, line, len, NULL);
	check_slice(ev->program, line, len, "charon");
	check_slice(ev->msg, line, len, NULL);
	if (ev->nfields > SWL_EVENT_MAX_FIELDS)
		abort();
	for (size_t i = 0; i < ev->nfields; i++) {
		struct swl_field f = ev->fields[i];
		bool facility = swl_str_eqc(f.name, "SYSLOG_FACILITY");
		check_slice(f.value, line, len, facility ? facility_constant(f.value) : NULL);
	}
	/* the message of a parsed line ends with no space, tab or CR */
	if (ev->msg.n && (ev->msg.p[ev->msg.n - 1] == ' ' || ev->msg.p[ev->msg.n - 1] == '\t' ||
			  ev->msg.p[ev->msg.n - 1] == '\r'))
		abort();
}

static bool same_event(const struct swl_event *a, const struct swl_event *b)
{
	if (a->time_us != b->time_us || a->pid != b->pid || a->nfields != b->nfields ||
	    !swl_str_eq(a->host, b->host) || !swl_str_eq(a->program, b->program) || !swl_str_eq(a->msg, b->msg))
		return false;
	for (size_t i = 0; i < a->nfields; i++)
		if (!swl_str_eq(a->fields[i].name, b->fields[i].name) || !swl_str_eq(a->fields[i].value, b->fields[i].value))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so ASan sees any read past the end of the line */
	char *line = malloc(size ? size : 1);
	if (!line)
		abort();
	if (size)
		memcpy(line, data, size);

	/* two parser states: a pinned year (rollover logic) and a derived one (mtime logic) */
	struct swl_parser pinned, derived;
	swl_parser_init(&pinned, 2026, 1795974712);
	swl_parser_init(&derived, 0, 1795974712);
	struct swl_event a, b;
	for (int k = 0; k < 2; k++) {
		struct swl_parser *ps = k ? &derived : &pinned;
		struct swl_parser copy = *ps;
		int ra = swl_parse_line(ps, line, size, &a);
		int rb = swl_parse_line(&copy, line, size, &b);
		if (ra != rb || !same_event(&a, &b))
			abort();
		if (ra != 0 && ra != -EINVAL)
			abort();
		check_event(&a, line, size);
		/* feed it once more: the year state moves on, nothing may break */
		swl_parse_line(ps, line, size, &a);
		check_event(&a, line, size);
	}
	free(line);
	return 0;
}
