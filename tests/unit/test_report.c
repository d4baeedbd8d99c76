/* test_report.c - the report's model: up-intervals from the *_up gauges, outages, the window,
 * the order of tunnels, counts within the window, --from/--to times. Fed through a real
 * registry, as replay feeds it. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "report_int.h"

#define S(x) ((int64_t)(x) * 1000000) /* seconds of log time */

static const char *const conn_peer[] = { "conn", "peer" };
static const char *const conn_peer_reason[] = { "conn", "peer", "reason" };

struct fixture {
	struct swl_registry *reg;
	struct swl_family *up, *down, *failed;
	struct swl_report *r;
};

static void setup(struct fixture *x, int64_t from, int64_t to)
{
	x->reg = swl_registry_create(100);
	x->up = swl_registry_family(x->reg, "ipsec_ike_sa_up", SWL_GAUGE, "up", conn_peer, 2, NULL, 0, 0);
	x->down = swl_registry_family(x->reg, "ipsec_ike_sa_down_total", SWL_COUNTER, "d", conn_peer_reason, 3, NULL,
				      0, 0);
	x->failed = swl_registry_family(x->reg, "ipsec_ike_sa_failed_total", SWL_COUNTER, "f", conn_peer_reason, 3,
					NULL, 0, 0);
	struct swl_report_opts o = { .from_us = from, .to_us = to };
	x->r = swl_report_create(x->reg, &o);
}

static void teardown(struct fixture *x)
{
	swl_report_destroy(x->r);
	swl_registry_destroy(x->reg);
}

static struct swl_series *series(struct swl_family *f, const char *conn, const char *peer, const char *reason)
{
	struct swl_str v[3] = { swl_str_c(conn), swl_str_c(peer), swl_str_c(reason) };
	return swl_family_series(f, v);
}

static const struct rp_tunnel *tunnel(const struct swl_report *r, const char *conn, const char *peer)
{
	for (size_t i = 0; i < r->ntunnels; i++)
		if (!strcmp(r->tunnels[i].conn, conn) && !strcmp(r->tunnels[i].peer, peer))
			return &r->tunnels[i];
	cr_assert_fail("no tunnel %s %s", conn, peer);
	return NULL;
}

Test(report, outages_and_recovery)
{
	struct fixture x;
	setup(&x, 0, 0);
	struct swl_series *up = series(x.up, "a", "p", NULL);
	/* up 100..200, down by timeout, a failure at 250, up again 300..400, down for good at 400,
	 * the logs end at 1000 */
	swl_series_set(up, 1, S(100));
	swl_series_set(up, 0, S(200));
	swl_series_add(series(x.down, "a", "p", "timeout"), 1, S(200));
	swl_series_add(series(x.failed, "a", "p", "peer_not_responding"), 1, S(250));
	swl_series_set(up, 1, S(300));
	swl_series_set(up, 0, S(400));
	swl_series_add(series(x.down, "a", "p", "deleted_local"), 1, S(400));
	swl_series_add(series(x.failed, "z", "q", "no_proposal_chosen"), 1, S(1000));
	swl_report_finish(x.r);

	cr_assert_eq(x.r->start_us, S(100));
	cr_assert_eq(x.r->end_us, S(1000));
	const struct rp_tunnel *a = tunnel(x.r, "a", "p");
	cr_assert_eq(a->up.n, 2);
	cr_assert_eq(a->up_us, S(200));
	cr_assert_eq(a->recoveries, 1);
	cr_assert_eq(a->recovered_us, S(100));
	cr_assert_eq(a->longest_outage_us, S(600), "still down from 400 to the end");
	cr_assert_not(a->up_at_end);
	cr_assert_eq(a->downs, 2);
	cr_assert_eq(a->failures, 1);
	cr_assert_eq(a->first_error_us, S(250));
	/* a, down 700 s of its 900, before z, down the one moment it was seen */
	cr_assert_eq(x.r->nlisted, 2);
	cr_assert_eq(&x.r->tunnels[x.r->order[0]], a);
	cr_assert_eq(x.r->nreasons, 2);
	teardown(&x);
}

Test(report, window_clips_and_counts_inside)
{
	struct fixture x;
	setup(&x, S(150), S(350));
	struct swl_series *up = series(x.up, "a", "p", NULL);
	swl_series_set(up, 1, S(100));
	swl_series_add(series(x.down, "a", "p", "replaced"), 1, S(120)); /* before the window */
	swl_series_add(series(x.down, "a", "p", "replaced"), 1, S(200));
	swl_series_add(series(x.failed, "b", "q", "no_config"), 1, S(500)); /* after it */
	swl_report_finish(x.r);

	const struct rp_tunnel *a = tunnel(x.r, "a", "p");
	cr_assert_eq(a->up.n, 1);
	cr_assert_eq(a->up.v[0].from_us, S(150), "clipped to the window");
	cr_assert_eq(a->up.v[0].to_us, S(350));
	cr_assert(a->up_at_end, "still open at the end");
	cr_assert_eq(a->up_us, S(200));
	cr_assert_eq(a->downs, 1, "only the increase inside the window");
	cr_assert_eq(x.r->nlisted, 1, "b was seen only after the window");
	teardown(&x);
}

Test(report, up_gauge_above_one_is_one_interval)
{
	struct fixture x;
	setup(&x, 0, 0);
	struct swl_series *up = series(x.up, "a", "p", NULL);
	swl_series_add(up, 1, S(10));
	swl_series_add(up, 1, S(20)); /* a second IKE_SA of the tunnel (a rekey's overlap) */
	swl_series_add(up, -1, S(30));
	swl_series_add(up, -1, S(40));
	swl_report_finish(x.r);
	const struct rp_tunnel *a = tunnel(x.r, "a", "p");
	cr_assert_eq(a->up.n, 1);
	cr_assert_eq(a->up.v[0].from_us, S(10));
	cr_assert_eq(a->up.v[0].to_us, S(40));
	teardown(&x);
}

Test(report, parse_time)
{
	setenv("TZ", "UTC", 1);
	tzset();
	int64_t t;
	cr_assert_eq(swl_report_parse_time("2026-11-29", &t), 0);
	cr_assert_eq(t, S(1795910400));
	cr_assert_eq(swl_report_parse_time("2026-11-29 17:55", &t), 0);
	cr_assert_eq(t, S(1795910400 + 17 * 3600 + 55 * 60));
	cr_assert_eq(swl_report_parse_time("2026-11-29T17:55:43", &t), 0);
	cr_assert_eq(t, S(1795910400 + 17 * 3600 + 55 * 60 + 43));
	const char *bad[] = { "", "yesterday", "2026-13-01", "2026-11-29 25:00", "2026-11-29 17", "2026-11-29x",
			      "2026-11-29 17:55:43 UTC" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(swl_report_parse_time(bad[i], &t), -EINVAL, "'%s'", bad[i]);
}
