/* fuzz_pipeline.c - libFuzzer target: fuzzed log lines through the shipped rules (rules/)
 * and a ruleset that captures arbitrary text into labels (tests/hostile/capture.yaml), then
 * rendered in both formats.
 *
 * Asserts that whatever the lines carry, the exposition has exactly one sample line per
 * series (per bucket, sum and count for histograms), every sample line is well-formed with
 * exactly its family's labels, and the output is valid UTF-8: captured text can add no line,
 * label or series. Registry, rulesets and context are made afresh for each input, so every
 * finding reproduces from its input alone. */
#include <dirent.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "expo.h"
#include "pipeline.h"
#include "rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SERIES 64 /* a small cap, so the overflow series is reached */

/* The rules are copied once into a private directory: the run uses one fixed ruleset even
 * when the tree's files are edited meanwhile. */
static char shipped_dir[256];
static char capture_dir[300];

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	if (!in || !out)
		abort();
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			abort();
	fclose(in);
	if (fclose(out) != 0)
		abort();
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[512];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void cleanup(void)
{
	remove_dir(capture_dir);
	remove_dir(shipped_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	const char *tmp = getenv("TMPDIR");
	snprintf(shipped_dir, sizeof(shipped_dir), "%s/swl-fuzz-rules-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(shipped_dir))
		abort();
	snprintf(capture_dir, sizeof(capture_dir), "%s/capture", shipped_dir);
	atexit(cleanup);
	DIR *d = opendir(SWL_SOURCE_DIR "/rules");
	if (!d)
		abort();
	struct dirent *e;
	char from[512], to[600];
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || !((n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0) ||
					     (n > 4 && strcmp(e->d_name + n - 4, ".yml") == 0)))
			continue;
		snprintf(from, sizeof(from), "%s/rules/%s", SWL_SOURCE_DIR, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", shipped_dir, e->d_name);
		copy_file(from, to);
	}
	closedir(d);
	if (mkdir(capture_dir, 0700) < 0)
		abort();
	snprintf(to, sizeof(to), "%s/capture.yaml", capture_dir);
	copy_file(SWL_SOURCE_DIR "/tests/hostile/capture.yaml", to);
	return 0;
}

static struct swl_ruleset *load(const char *path, struct swl_registry *reg)
{
	struct swl_ruleset *rs;
	struct swl_err err;
	if (swl_rules_load(path, reg, &rs, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	return rs;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len;
		unsigned lo = 0x80, hi = 0xBF;
		if (c < 0x80) {
			if (c == 0)
				return false;
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			lo = c == 0xE0 ? 0xA0 : 0x80;
			hi = c == 0xED ? 0x9F : 0xBF;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			lo = c == 0xF0 ? 0x90 : 0x80;
			hi = c == 0xF4 ? 0x8F : 0xBF;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if (s[i + k] < lo || s[i + k] > hi)
				return false;
			lo = 0x80;
			hi = 0xBF;
		}
		i += len;
	}
	return true;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* The family a sample name belongs to: itself, or without a histogram or counter suffix. */
static const struct swl_family *family_of(const struct swl_registry *reg, const char *name, size_t n,
					  bool *bucket)
{
	static const char *const suffixes[] = { "", "_bucket", "_sum", "_count", "_total" };
	char buf[256];
	*bucket = false;
	for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
		size_t sl = strlen(suffixes[k]);
		if (n < sl || n - sl >= sizeof(buf) || memcmp(name + n - sl, suffixes[k], sl) != 0)
			continue;
		memcpy(buf, name, n - sl);
		buf[n - sl] = '\0';
		const struct swl_family *f = swl_registry_find(reg, buf);
		if (f) {
			*bucket = k == 1;
			return f;
		}
	}
	return NULL;
}

/* One sample line: name{l="v",...} value[ ts]. Returns false when malformed. */
static bool check_sample(const struct swl_registry *reg, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && name_char(s[i], i == 0))
		i++;
	if (i == 0)
		return false;
	bool bucket;
	const struct swl_family *f = family_of(reg, s, i, &bucket);
	if (!f)
		return false;
	size_t nlabels = 0;
	if (i < n && s[i] == '{') {
		i++;
		for (;;) {
			size_t start = i;
			while (i < n && name_char(s[i], i == start) && s[i] != ':')
				i++;
			if (i == start || i + 1 >= n || s[i] != '=' || s[i + 1] != '"')
				return false;
			bool is_le = i - start == 2 && memcmp(s + start, "le", 2) == 0;
			if (!is_le && (nlabels >= f->nlabels || strlen(f->labels[nlabels]) != i - start ||
				       memcmp(f->labels[nlabels], s + start, i - start) != 0))
				return false; /* labels come in declaration order, le last */
			nlabels++;
			for (i += 2; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\') {
					if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n'))
						return false;
					i++;
				}
			}
			if (i >= n)
				return false;
			i++;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i < n && s[i] == '}') {
				i++;
				break;
			}
			return false;
		}
	}
	if (nlabels != f->nlabels + (bucket ? 1 : 0))
		return false;
	if (i >= n || s[i] != ' ')
		return false;
	i++;
	size_t fields = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && s[i] != ' ')
			i++;
		if (i == start)
			return false;
		fields++;
		if (i < n)
			i++;
	}
	return fields == 1 || fields == 2;
}

