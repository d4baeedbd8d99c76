/* render_bench.c - how long rendering N series takes, and how much memory a series costs.
 *
 * usage: swl_render_bench [SERIES=100000] [RUNS=7]
 * Fills one counter family with labels conn and peer (as ipsec_ike_sa_established_total has,
 * with realistic value lengths), then renders the whole registry as Prometheus text RUNS
 * times. Memory per series is the heap growth (glibc's mallinfo2: bytes in use) while the
 * series were created, divided by their number: series (in their family's arena, so whole
 * chunks count), values, hash table and index.
 * Prints one line of key=value pairs for bench/run.sh.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "expo.h"
#include "registry.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long nseries = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	long runs = argc > 2 ? strtol(argv[2], NULL, 10) : 7;
	if (nseries < 1 || nseries > 10000000 || runs < 1 || runs > 100) {
		fprintf(stderr, "usage: swl_render_bench [SERIES=100000] [RUNS=7]\n");
		return 2;
	}
	struct swl_registry *reg = swl_registry_create((size_t)nseries);
	static const char *const labels[] = { "conn", "peer" };
	struct swl_family *f = swl_registry_family(reg, "ipsec_ike_sa_established_total", SWL_COUNTER,
						   "IKE_SAs that became established.", labels, 2, NULL, 0, 0);

	size_t before = mallinfo2().uordblks;
	double t0 = now_ms();
	for (long i = 0; i < nseries; i++) {
		char conn[32], peer[48];
		struct swl_str v[2];
		v[0].n = (size_t)snprintf(conn, sizeof(conn), "branch-office-%04ld", i % 1000);
		v[0].p = conn;
		v[1].n = (size_t)snprintf(peer, sizeof(peer), "198.%ld.%ld.%ld", 18 + i / 65536, i / 256 % 256, i % 256);
		v[1].p = peer;
		swl_series_add(swl_family_series(f, v), (double)(i % 97 + 1), 1795974712000000);
	}
	double create_ms = now_ms() - t0;
	size_t heap = mallinfo2().uordblks - before;

	double *ms = calloc((size_t)runs, sizeof(*ms));
	size_t bytes = 0;
	for (long r = 0; r < runs; r++) {
		struct swl_buf out;
		swl_buf_init(&out, 0);
		double s = now_ms();
		if (swl_expo_render(reg, SWL_FORMAT_PROMETHEUS, 0, &out) < 0) {
			fprintf(stderr, "render failed\n");
			return 1;
		}
		ms[r] = now_ms() - s;
		bytes = out.len;
		swl_buf_fini(&out);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	printf("series=%ld render_ms_min=%.1f render_ms_median=%.1f render_ms_max=%.1f output_bytes=%zu "
	       "heap_bytes_per_series=%.0f create_ms=%.1f\n",
	       nseries, ms[0], ms[runs / 2], ms[runs - 1], bytes, (double)heap / (double)nseries, create_ms);
	free(ms);
	swl_registry_destroy(reg);
	return 0;
}
