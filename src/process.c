/* process.c - the build and the process, as metrics and as --version (see process.h). */
#include "process.h"

#include <dirent.h>
#include <errno.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <yaml.h>
#include <zlib.h>

#define SWL_STRINGIFY_(x) #x
#define SWL_STRINGIFY(x) SWL_STRINGIFY_(x)

#if defined(__clang__)
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " SWL_STRINGIFY(__GNUC__) "." SWL_STRINGIFY(__GNUC_MINOR__) "." SWL_STRINGIFY(__GNUC_PATCHLEVEL__)
#else
#define COMPILER "unknown"
#endif

/* ---- the build ---- */

/* The versions of the libraries in use (loaded, not those built against), as "10.42" */
static const char *pcre2_version(void)
{
	static char v[64];
	if (!v[0] && pcre2_config(PCRE2_CONFIG_VERSION, v) < 0)
		snprintf(v, sizeof(v), "unknown");
	v[strcspn(v, " ")] = '\0'; /* "10.42 2022-12-11": the date is not needed */
	return v;
}

void swl_build_info_declare(struct swl_registry *reg, const struct swl_build *b)
{
	static const char *const labels[] = { "version", "revision", "compiler", "libpcre2", "libyaml", "zlib" };
	struct swl_family *f = swl_registry_family(
		reg, "swanlog_build_info", SWL_GAUGE,
		"A metric with a constant '1' value labeled by version, revision and compiler from which swanlog "
		"was built, and the versions of the libraries it runs with.",
		labels, 6, NULL, 0, 0);
	f->transient = true;
	const struct swl_str values[] = { swl_str_c(b->version), swl_str_c(b->revision), swl_str_c(COMPILER),
					  swl_str_c(pcre2_version()), swl_str_c(yaml_get_version_string()),
					  swl_str_c(zlibVersion()) };
	swl_series_set(swl_family_series(f, values), 1, 0);
}

void swl_build_print(const struct swl_build *b, FILE *out)
{
	fprintf(out,
		"swanlog %s\n"
		"  revision:   %s\n"
		"  build date: %s\n"
		"  compiler:   %s\n"
		"  libraries:  libpcre2 %s, libyaml %s, zlib %s\n",
		b->version, b->revision, b->date, COMPILER, pcre2_version(), yaml_get_version_string(), zlibVersion());
}

/* ---- the process ---- */

enum { CPU, RSS, VSIZE, OPEN_FDS, MAX_FDS, START, NMETRICS };

static const struct {
	const char *name, *help; /* as client_golang's process collector has them */
	enum swl_metric_type type;
} metrics[NMETRICS] = {
	[CPU] = { "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", SWL_COUNTER },
	[RSS] = { "process_resident_memory_bytes", "Resident memory size in bytes.", SWL_GAUGE },
	[VSIZE] = { "process_virtual_memory_bytes", "Virtual memory size in bytes.", SWL_GAUGE },
	[OPEN_FDS] = { "process_open_fds", "Number of open file descriptors.", SWL_GAUGE },
	[MAX_FDS] = { "process_max_fds", "Maximum number of open file descriptors.", SWL_GAUGE },
	[START] = { "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", SWL_GAUGE },
};

struct swl_process_metrics {
	struct swl_registry *reg;
	struct swl_family *family[NMETRICS];
	struct swl_series *series[NMETRICS]; /* created at the first reading */
	double ticks;                        /* clock ticks a second (utime, stime, starttime) */
	double page;
};

struct swl_process_metrics *swl_process_metrics_create(void)
{
	struct swl_process_metrics *pm = swl_xcalloc(1, sizeof(*pm));
	pm->reg = swl_registry_create(8);
	/* one unlabelled series a family, never capped: the drop counter is the main registry's */
	pm->reg->dropped->retired = true;
	for (int i = 0; i < NMETRICS; i++)
		pm->family[i] = swl_registry_family(pm->reg, metrics[i].name, metrics[i].type, metrics[i].help, NULL, 0,
						    NULL, 0, 0);
	long t = sysconf(_SC_CLK_TCK), p = sysconf(_SC_PAGESIZE);
	pm->ticks = t > 0 ? (double)t : 100;
	pm->page = p > 0 ? (double)p : 4096;
	return pm;
}

void swl_process_metrics_destroy(struct swl_process_metrics *pm)
{
	if (!pm)
		return;
	swl_registry_destroy(pm->reg);
	free(pm);
}

static void set(struct swl_process_metrics *pm, int i, double v)
{
	if (!pm->series[i])
		pm->series[i] = swl_family_series(pm->family[i], NULL);
	swl_series_set(pm->series[i], v, 0);
}

/* A small /proc file into buf (NUL-terminated); false when it cannot be read. */
static bool read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0;
}

/* The boot time (/proc/stat's btime), in seconds since the epoch, or 0. */
static double boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	char line[256];
	double bt = 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "btime ", 6) == 0) {
			bt = strtod(line + 6, NULL);
			break;
		}
	fclose(f);
	return bt;
}

/* /proc/self/stat (proc(5)): the fields after the command name, which may hold spaces and
 * parentheses, so they are counted from the last ')'. */
static void read_stat(struct swl_process_metrics *pm)
{
	char buf[1024];
	if (!read_small("/proc/self/stat", buf, sizeof(buf)))
		return;
	char *p = strrchr(buf, ')');
	if (!p)
		return;
	/* field 3 (state) is the first after ')': utime is 14, stime 15, starttime 22, vsize 23, rss 24 */
	unsigned long long v[25] = { 0 };
	int field = 3;
	char *save;
	for (char *tok = strtok_r(p + 1, " \n", &save); tok && field <= 24; tok = strtok_r(NULL, " \n", &save), field++)
		if (field >= 14)
			v[field] = strtoull(tok, NULL, 10);
	if (field <= 24)
		return; /* cut short: not what proc(5) says */
	set(pm, CPU, (double)(v[14] + v[15]) / pm->ticks);
	set(pm, VSIZE, (double)v[23]);
	set(pm, RSS, (double)v[24] * pm->page);
	if (!pm->series[START]) {
		double bt = boot_time();
		if (bt > 0)
			set(pm, START, bt + (double)v[22] / pm->ticks);
	}
}

static void read_fds(struct swl_process_metrics *pm)
{
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		int self = dirfd(d);
		double n = 0;
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && atoi(de->d_name) != self)
				n++;
		closedir(d);
		set(pm, OPEN_FDS, n);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		set(pm, MAX_FDS, rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : (double)rl.rlim_cur);
}

int swl_process_metrics_render(struct swl_process_metrics *pm, enum swl_format fmt, struct swl_buf *out)
{
	read_stat(pm);
	read_fds(pm);
	return swl_expo_render(pm->reg, fmt, 0, out);
}
