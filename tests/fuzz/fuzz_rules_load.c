/* fuzz_rules_load.c - libFuzzer target: any bytes as a rules file.
 *
 * The input is written to a memfd and loaded through its /proc path, as a file would be.
 * A load must either fail with a "path:line:col: message" error or give a ruleset whose
 * examples run and whose metrics render. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "expo.h"
#include "rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	memfd = memfd_create("rules.yaml", MFD_CLOEXEC);
	devnull = fopen("/dev/null", "w");
	if (memfd < 0 || !devnull)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

static void write_all(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) < 0)
		abort();
	while (size) {
		ssize_t n = write(memfd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		data += n;
		size -= (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	write_all(data, size);
	struct swl_registry *reg = swl_registry_create(100);
	struct swl_ruleset *rs = NULL;
	struct swl_err err;
	memset(&err, 0, sizeof(err));
	int r = swl_rules_load(path, reg, &rs, &err);
	if (r < 0) {
		/* errors name where: "path:line:col: message" */
		size_t n = strlen(path);
		if (rs || strncmp(err.msg, path, n) != 0 || err.msg[n] != ':')
			abort();
		/* a failed load declares nothing but the registry's own drop counter */
		if (reg->nfamilies != 1)
			abort();
	} else {
		if (!rs)
			abort();
		size_t nex = 0;
		swl_rules_run_examples(rs, devnull, &nex);
		struct swl_buf out;
		swl_buf_init(&out, 0);
		if (swl_expo_render(reg, SWL_FORMAT_PROMETHEUS, 0, &out) < 0 ||
		    swl_expo_render(reg, SWL_FORMAT_OPENMETRICS, SWL_EXPO_TIMESTAMPS, &out) < 0)
			abort();
		swl_buf_fini(&out);
		swl_rules_destroy(rs);
	}
	swl_registry_destroy(reg);
	return 0;
}
