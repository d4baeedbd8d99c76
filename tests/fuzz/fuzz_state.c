/* fuzz_state.c - libFuzzer target: the state file reader (follow mode's restart state).
 *
 * The input is the body of a state file: the harness writes the magic line before it and a
 * valid checksum line after it, so the fuzzer reaches the record parser instead of stopping
 * at the checksum. A load must either fail with -EBADMSG and change nothing, or restore a
 * registry whose exposition is valid (one sample line per series) and which, saved and loaded
 * again, renders the same. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "expo.h"
#include "registry.h"
#include "state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], in_path[300], out_path[300];

static void cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/swl-fuzz-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(in_path, sizeof(in_path), "%s/in.state", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.state", dir);
	atexit(cleanup);
	return 0;
}

/* The families the saved state may refer to: what a ruleset would have declared. */
static struct swl_registry *registry(void)
{
	static const char *const cp[] = { "conn", "peer" };
	static const char *const a[] = { "a" };
	static const double bounds[] = { 0.5, 1, 5 };
	struct swl_registry *r = swl_registry_create(32);
	swl_registry_family(r, "ipsec_ike_sa_established_total", SWL_COUNTER, "IKE_SAs.", cp, 2, NULL, 0, 0);
	swl_registry_family(r, "ipsec_ike_sa_up", SWL_GAUGE, "Up.", cp, 2, NULL, 0, 0);
	swl_registry_family(r, "setup_seconds", SWL_HISTOGRAM, "Setup.", a, 1, bounds, 3, 0);
	swl_registry_family(r, "daemon_starts_total", SWL_COUNTER, "Starts.", NULL, 0, NULL, 0, 0);
	return r;
}

static void write_file(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

static size_t samples(const struct swl_buf *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i] != '#' && (i == 0 || b->p[i - 1] == '\n'))
			n++;
	return n;
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

static void render(const struct swl_registry *reg, struct swl_buf *out)
{
	swl_buf_init(out, 0);
	if (swl_expo_render(reg, SWL_FORMAT_PROMETHEUS, 0, out) < 0 || samples(out) != expected_samples(reg))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct swl_buf file;
	swl_buf_init(&file, 0);
	swl_buf_printf(&file, "%s\n", SWL_STATE_MAGIC);
	swl_buf_add(&file, data, size);
	if (size && data[size - 1] != '\n')
		swl_buf_addc(&file, '\n');
	uint64_t sum = swl_hash(SWL_HASH_INIT, file.p, file.len);
	swl_buf_printf(&file, "checksum %016" PRIx64 "\n", sum);
	write_file(in_path, file.p, file.len);
	swl_buf_fini(&file);

	struct swl_registry *reg = registry();
	struct swl_context *ctx = swl_context_create(64, 0);
	struct swl_state_pos pos;
	size_t dropped;
	struct swl_err err;
	int r = swl_state_load(in_path, &pos, reg, ctx, &dropped, &err);
	if (r < 0) {
		if (r != -EBADMSG)
			abort();
		/* nothing applied: the families are as declared, empty */
		for (size_t i = 0; i < reg->nfamilies; i++)
			if (reg->families[i]->nseries)
				abort();
		if (swl_context_size(ctx) || swl_context_live_size(ctx))
			abort();
	} else {
		struct swl_buf a, b;
		render(reg, &a);
		if (swl_state_save(out_path, &pos, reg, ctx, &err) < 0)
			abort();
		struct swl_registry *reg2 = registry();
		struct swl_context *ctx2 = swl_context_create(64, 0);
		struct swl_state_pos pos2;
		if (swl_state_load(out_path, &pos2, reg2, ctx2, &dropped, &err) < 0) {
			fprintf(stderr, "reload: %s\n", err.msg);
			abort();
		}
		render(reg2, &b);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
			abort(); /* what was saved reads back the same */
		swl_buf_fini(&a);
		swl_buf_fini(&b);
		swl_state_pos_fini(&pos2);
		swl_context_destroy(ctx2);
		swl_registry_destroy(reg2);
		swl_state_pos_fini(&pos);
	}
	swl_context_destroy(ctx);
	swl_registry_destroy(reg);
	return 0;
}
