/* main.c - the command line: parse options, wire source -> pipeline -> exposition, exit.
 * The only file that knows every stage, and the only one that exits. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "context.h"
#include "expo.h"
#include "follow.h"
#include "http.h"
#include "lines.h"
#include "log.h"
#include "pipeline.h"
#include "process.h"
#include "registry.h"
#include "replay.h"
#include "report.h"
#include "rules.h"
#include "swl_build.h" /* generated at build time: SWL_REVISION, SWL_BUILD_DATE */
#include "webconfig.h"
#include "weblib.h"

#define EXIT_USAGE 2

static const struct swl_build build = { .version = SWL_VERSION, .revision = SWL_REVISION, .date = SWL_BUILD_DATE };
#define DEFAULT_CONTEXT_ENTRIES 100000
#define DEFAULT_CONTEXT_AGE_S (7 * 86400)

static const char usage_main[] =
	"usage: swanlog COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Turn strongSwan (charon) and kernel IPsec logs into Prometheus metrics.\n"
	"\n"
	"commands:\n"
	"  follow              follow the journal or log files, serve /metrics (the default command)\n"
	"  replay FILE...      read archived logs (plain, .gz, .journal, journalctl -o json/export,\n"
	"                      - for stdin) in order, print the final metrics to stdout and exit\n"
	"  omprog              rsyslog's omprog target: messages on stdin, each confirmed once\n"
	"                      counted and logged ahead; serves /metrics like follow\n"
	"  report FILE...      read what replay reads and write a postmortem: a self-contained HTML\n"
	"                      page (per tunnel: timeline, outages, failures by reason) or text\n"
	"  check [RULES...]    load and compile rules, run every rule's examples\n"
	"\n"
	"Run 'swanlog COMMAND --help' for a command's options. 'swanlog --version' prints the version.\n";

static const char usage_replay[] =
	"usage: swanlog replay [OPTIONS] FILE...\n"
	"\n"
	"Read archived logs in the order given and print the final metric values to stdout.\n"
	"FILE is a syslog or charon log (plain or gzip), a journal file (*.journal), journalctl -o json\n"
	"or -o export output saved to a file (plain or gzip), or - for stdin.\n"
	"Times come from the logs; the wall clock is never used: a line with no time takes the time\n"
	"of the line before it in the same input.\n"
	"\n"
	"options:\n"
	"  -r, --rules PATH        rules file or directory (default " SWL_RULES_DIR ")\n"
	"  -f, --format FMT        prometheus (text 0.0.4, default) or openmetrics; OpenMetrics samples\n"
	"                          carry the log time of their last change, for\n"
	"                          'promtool tsdb create-blocks-from openmetrics'\n"
	"      --step SECONDS      with openmetrics: also a sample per series every SECONDS of log time\n"
	"      --year YEAR         year of the first classic syslog line (default: from the file's mtime)\n"
	"      --timezone TZ       zone of classic syslog times, e.g. UTC or Europe/Zurich (default: local)\n"
	"      --max-line BYTES    cut longer lines (default 65536)\n"
	"      --max-series N      series per metric before the overflow series (default 10000)\n"
	"      --label NAME=VALUE  add this label to every series printed, e.g. instance=gw1 for a\n"
	"                          backfill (repeatable; refused when a metric has a label NAME)\n"
	"      --self-metrics      also print swanlog's own metrics (swanlog_*: lines read, rule\n"
	"                          matches and errors; a backfill for the alerts needs them)\n"
	"  -h, --help              this help\n"
	"\n"
	"Diagnostics go to stderr; so does the progress (files, bytes, lines/s, ETA) when stderr is a\n"
	"terminal. Exit status: 0 done, 1 an input could not be read, 2 bad usage or rules, 3 an\n"
	"input held lines but none in a form swanlog reads, e.g. a CSV export (the metrics are\n"
	"printed all the same).\n";

