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

#include "context.h"
#include "expo.h"
#include "pipeline.h"
#include "registry.h"
#include "rules.h"
#include "source.h"

#define EXIT_USAGE 2
#define DEFAULT_CONTEXT_ENTRIES 100000
#define DEFAULT_CONTEXT_AGE_S (7 * 86400)

static const char usage_main[] =
	"usage: swanlog COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Turn strongSwan (charon) and kernel IPsec logs into Prometheus metrics.\n"
	"\n"
	"commands:\n"
	"  replay FILE...      read archived logs (plain, .gz, .journal, - for stdin) in order,\n"
	"                      print the final metrics to stdout and exit\n"
	"  check [RULES...]    load and compile rules, run every rule's examples\n"
	"\n"
	"Run 'swanlog COMMAND --help' for a command's options. 'swanlog --version' prints the version.\n";

static const char usage_replay[] =
	"usage: swanlog replay [OPTIONS] FILE...\n"
	"\n"
	"Read archived logs in the order given and print the final metric values to stdout.\n"
	"FILE is a syslog or charon log (plain or gzip), a journal file (*.journal), or - for stdin.\n"
	"Times come from the logs; the wall clock is never used.\n"
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
	"  -h, --help              this help\n"
	"\n"
	"Diagnostics go to stderr. Exit status: 0 done, 1 an input could not be read, 2 bad usage or rules.\n";

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
	"Exit status: 0 when every file loads and every example holds, 1 otherwise, 2 bad usage.\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "swanlog: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return EXIT_USAGE;
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
	if (setenv("TZ", tz, 1) < 0)
		return -errno;
	tzset();
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

struct replay {
	struct swl_pipeline pipe;
	int64_t step_us, next_step_us;
};

/* Before an entry at t: record every series at each step boundary passed. */
static void replay_step(struct replay *rp, int64_t t)
{
	if (!rp->step_us || !t)
		return;
	if (!rp->next_step_us)
		rp->next_step_us = (t / rp->step_us + 1) * rp->step_us;
	while (t >= rp->next_step_us) {
		swl_registry_record(rp->pipe.reg, rp->next_step_us);
		rp->next_step_us += rp->step_us;
	}
}

static int replay_journal(struct replay *rp, const char *path)
{
	struct swl_journal *j;
	const char *paths[] = { path };
	int r = swl_journal_open(SWL_JOURNAL_FILES, paths, 1, NULL, 0, false, &j);
	if (r < 0)
		return r;
	struct swl_event ev;
	while ((r = swl_journal_next(j, &ev)) > 0) {
		replay_step(rp, ev.time_us);
		swl_pipeline_event(&rp->pipe, &ev);
	}
	swl_journal_close(j);
	return r;
}