/* Every line well-formed; returns the number of sample lines. */
static size_t check_exposition(const struct swl_registry *reg, const struct swl_buf *b, bool om)
{
	if (!valid_utf8((const unsigned char *)b->p, b->len))
		abort();
	if (b->len && b->p[b->len - 1] != '\n')
		abort();
	size_t samples = 0;
	for (size_t i = 0; i < b->len;) {
		const char *nl = memchr(b->p + i, '\n', b->len - i);
		size_t n = (size_t)(nl - (b->p + i));
		const char *s = b->p + i;
		if (n && s[0] == '#') {
			if (!(n > 7 && (memcmp(s, "# HELP ", 7) == 0 || memcmp(s, "# TYPE ", 7) == 0)) &&
			    !(om && n == 5 && memcmp(s, "# EOF", 5) == 0))
				abort();
		} else {
			if (!check_sample(reg, s, n))
				abort();
			samples++;
		}
		i += n + 1;
	}
	return samples;
}

static size_t expected_samples(const struct swl_registry *reg)
{
	size_t n = 0;
	for (size_t i = 0; i < reg->nfamilies; i++) {
		const struct swl_family *f = reg->families[i];
		if (!f->retired)
			n += f->nseries * (f->type == SWL_HISTOGRAM ? f->nbuckets + 3 : 1);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct swl_registry *reg = swl_registry_create(MAX_SERIES);
	reg->record_history = true;
	struct swl_ruleset *shipped = load(shipped_dir, reg);
	struct swl_ruleset *capture = load(capture_dir, reg);
	struct swl_matcher *capture_matcher = swl_matcher_create(capture);
	struct swl_context *ctx = swl_context_create(16, 3600LL * 1000000);
	struct swl_pipeline p;
	swl_pipeline_init(&p, reg, shipped, ctx);
	swl_parser_init(&p.parser, 2026, 1795974712);

	/* lines are cut at newlines, as a source would; an exact-size copy for ASan */
	const char *d = (const char *)data;
	size_t nlines = 0;
	int64_t recorded = 0;
	for (size_t i = 0; i <= size;) {
		const char *nl = i < size ? memchr(d + i, '\n', size - i) : NULL;
		size_t n = nl ? (size_t)(nl - (d + i)) : size - i;
		if (!nl && n == 0 && nlines)
			break;
		char *line = malloc(n ? n : 1);
		if (!line)
			abort();
		memcpy(line, d + i, n);
		swl_pipeline_line(&p, line, n, false);
		struct swl_parser ps = p.parser;
		struct swl_event ev;
		swl_parse_line(&ps, line, n, &ev);
		swl_rules_apply(capture_matcher, ctx, &ev);
		if (p.last_time_us && p.last_time_us != recorded) {
			/* history points, as --step takes them: at each new log time */
			swl_registry_record(reg, p.last_time_us);
			recorded = p.last_time_us;
		}
		free(line);
		nlines++;
		i += n + 1;
	}

	struct swl_buf out;
	swl_buf_init(&out, 0);
	if (swl_expo_render(reg, SWL_FORMAT_PROMETHEUS, 0, &out) < 0)
		abort();
	if (check_exposition(reg, &out, false) != expected_samples(reg))
		abort(); /* exactly one sample line per series */
	swl_buf_fini(&out);
	swl_buf_init(&out, 0);
	if (swl_expo_render(reg, SWL_FORMAT_OPENMETRICS, SWL_EXPO_HISTORY, &out) < 0)
		abort();
	check_exposition(reg, &out, true);
	swl_buf_fini(&out);

	swl_pipeline_fini(&p);
	swl_matcher_destroy(capture_matcher);
	swl_context_destroy(ctx);
	swl_rules_destroy(capture);
	swl_rules_destroy(shipped);
	swl_registry_destroy(reg);
	return 0;
}