static const char usage_report[] =
	"usage: swanlog report [OPTIONS] FILE...\n"
	"\n"
	"Read archived logs as replay does (the same rules and state, the logs' own times) and write\n"
	"what happened to each tunnel (conn, peer): when its IKE_SA and CHILD_SAs were up, markers for\n"
	"establishments, rekeys, downs and failures with their reasons, retransmits and kernel errors;\n"
	"a summary table, worst tunnel first (time up, downs and failures by reason, rekeys, longest\n"
	"outage, mean time to recover, first and last error, bytes); daemon starts, events per hour,\n"
	"top failure reasons and the peers that failed to authenticate most. The counts it shows are\n"
	"replay's final values for the same input.\n"
	"The HTML page is one file that needs no network: inline CSS and SVG, no script.\n"
	"\n"
	"options:\n"
	"  -r, --rules PATH        rules file or directory (default " SWL_RULES_DIR ")\n"
	"  -o, --output FILE       write to FILE (default: stdout)\n"
	"  -f, --format FMT        html (default) or text\n"
	"      --from TIME         start the window at TIME (YYYY-MM-DD[ HH:MM[:SS]], local time);\n"
	"                          what came before still sets the state, it is not counted\n"
	"      --to TIME           end the window at TIME (default: the last entry)\n"
	"      --top N             tunnels shown one by one, worst first (default 100); the rest are\n"
	"                          summed in one row\n"
	"      --year YEAR         year of the first classic syslog line (default: from the file's mtime)\n"
	"      --timezone TZ       zone of classic syslog times and of the report (default: local)\n"
	"      --max-line BYTES    cut longer lines (default 65536)\n"
	"      --max-series N      series per metric before the overflow series (default 10000)\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: as replay's (0 done, 1 an input could not be read or the output not written,\n"
	"2 bad usage or rules, 3 an input held no line in a form swanlog reads).\n";

/* The serving options and notes follow and omprog share. */
#define SERVE_OPTIONS \
	"      --host-label          add a host label (the host an entry names) to every metric of\n" \
	"                            the rules, for a central collector of many gateways\n" \
	"      --web.config.file FILE  TLS and basic auth for HTTP, in the Prometheus exporter-toolkit\n" \
	"                            web-config.yml format (tls_server_config, basic_auth_users);\n" \
	"                            --web-config is the same\n" \
	"      --web.enable-lifecycle  serve POST /-/reload (reload the rules, answer the result)\n" \
	"      --textfile PATH       also write the metrics to PATH (atomically: temporary file and\n" \
	"                            rename) when they changed, at most every 5 s, and at exit, for\n" \
	"                            node_exporter's textfile collector\n"
#define SERVE_NOTES \
	"HTTP: /metrics (Prometheus text 0.0.4; OpenMetrics when Accept asks for\n" \
	"application/openmetrics-text; gzip when Accept-Encoding allows), /healthz (503 with the\n" \
	"reason while no source can be read; never asks for a password), / (version, source and\n" \
	"links), and POST /-/reload with --web.enable-lifecycle.\n" \
	"SIGHUP or POST /-/reload: reload the rules; on an error the old ones stay and\n" \
	"swanlog_config_last_reload_successful is 0.\n" \
	"Log: stderr, one line a message: <3>..<7> level prefixes when stderr is the journal,\n" \
	"otherwise ts=... level=... msg=\"...\".\n"

/* follow --help, around the sources' options (source_usage) */
static const char usage_follow_head[] =
	"usage: swanlog [follow] [OPTIONS]\n"
	"\n"
	"Follow the local journal (default), a journal directory, journal files or log files, and\n"
	"serve the metrics over HTTP. Position, metric values and context are saved in one state\n"
	"file, so a restart neither loses an entry nor counts one twice.\n"
	"\n";
static const char usage_follow_options[] =
	"options:\n"
	"      --from head|tail      with no saved position: read what is there already (head) or\n"
	"                            only what comes next (tail, default)\n"
	"      --state PATH          state file (default " SWL_DEFAULT_STATE_PATH "); keep it out of\n"
	"                            a followed journal directory\n"
	"      --reset-state         ignore the state file and start over (it is overwritten)\n"
	"      --web.listen-address ADDR:PORT  HTTP address (default " SWL_HTTP_DEFAULT_LISTEN ";\n"
	"                            [::1]:PORT for IPv6, :PORT for every IPv4 address, [::]:PORT for\n"
	"                            every address; port 0: one the kernel picks); --listen is the same\n"
	"  -r, --rules PATH          rules file or directory (default " SWL_RULES_DIR ")\n"
	"      --max-series N        series per metric before the overflow series (default 10000)\n"
	"      --max-line BYTES      cut longer lines (default 65536)\n"
	"      --timezone TZ         zone of classic syslog times in files (default: local)\n"
	SERVE_OPTIONS
	"  -h, --help                this help\n"
	"\n"
	SERVE_NOTES
	"SIGTERM or SIGINT: save the state and exit 0. Exit status: 1 a source, the listener or\n"
	"the state could not be used; 2 bad usage, rules, web config, or a corrupt or foreign\n"
	"state file.\n";