static int replay_lines(struct replay *rp, const char *path, int year, size_t max_line)
{
	struct swl_lines *l;
	int r = swl_lines_open(path, max_line, &l);
	if (r < 0)
		return r;
	swl_parser_init(&rp->pipe.parser, year, swl_lines_mtime(l));
	const char *line;
	size_t len;
	bool oversized;
	while ((r = swl_lines_next(l, &line, &len, &oversized)) > 0) {
		if (rp->step_us) {
			/* Step boundaries need the entry's time before it is applied. */
			struct swl_parser peek = rp->pipe.parser;
			struct swl_event ev;
			swl_parse_line(&peek, line, len, &ev);
			replay_step(rp, ev.time_us);
		}
		swl_pipeline_line(&rp->pipe, line, len, oversized);
	}
	swl_lines_close(l);
	return r;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },   { "format", required_argument, NULL, 'f' },
		{ "step", required_argument, NULL, 's' },    { "year", required_argument, NULL, 'y' },
		{ "timezone", required_argument, NULL, 'z' }, { "max-line", required_argument, NULL, 'L' },
		{ "max-series", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_path = SWL_RULES_DIR;
	enum swl_format fmt = SWL_FORMAT_PROMETHEUS;
	long step = 0, year = 0, max_line = SWL_DEFAULT_MAX_LINE, max_series = SWL_DEFAULT_MAX_SERIES;
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
			if (!parse_long(optarg, 1970, 9999, &year))
				return usage_error(usage_replay, "--year wants a year from 1970 to 9999, not '%s'", optarg);
			break;
		case 'z':
			if (set_timezone(optarg) < 0)
				return usage_error(usage_replay, "cannot set timezone '%s'", optarg);
			break;
		case 'L':
			if (!parse_long(optarg, 256, 64L << 20, &max_line))
				return usage_error(usage_replay, "--max-line wants 256 to 67108864 bytes, not '%s'", optarg);
			break;
		case 'S':
			if (!parse_long(optarg, 1, 100000000L, &max_series))
				return usage_error(usage_replay, "--max-series wants 1 to 100000000, not '%s'", optarg);
			break;
		case 'h':
			fputs(usage_replay, stdout);
			return 0;
		default:
			fputs(usage_replay, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error(usage_replay, "%s", "replay needs at least one FILE (- for stdin)");
	if (step && fmt != SWL_FORMAT_OPENMETRICS)
		return usage_error(usage_replay, "%s", "--step goes with --format openmetrics");

	struct swl_registry *reg = swl_registry_create((size_t)max_series);
	reg->record_history = step != 0;
	struct swl_ruleset *rs;
	struct swl_err err;
	if (swl_rules_load(rules_path, reg, &rs, &err) < 0) {
		fprintf(stderr, "swanlog: %s\n", err.msg);
		swl_registry_destroy(reg);
		return EXIT_USAGE;
	}
	struct swl_context *ctx = context_for(rs);
	struct replay rp = { .step_us = (int64_t)step * 1000000 };
	swl_pipeline_init(&rp.pipe, reg, rs, ctx);

	int status = 0;
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		int r = swl_is_journal_path(path) ? replay_journal(&rp, path)
						  : replay_lines(&rp, path, (int)year, (size_t)max_line);
		if (r < 0) {
			fprintf(stderr, "swanlog: %s: %s\n", path, strerror(-r));
			status = 1;
		}
	}

	struct swl_buf out;
	swl_buf_init(&out, 0);
	unsigned flags = fmt == SWL_FORMAT_OPENMETRICS ? SWL_EXPO_TIMESTAMPS | (step ? SWL_EXPO_HISTORY : 0) : 0;
	swl_expo_render(reg, fmt, flags, &out);
	if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		fprintf(stderr, "swanlog: writing the metrics: %s\n", strerror(errno));
		status = 1;
	}
	swl_buf_fini(&out);
	swl_context_destroy(ctx);
	swl_rules_destroy(rs);
	swl_registry_destroy(reg);
	return status;
}

/* ---- check ---- */

static int check_one(const char *path, bool quiet)
{
	struct swl_registry *reg = swl_registry_create(SWL_DEFAULT_MAX_SERIES);
	struct swl_ruleset *rs;
	struct swl_err err;
	int failures;
	if (swl_rules_load(path, reg, &rs, &err) < 0) {
		printf("%s\n", err.msg);
		failures = 1;
	} else {
		size_t n;
		failures = swl_rules_run_examples(rs, stdout, &n);
		if (!quiet)
			printf("%s: %zu rules, %zu examples, %d failed\n", path, swl_rules_count(rs), n, failures);
		swl_rules_destroy(rs);
	}
	swl_registry_destroy(reg);
	return failures;
}

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
			fputs(usage_check, stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (npaths == 64)
			return usage_error(usage_check, "%s", "at most 64 rules paths");
		paths[npaths++] = argv[i];
	}
	if (!npaths)
		paths[npaths++] = SWL_RULES_DIR;
	int failures = 0;
	for (size_t i = 0; i < npaths; i++)
		failures += check_one(paths[i], quiet);
	fflush(stdout);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("swanlog %s\n", SWL_VERSION);
		return 0;
	}
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "swanlog: unknown command '%s'\n%s", cmd, usage_main);
	return EXIT_USAGE;
}