static const char usage_omprog[] =
	"usage: swanlog omprog [OPTIONS]\n"
	"\n"
	"The program of an rsyslog omprog action with confirmMessages=\"on\" (see\n"
	"rsyslog-swanlog.conf). Reads one message a line on stdin, as the template\n"
	"'%timereported:::date-rfc3339% %hostname% %programname%:%msg%' writes it; answers OK\n"
	"once ready, then OK for each message once it is counted and appended to the write-ahead\n"
	"log (STATE.wal), or 'Error: ...' when it cannot be logged (rsyslog sends it again).\n"
	"After a crash the log is applied again on start, so nothing confirmed is lost or counted\n"
	"twice. End of input: save the state and exit 0.\n"
	"\n"
	"options:\n"
	"      --state PATH          state file (default " SWL_DEFAULT_STATE_PATH "); the\n"
	"                            write-ahead log is PATH.wal\n"
	"      --reset-state         ignore the state file and start over (it is overwritten)\n"
	"      --web.listen-address ADDR:PORT  HTTP address (default " SWL_HTTP_DEFAULT_LISTEN ");\n"
	"                            --listen is the same\n"
	"  -r, --rules PATH          rules file or directory (default " SWL_RULES_DIR ")\n"
	"      --max-series N        series per metric before the overflow series (default 10000)\n"
	"      --max-line BYTES      cut longer lines (default 65536)\n"
	SERVE_OPTIONS
	"  -h, --help                this help\n"
	"\n"
	SERVE_NOTES
	"SIGTERM or SIGINT: save the state and exit 0. Exit status: 1 the listener, the state or\n"
	"its log could not be used; 2 bad usage, rules, web config, or a corrupt or foreign state.\n";

static const char usage_check[] =
	"usage: swanlog check [OPTIONS] [RULES...]\n"
	"\n"
	"Load and compile each rules file or directory (default " SWL_RULES_DIR "), then run every\n"
	"rule's examples. Errors and failures are printed as path:line:col: message.\n"
	"\n"
	"options:\n"
	"  -r, --rules PATH        rules file or directory (may be given several times)\n"
	"  -q, --quiet             print failures only\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: 0 when every file loads, holds a rule and every example holds, 1 otherwise,\n2 bad usage.\n";

/* The command whose help is usage, as typed before --help. */
static const char *help_command(const char *usage)
{
	return usage == usage_replay ? "swanlog replay"
	       : usage == usage_report ? "swanlog report"
	       : usage == usage_check ? "swanlog check"
	       : usage == usage_omprog ? "swanlog omprog"
	       : usage == usage_main ? "swanlog"
				    : "swanlog follow";
}

/* A usage error: what is wrong, and where the options are; not the whole help. */
static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), fmt, arg);
	swl_log(LOG_ERR, "%s", msg);
	if (swl_log_form() == SWL_LOG_PLAIN)
		fprintf(stderr, "Try '%s --help' for more information.\n", help_command(usage));
	else
		swl_log(LOG_INFO, "try '%s --help' for more information", help_command(usage));
	return EXIT_USAGE;
}

/* getopt_long returned '?' (opterr is 0: the message is ours): an option it does not know,
 * or one without its argument. */
static int bad_option(const char *usage, const char *shorts, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	/* a missing argument sets optopt to the option's value; an unknown long option to 0 */
	bool known = optopt && (optopt >= 256 || (optopt != ':' && strchr(shorts, optopt)));
	if (!known && optopt && strncmp(arg, "--", 2) != 0) {
		char opt[3] = { '-', (char)optopt, '\0' };
		return usage_error(usage, "unknown option '%s'", opt);
	}
	return usage_error(usage, known ? "option '%s' needs an argument" : "unknown option '%s'", arg);
}

#define USAGE_COLUMN 28 /* where follow --help's option texts start */

/* One source option's lines in follow --help. */
static void usage_option(struct swl_buf *b, const struct swl_source_option *so)
{
	size_t at = b->len;
	swl_buf_printf(b, "      --%s%s%s", so->name, so->arg ? " " : "", so->arg ? so->arg : "");
	size_t w = b->len - at;
	swl_buf_printf(b, "%*s", w + 2 > USAGE_COLUMN ? 2 : (int)(USAGE_COLUMN - w), "");
	for (const char *h = so->help;;) {
		const char *nl = strchr(h, '\n');
		swl_buf_add(b, h, nl ? (size_t)(nl - h) : strlen(h));
		swl_buf_addc(b, '\n');
		if (!nl)
			break;
		h = nl + 1;
		swl_buf_printf(b, "%*s", USAGE_COLUMN, "");
	}
}

/* follow --help: the options that choose a source, then each source's other options under
 * its heading. Built once. */
static const char *usage_follow(void)
{
	static char *text;
	if (text)
		return text;
	struct swl_buf b;
	swl_buf_init(&b, 0);
	swl_buf_printf(&b, "%ssource (one kind):\n", usage_follow_head);
	for (size_t i = 0; swl_source_types[i]; i++)
		for (const struct swl_source_option *so = swl_source_types[i]->options; so && so->name; so++)
			if (so->selects)
				usage_option(&b, so);
	for (size_t i = 0; swl_source_types[i]; i++) {
		bool heading = false;
		for (const struct swl_source_option *so = swl_source_types[i]->options; so && so->name; so++) {
			if (so->selects)
				continue;
			if (!heading)
				swl_buf_printf(&b, "%s:\n", swl_source_types[i]->options_heading);
			heading = true;
			usage_option(&b, so);
		}
	}
	swl_buf_printf(&b, "%s", usage_follow_options);
	return text = swl_buf_steal(&b, NULL);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int set_timezone(const char *tz)
{
	/* glibc takes an unknown zone name for UTC without a word, so a typo would shift every
	 * time: a name must be a file of the zone database (POSIX TZ strings have digits). */
	if (!*tz)
		return -EINVAL;
	if (tz[0] != ':' && !strpbrk(tz, "0123456789")) {
		const char *dir = getenv("TZDIR");
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
		if (strstr(tz, "..") || access(path, R_OK) < 0)
			return -ENOENT;
	}
	if (setenv("TZ", tz, 1) < 0)
		return -errno;
	tzset();
	return 0;
}

/* The options replay and follow share, checked in one place. Returns 0, or EXIT_USAGE after
 * saying why. */
static int max_line_option(const char *usage, const char *arg, long *out)
{
	if (!parse_long(arg, 256, 64L << 20, out))
		return usage_error(usage, "--max-line wants 256 to 67108864 bytes, not '%s'", arg);
	return 0;
}

static int max_series_option(const char *usage, const char *arg, long *out)
{
	if (!parse_long(arg, 1, 100000000L, out))
		return usage_error(usage, "--max-series wants 1 to 100000000, not '%s'", arg);
	return 0;
}

static int timezone_option(const char *usage, const char *arg)
{
	if (set_timezone(arg) < 0)
		return usage_error(usage, "cannot set timezone '%s'", arg);
	return 0;
}

static struct swl_context *context_for(const struct swl_ruleset *rs)
{
	size_t entries = swl_rules_context_entries(rs);
	int64_t age = swl_rules_context_age_us(rs);
	return swl_context_create(entries ? entries : DEFAULT_CONTEXT_ENTRIES,
				  age ? age : (int64_t)DEFAULT_CONTEXT_AGE_S * 1000000);
}

/* ---- replay ---- */

/* How replay and report read logs: --year, --timezone, --max-line, --max-series (getopt
 * codes y, z, L, S). Returns 0, or EXIT_USAGE after saying why. */
struct input_opts {
	long year, max_line, max_series;
};
#define INPUT_OPTS_DEFAULT { .max_line = SWL_DEFAULT_MAX_LINE, .max_series = SWL_DEFAULT_MAX_SERIES }

static int input_option(int c, const char *usage, struct input_opts *in)
{
	switch (c) {
	case 'y':
		if (!parse_long(optarg, 1970, 9999, &in->year))
			return usage_error(usage, "--year wants a year from 1970 to 9999, not '%s'", optarg);
		return 0;
	case 'z':
		return timezone_option(usage, optarg) ? EXIT_USAGE : 0;
	case 'L':
		return max_line_option(usage, optarg, &in->max_line) ? EXIT_USAGE : 0;
	default:
		return max_series_option(usage, optarg, &in->max_series) ? EXIT_USAGE : 0;
	}
}

/* What replay leaves allocated when it returns, as the process ends. Handing every remembered
 * SA, live key and series back to malloc one by one (random addresses: a cache miss each)
 * would cost a tenth of a large replay; the kernel takes the heap back at once. Held here, it
 * stays reachable, so leak checkers (LeakSanitizer, valgrind) see memory in use, not lost. */
static void *volatile replay_heap[3];

/* What replay and report read logs with: the registry, the rules, their context and a
 * pipeline, kept to the end of the process (offline_end). */
struct offline {
	struct swl_registry *reg;
	struct swl_ruleset *rs;
	struct swl_context *ctx;
	struct swl_pipeline pipe;
};

/* Returns 0, or EXIT_USAGE after saying why the rules do not load. */
static int offline_start(struct offline *o, const char *rules_path, const struct input_opts *in, bool history)
{
	o->reg = swl_registry_create((size_t)in->max_series);
	o->reg->record_history = history;
	struct swl_err err;
	if (swl_rules_load(rules_path, o->reg, &o->rs, &err) < 0) {
		fprintf(stderr, "swanlog: %s\n", err.msg);
		swl_registry_destroy(o->reg);
		return EXIT_USAGE;
	}
	o->ctx = context_for(o->rs);
	swl_pipeline_init(&o->pipe, o->reg, o->rs, o->ctx);
	return 0;
}

/* The FILE arguments after the options, and how to read them. */
static void offline_inputs(struct swl_replay_opts *ro, int argc, char **argv, const struct input_opts *in)
{
	ro->paths = (const char *const *)argv + optind;
	ro->npaths = (size_t)(argc - optind);
	ro->year = (int)in->year;
	ro->max_line = (size_t)in->max_line;
}

/* The process ends next: see replay_heap. */
static void offline_end(struct offline *o)
{
	swl_pipeline_fini(&o->pipe);
	replay_heap[0] = o->ctx;
	replay_heap[1] = o->rs;
	replay_heap[2] = o->reg;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },   { "format", required_argument, NULL, 'f' },
		{ "step", required_argument, NULL, 's' },    { "year", required_argument, NULL, 'y' },
		{ "timezone", required_argument, NULL, 'z' }, { "max-line", required_argument, NULL, 'L' },
		{ "max-series", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ "label", required_argument, NULL, 'l' },   { "self-metrics", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct swl_replay_opts ro = { .progress = isatty(STDERR_FILENO) };
	const char *why;
	const char *rules_path = SWL_RULES_DIR;
	enum swl_format fmt = SWL_FORMAT_PROMETHEUS;
	struct input_opts in = INPUT_OPTS_DEFAULT;
	long step = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+r:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rules_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "prometheus") == 0)
				fmt = SWL_FORMAT_PROMETHEUS;
			else if (strcmp(optarg, "openmetrics") == 0)
				fmt = SWL_FORMAT_OPENMETRICS;
			else
				return usage_error(usage_replay, "unknown format '%s'", optarg);
			break;
		case 's':
			if (!parse_long(optarg, 1, 365L * 86400, &step))
				return usage_error(usage_replay, "--step wants seconds from 1 to a year, not '%s'", optarg);
			break;
		case 'y':
		case 'z':
		case 'L':
		case 'S':
			if (input_option(c, usage_replay, &in))
				return EXIT_USAGE;
			break;
		case 'l':
			if ((why = swl_replay_label(&ro, optarg)))
				return usage_error(usage_replay, "%s", why);
			break;
		case 'm':
			ro.self_metrics = true;
			break;
		case 'h':
			fputs(usage_replay, stdout);
			return 0;
		default:
			return bad_option(usage_replay, "r:f:h", argv);
		}
	}
	if (optind >= argc)
		return usage_error(usage_replay, "%s", "replay needs at least one FILE (- for stdin)");
	if (step && fmt != SWL_FORMAT_OPENMETRICS)
		return usage_error(usage_replay, "%s", "--step goes with --format openmetrics");

	struct offline off;
	if (offline_start(&off, rules_path, &in, step != 0))
		return EXIT_USAGE;
	offline_inputs(&ro, argc, argv, &in);
	ro.format = fmt;
	ro.step_us = (int64_t)step * 1000000;
	int status = swl_replay_run(&ro, &off.pipe, stdout);
	offline_end(&off);
	return status;
}

/* ---- report ---- */

static int cmd_report(int argc, char **argv)
{
	enum { O_FROM = 256, O_TO, O_TOP };
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },   { "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },  { "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },     { "top", required_argument, NULL, O_TOP },
		{ "year", required_argument, NULL, 'y' },   { "timezone", required_argument, NULL, 'z' },
		{ "max-line", required_argument, NULL, 'L' }, { "max-series", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	struct swl_replay_opts ro = { .progress = isatty(STDERR_FILENO) };
	struct swl_report_opts rep = { .top = SWL_REPORT_DEFAULT_TOP };
	const char *rules_path = SWL_RULES_DIR, *output = NULL, *from = NULL, *to = NULL;
	bool text = false;
	struct input_opts in = INPUT_OPTS_DEFAULT;
	long top = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+r:o:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rules_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "html") && strcmp(optarg, "text"))
				return usage_error(usage_report, "unknown format '%s' (html or text)", optarg);
			text = strcmp(optarg, "text") == 0;
			break;
		case O_FROM:
			from = optarg;
			break;
		case O_TO:
			to = optarg;
			break;
		case O_TOP:
			if (!parse_long(optarg, 1, 100000, &top))
				return usage_error(usage_report, "--top wants a number from 1 to 100000, not '%s'", optarg);
			rep.top = (size_t)top;
			break;
		case 'y':
		case 'z':
		case 'L':
		case 'S':
			if (input_option(c, usage_report, &in))
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(usage_report, stdout);
			return 0;
		default:
			return bad_option(usage_report, "r:o:f:h", argv);
		}
	}
	if (optind >= argc)
		return usage_error(usage_report, "%s", "report needs at least one FILE (- for stdin)");
	/* after the options: --timezone may come after --from */
	if (from && swl_report_parse_time(from, &rep.from_us) < 0)
		return usage_error(usage_report, "--from wants YYYY-MM-DD[ HH:MM[:SS]], not '%s'", from);
	if (to && swl_report_parse_time(to, &rep.to_us) < 0)
		return usage_error(usage_report, "--to wants YYYY-MM-DD[ HH:MM[:SS]], not '%s'", to);
	if (rep.from_us && rep.to_us && rep.to_us <= rep.from_us)
		return usage_error(usage_report, "%s", "--to must be after --from");

	struct offline off;
	if (offline_start(&off, rules_path, &in, false))
		return EXIT_USAGE;
	FILE *out = stdout;
	if (output && !(out = fopen(output, "w"))) {
		fprintf(stderr, "swanlog: %s: %s\n", output, strerror(errno));
		offline_end(&off);
		return 1;
	}
	offline_inputs(&ro, argc, argv, &in);
	rep.paths = ro.paths;
	rep.npaths = ro.npaths;
	struct swl_report *report = swl_report_create(off.reg, &rep);
	int status = swl_replay_read(&ro, &off.pipe);
	swl_report_finish(report);
	int w = text ? swl_report_write_text(report, out) : swl_report_write_html(report, out);
	if (out != stdout && fclose(out) && !w)
		w = -errno;
	if (w < 0) {
		fprintf(stderr, "swanlog: writing the report: %s\n", strerror(-w));
		status = 1;
	}
	swl_report_destroy(report);
	offline_end(&off);
	return status;
}

/* ---- follow ---- */

/* The options of every source, as getopt_long's (val O_SOURCE + their index) and their own. */
#define MAX_SOURCE_OPTIONS 32
struct source_options {
	struct option getopt[MAX_SOURCE_OPTIONS];
	const struct swl_source_option *option[MAX_SOURCE_OPTIONS];
	const struct swl_source_type *type[MAX_SOURCE_OPTIONS];
	size_t n;
	char one_kind[256]; /* the usage error when two kinds of source are named */
};

static void source_options(struct source_options *so, int first_val)
{
	so->n = 0;
	struct swl_buf kinds;
	swl_buf_init(&kinds, sizeof(so->one_kind) - 1);
	size_t nkinds = 0;
	for (size_t i = 0; swl_source_types[i]; i++) {
		for (const struct swl_source_option *o = swl_source_types[i]->options; o && o->name; o++) {
			if (so->n == MAX_SOURCE_OPTIONS)
				abort(); /* the tables are ours: raise the limit */
			so->getopt[so->n] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
							     first_val + (int)so->n };
			so->option[so->n] = o;
			so->type[so->n] = swl_source_types[i];
			so->n++;
			if (o->selects)
				nkinds++;
		}
	}
	swl_buf_printf(&kinds, "one kind of source: ");
	for (size_t i = 0, k = 0; i < so->n; i++) {
		if (!so->option[i]->selects)
			continue;
		k++;
		swl_buf_printf(&kinds, "%s--%s", k == 1 ? "" : k == nkinds ? " or " : ", ", so->option[i]->name);
	}
	snprintf(so->one_kind, sizeof(so->one_kind), "%s", kinds.p);
	swl_buf_fini(&kinds);
}

/* follow, and omprog (omprog: stdin is the source; the source options are refused). */
static int cmd_follow(int argc, char **argv, bool omprog)
{
	enum { O_FROM = 256, O_STATE, O_RESET, O_LISTEN, O_MAXSERIES, O_MAXLINE, O_TZ, O_WEBCONFIG, O_LIFECYCLE,
	       O_TEXTFILE, O_HOSTLABEL, O_SOURCE };
	const char *usage = omprog ? usage_omprog : usage_follow();
	static const struct option common[] = {
		{ "from", required_argument, NULL, O_FROM },
		{ "state", required_argument, NULL, O_STATE },
		{ "reset-state", no_argument, NULL, O_RESET },
		{ "web.listen-address", required_argument, NULL, O_LISTEN },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "rules", required_argument, NULL, 'r' },
		{ "max-series", required_argument, NULL, O_MAXSERIES },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		{ "timezone", required_argument, NULL, O_TZ },
		{ "web.config.file", required_argument, NULL, O_WEBCONFIG },
		{ "web-config", required_argument, NULL, O_WEBCONFIG },
		{ "web.enable-lifecycle", no_argument, NULL, O_LIFECYCLE },
		{ "textfile", required_argument, NULL, O_TEXTFILE },
		{ "host-label", no_argument, NULL, O_HOSTLABEL },
		{ "help", no_argument, NULL, 'h' },
	};
	/* the sources' options first: getopt_long names ambiguous abbreviations in this order */
	struct source_options so;
	source_options(&so, O_SOURCE);
	struct option opts[MAX_SOURCE_OPTIONS + sizeof(common) / sizeof(common[0]) + 1];
	memcpy(opts, so.getopt, so.n * sizeof(opts[0]));
	memcpy(opts + so.n, common, sizeof(common));
	opts[so.n + sizeof(common) / sizeof(common[0])] = (struct option){ NULL, 0, NULL, 0 };

	struct swl_source_conf conf = { 0 };
	const struct swl_source_type *chosen = NULL;
	const char *rules_path = SWL_RULES_DIR;
	long max_series = SWL_DEFAULT_MAX_SERIES, max_line = SWL_DEFAULT_MAX_LINE;
	struct swl_follow_opts fo = { .state_path = SWL_DEFAULT_STATE_PATH, .listen = SWL_HTTP_DEFAULT_LISTEN };
	const char *web_config = NULL;
	bool host_label = false;
	int c;
	while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		if (omprog && (c >= O_SOURCE || c == O_FROM || c == O_TZ))
			return usage_error(usage, "%s", "omprog reads stdin: no source options");
		switch (c) {
		case O_WEBCONFIG:
			web_config = optarg;
			break;
		case O_LIFECYCLE:
			fo.lifecycle = true;
			break;
		case O_TEXTFILE:
			if (!*optarg)
				return usage_error(usage, "%s", "--textfile wants a path");
			fo.textfile = optarg;
			break;
		case O_HOSTLABEL:
			host_label = true;
			break;
		case O_FROM:
			if (strcmp(optarg, "head") != 0 && strcmp(optarg, "tail") != 0)
				return usage_error(usage, "--from wants head or tail, not '%s'", optarg);
			conf.from_head = strcmp(optarg, "head") == 0;
			break;
		case O_STATE:
			if (!*optarg)
				return usage_error(usage, "%s", "--state wants a path");
			fo.state_path = optarg;
			break;
		case O_RESET:
			fo.reset_state = true;
			break;
		case O_LISTEN: {
			struct swl_err e;
			if (swl_http_check_listen(optarg, &e) < 0)
				return usage_error(usage, "%s", e.msg);
			fo.listen = optarg;
			break;
		}
		case 'r':
			rules_path = optarg;
			break;
		case O_MAXSERIES:
			if (max_series_option(usage, optarg, &max_series))
				return EXIT_USAGE;
			break;
		case O_MAXLINE:
			if (max_line_option(usage, optarg, &max_line))
				return EXIT_USAGE;
			break;
		case O_TZ:
			if (timezone_option(usage, optarg))
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default: {
			if (c < O_SOURCE)
				return bad_option(usage, "r:h", argv);
			/* a source's option: its own to take; one that chooses a source, only one kind */
			size_t i = (size_t)(c - O_SOURCE);
			const struct swl_source_option *o = so.option[i];
			const char *why = o->set ? o->set(&conf, optarg) : NULL;
			if (why)
				return usage_error(usage, "%s", why);
			if (o->selects) {
				if (chosen && (chosen != so.type[i] || conf.variant != o->selects))
					return usage_error(usage, "%s", so.one_kind);
				chosen = so.type[i];
				conf.variant = o->selects;
			}
		}
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	/* the journal is follow's default source */
	fo.source = omprog ? swl_source_find("omprog") : chosen ? chosen : swl_source_find("journal");
	conf.max_line = (size_t)max_line;
	fo.conf = &conf;
	fo.rules_path = rules_path;
	char version[128];
	snprintf(version, sizeof(version), "%s (revision %s)", build.version, build.revision);
	fo.version = version;

	swl_log_init(true); /* a daemon from here on */
	struct swl_err err;
	if (!swl_weblib_get(&err)) { /* serving needs them: fail before any state is touched */
		swl_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	struct swl_webconfig *wc = NULL;
	if (web_config && swl_webconfig_load(web_config, &wc, &err) < 0) {
		swl_log(LOG_ERR, "%s", err.msg);
		return EXIT_USAGE;
	}
	fo.web = wc;
	struct swl_registry *reg = swl_registry_create((size_t)max_series);
	reg->host_label = host_label; /* before the rules declare their families */
	struct swl_ruleset *rs;
	if (swl_rules_load(rules_path, reg, &rs, &err) < 0) {
		swl_log(LOG_ERR, "%s", err.msg);
		swl_registry_destroy(reg);
		swl_webconfig_destroy(wc);
		return EXIT_USAGE;
	}
	swl_build_info_declare(reg, &build);
	struct swl_context *ctx = context_for(rs);
	struct swl_pipeline pipe;
	swl_pipeline_init(&pipe, reg, rs, ctx);
	int r = swl_follow_run(&fo, &pipe, &err);
	if (r < 0)
		swl_log(LOG_ERR, "%s", err.msg);
	swl_pipeline_fini(&pipe);
	swl_context_destroy(ctx);
	swl_rules_destroy(pipe.rules); /* a reload may have replaced rs */
	swl_registry_destroy(reg);
	swl_webconfig_destroy(wc); /* after the HTTP server that used it is gone */
	return r == 0 ? 0 : r == -EBADMSG ? EXIT_USAGE : 1;
}

/* ---- check ---- */

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *paths[64];
	size_t npaths = 0;
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (npaths == 64)
				return usage_error(usage_check, "%s", "at most 64 rules paths");
			paths[npaths++] = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage_check, stdout);
			return 0;
		default:
			return bad_option(usage_check, "r:qh", argv);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (npaths == 64)
			return usage_error(usage_check, "%s", "at most 64 rules paths");
		paths[npaths++] = argv[i];
	}
	if (!npaths)
		paths[npaths++] = SWL_RULES_DIR;
	return swl_check_run(paths, npaths, quiet, stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	opterr = 0; /* getopt's complaints are said by bad_option */
	swl_log_init(false);
	/* follow is the default: no command, or options only */
	if (argc < 2)
		return cmd_follow(argc, argv, false);
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		swl_build_print(&build, stdout);
		return 0;
	}
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "follow") == 0)
		return cmd_follow(argc - 1, argv + 1, false);
	if (strcmp(cmd, "omprog") == 0)
		return cmd_follow(argc - 1, argv + 1, true);
	if (cmd[0] == '-')
		return cmd_follow(argc, argv, false);
	return usage_error(usage_main, "unknown command '%s'", cmd);
}
