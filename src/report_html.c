/* report_html.c - the report as one self-contained HTML page: inline CSS and SVG, no script,
 * nothing fetched (a Content-Security-Policy says so to the browser). Every string from the
 * logs is escaped and set in <bdi>, so a name with markup or bidi controls stays one name. */
#include "report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define X0 160          /* the timelines' label column */
#define PLOT_W 1000     /* their plot width */
#define SVG_W (X0 + PLOT_W + 10)
#define ROW_H 18
#define AXIS_H 22
#define MARK_COL 4      /* markers of a class closer than this merge into one */
#define MAX_CHILD_ROWS 12
#define MAX_TITLE_LINES 5
#define MAX_LIST 10     /* gateway lists: top reasons, peers */
#define MAX_DAEMON_STARTS 50

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
	"h1{font-size:1.5em;margin:0}h2{margin-top:1.6em;border-bottom:1px solid #ccc}"
	"h3{font-size:1em;margin:1em 0 .2em}.peer{color:#666;font-weight:normal}"
	"table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #eee;"
	"text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;white-space:nowrap}td.t{white-space:nowrap}"
	"small{color:#666}.bad{color:#b00}.ok{color:#080}code{font-size:.9em;word-break:break-all}"
	"svg{display:block;max-width:100%;height:auto}svg text{font:11px sans-serif;fill:#444}"
	".grid{stroke:#ddd}.row{fill:#fafafa}.up{fill:#5cb85c}.child .up{fill:#8fd18f}"
	".mk path{stroke-width:1.5}.mk.up path{fill:#1a7f1a}.mk.down path{fill:#e08000}"
	".mk.fail path{stroke:#c00;fill:none;stroke-width:2}.mk.rekey path{fill:#2a6fd6}"
	".mk.retransmit path{stroke:#888}.mk.kernel path{fill:#8a2be2}.mk.other path{fill:#999}"
	".bar{fill:#2a6fd6}.legend span{margin-right:1.2em}.legend i{display:inline-block;width:.8em;"
	"height:.8em;margin-right:.3em}nav a{margin-right:1em}.scroll{overflow-x:auto}details{margin:.3em 0}";

/* ---- escaping ---- */

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* controls other than tab and newline are not allowed in HTML text */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				fprintf(f, "&#xFFFD;");
			else
				putc(*s, f);
		}
	}
}

/* a name from the logs, isolated from the text around it */
static void name(FILE *f, const char *s)
{
	fputs("<bdi>", f);
	esc(f, s);
	fputs("</bdi>", f);
}

/* at most max code points of s, then an ellipsis (SVG text does not wrap) */
static void esc_cut(FILE *f, const char *s, size_t max)
{
	size_t cps = 0, i = 0;
	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++cps > max)
			break;
	char *cut = swl_xstrndup(s, i);
	esc(f, cut);
	if (s[i])
		fputs("\xe2\x80\xa6", f);
	free(cut);
}

static void esc_time(FILE *f, int64_t t_us)
{
	char b[64];
	rp_time(b, sizeof(b), t_us);
	esc(f, b);
}

/* "Nov 29 17:55:27": the table's columns stay narrow (the page's header gives the year) */
static void esc_time_short(FILE *f, int64_t t_us)
{
	char b[64];
	rp_time_as(b, sizeof(b), t_us, "%b %e %H:%M:%S");
	esc(f, b);
}

static void esc_value(FILE *f, double v)
{
	char b[64];
	rp_value(b, sizeof(b), v);
	esc(f, b);
}

static void esc_duration(FILE *f, int64_t us)
{
	char b[64];
	rp_duration(b, sizeof(b), us);
	esc(f, b);
}

static double x_of(const struct swl_report *r, int64_t t)
{
	return X0 + (double)(t - r->start_us) * PLOT_W / (double)(r->end_us - r->start_us);
}

/* ---- the summary table ---- */

/* "timeout 2, deleted_local 1": a tunnel's counters of one family, by what follows ": " */
static void breakdown(FILE *f, const struct swl_report *r, const struct rp_tunnel *t, const char *fam1,
		      const char *fam2)
{
	for (size_t i = 0; i < t->ncounters; i++) {
		const struct rp_counter *c = &r->counters[t->counters[i]];
		const char *fn = c->series->family->name;
		if (c->total <= 0 || (strcmp(fn, fam1) && (!fam2 || strcmp(fn, fam2))))
			continue;
		const char *why = strstr(c->text, ": ");
		fputs("<br><small>", f);
		name(f, why ? why + 2 : "-");
		fputc(' ', f);
		esc_value(f, c->total);
		fputs("</small>", f);
	}
}

static void bytes_cell(FILE *f, double in, double out)
{
	fputs("<td class=\"n\">", f);
	if (in > 0 || out > 0) {
		esc_value(f, in);
		fputs(" / ", f);
		esc_value(f, out);
	} else {
		fputs("-", f);
	}
	fputs("</td>", f);
}

static void tunnel_row(FILE *f, const struct swl_report *r, uint32_t idx)
{
	const struct rp_tunnel *t = &r->tunnels[idx];
	fprintf(f, "<tr class=\"tunnel\" id=\"s-%u\" data-conn=\"", idx);
	esc(f, t->conn);
	fputs("\" data-peer=\"", f);
	esc(f, t->peer);
	fprintf(f, "\" data-up-share=\"%.4f\" data-downs=\"", rp_up_share(r, t));
	esc_value(f, t->downs);
	fputs("\" data-failures=\"", f);
	esc_value(f, t->failures);
	fprintf(f, "\"><td><a href=\"#t-%u\">", idx);
	name(f, t->conn);
	fputs("</a><br><small>", f);
	name(f, *t->peer ? t->peer : "-");
	fprintf(f, "</small></td><td class=\"n %s\">%.1f %%<br><small>", t->up_at_end ? "ok" : "bad",
		100 * rp_up_share(r, t));
	esc_duration(f, t->up_us);
	fputs("</small></td><td class=\"n\">", f);
	esc_value(f, t->downs);
	breakdown(f, r, t, "ipsec_ike_sa_down_total", NULL);
	fputs("</td><td class=\"n\">", f);
	esc_value(f, t->failures);
	breakdown(f, r, t, "ipsec_ike_sa_failed_total", "ipsec_child_sa_failed_total");
	fputs("</td><td class=\"n\">", f);
	esc_value(f, t->rekeys);
	fputs("</td><td class=\"n\">", f);
	esc_value(f, t->rekey_failures);
	fputs("</td><td class=\"n\">", f);
	if (t->longest_outage_us)
		esc_duration(f, t->longest_outage_us);
	else
		fputs("-", f);
	fputs("</td><td class=\"n\">", f);
	if (t->recoveries)
		esc_duration(f, t->recovered_us / (int64_t)t->recoveries);
	else
		fputs("-", f);
	fputs("</td><td class=\"t\">", f);
	esc_time_short(f, t->first_error_us);
	fputs("</td><td class=\"t\">", f);
	esc_time_short(f, t->last_error_us);
	fputs("</td>", f);
	bytes_cell(f, t->bytes_in, t->bytes_out);
	fputs("</tr>\n", f);
}

static void summary(FILE *f, const struct swl_report *r, size_t shown)
{
	fputs("<section id=\"tunnels\"><h2>Tunnels, worst first</h2>\n", f);
	if (!r->nlisted) {
		fputs("<p>No tunnel appears in these logs.</p></section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"summary\"><thead><tr><th>Tunnel (conn, peer)</th><th>Up</th><th>Downs</th>"
	      "<th>Failures</th><th>Rekeys</th><th>Rekey failures</th><th>Longest outage</th>"
	      "<th>Mean time to recover</th><th>First error</th><th>Last error</th>"
	      "<th>Bytes in / out</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < shown; i++)
		tunnel_row(f, r, r->order[i]);
	if (shown < r->nlisted) {
		double downs = 0, failures = 0, rekeys = 0, rekey_failures = 0, in = 0, out = 0;
		for (size_t i = shown; i < r->nlisted; i++) {
			const struct rp_tunnel *t = &r->tunnels[r->order[i]];
			downs += t->downs;
			failures += t->failures;
			rekeys += t->rekeys;
			rekey_failures += t->rekey_failures;
			in += t->bytes_in;
			out += t->bytes_out;
		}
		fprintf(f, "<tr class=\"rest\" data-tunnels=\"%zu\"><td>%zu more tunnels, summed "
			   "(--top shows more)</td><td></td><td class=\"n\">", r->nlisted - shown, r->nlisted - shown);
		esc_value(f, downs);
		fputs("</td><td class=\"n\">", f);
		esc_value(f, failures);
		fputs("</td><td class=\"n\">", f);
		esc_value(f, rekeys);
		fputs("</td><td class=\"n\">", f);
		esc_value(f, rekey_failures);
		fputs("</td><td></td><td></td><td></td><td></td>", f);
		bytes_cell(f, in, out);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

/* ---- timelines ---- */

/* Tick steps from a minute to a month: the first that gives at most 10 ticks. */
static int64_t tick_step(int64_t span_us)
{
	static const int64_t steps[] = { 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400,
					 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span_us / (steps[i] * 1000000) <= 10)
			return steps[i] * 1000000;
	return 56LL * 86400 * 1000000;
}

/* The time axis: ticks at local times (midnight-aligned), labelled in the logs' zone. */
static void axis(FILE *f, const struct swl_report *r, int height)
{
	int64_t step = tick_step(r->end_us - r->start_us);
	time_t t0 = (time_t)(r->start_us / 1000000);
	struct tm tm;
	localtime_r(&t0, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	int64_t tick = (int64_t)mktime(&tm) * 1000000;
	while (tick < r->start_us)
		tick += step;
	for (; tick <= r->end_us; tick += step) {
		double x = x_of(r, tick);
		time_t ts = (time_t)(tick / 1000000);
		struct tm lt;
		char label[32];
		localtime_r(&ts, &lt);
		strftime(label, sizeof(label), step >= 86400LL * 1000000 || (!lt.tm_hour && !lt.tm_min) ? "%b %e" : "%H:%M",
			 &lt);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text x=\"%.1f\" y=\"12\" text-anchor=\"middle\">",
			x, AXIS_H - 6, x, height, x);
		esc(f, label);
		fputs("</text>\n", f);
	}
}

struct mark_ref {
	const struct rp_event *e;
	uint32_t row; /* 0: the IKE_SA; 1 + child */
	enum rp_class cls;
};

static int mark_cmp(const void *a, const void *b)
{
	const struct mark_ref *x = a, *y = b;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->e->t_us != y->e->t_us)
		return x->e->t_us < y->e->t_us ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

static void mark_shape(FILE *f, enum rp_class c, double x, int cy)
{
	switch (c) {
	case RP_UP: fprintf(f, "<path d=\"M%.1f %dl4 7h-8z\"/>", x, cy - 4); break;
	case RP_DOWN: fprintf(f, "<path d=\"M%.1f %dl4 -7h-8z\"/>", x, cy + 4); break;
	case RP_FAIL: fprintf(f, "<path d=\"M%.1f %dl8 8m0 -8l-8 8\"/>", x - 4, cy - 4); break;
	case RP_REKEY: fprintf(f, "<path d=\"M%.1f %da3 3 0 1 0 0.01 0z\"/>", x, cy - 3); break;
	case RP_RETRANSMIT: fprintf(f, "<path d=\"M%.1f %dv10\"/>", x, cy - 5); break;
	case RP_KERNEL: fprintf(f, "<path d=\"M%.1f %dh7v7h-7z\"/>", x - 3.5, cy - 3); break;
	case RP_OTHER: case RP_NCLASSES: fprintf(f, "<path d=\"M%.1f %dl3 3l-3 3l-3 -3z\"/>", x, cy - 3); break;
	}
}

/* One marker for the events of a class in a MARK_COL-wide column of a row; its title lists
 * the first of them with their times. */
static void marks(FILE *f, const struct swl_report *r, const struct mark_ref *m, size_t n, const int *row_y)
{
	for (size_t i = 0; i < n;) {
		double x = x_of(r, m[i].e->t_us);
		int col = (int)((x - X0) / MARK_COL);
		size_t j = i;
		double count = 0;
		while (j < n && m[j].row == m[i].row && m[j].cls == m[i].cls &&
		       (int)((x_of(r, m[j].e->t_us) - X0) / MARK_COL) == col) {
			count += m[j].e->n;
			j++;
		}
		fprintf(f, "<g class=\"mk %s\" data-t=\"%lld\" data-x=\"%.1f\" data-n=\"", rp_class_name[m[i].cls],
			(long long)(m[i].e->t_us / 1000000), x);
		esc_value(f, count);
		fputs("\"><title>", f);
		for (size_t k = i; k < j && k < i + MAX_TITLE_LINES; k++) {
			esc_time(f, m[k].e->t_us);
			fputs("  ", f);
			esc(f, r->counters[m[k].e->counter].text);
			if (m[k].e->n != 1) {
				fputs(" \xc3\x97", f);
				esc_value(f, m[k].e->n);
			}
			fputc('\n', f);
		}
		if (j - i > MAX_TITLE_LINES)
			fprintf(f, "\xe2\x80\xa6 and %zu more", j - i - MAX_TITLE_LINES);
		fputs("</title>", f);
		mark_shape(f, m[i].cls, x, row_y[m[i].row] + ROW_H / 2);
		fputs("</g>\n", f);
		i = j;
	}
}

static void spans(FILE *f, const struct swl_report *r, const struct rp_spans *s, int y)
{
	for (size_t i = 0; i < s->n; i++) {
		double x1 = x_of(r, s->v[i].from_us), x2 = x_of(r, s->v[i].to_us);
		fprintf(f, "<rect class=\"up\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" data-from=\"%lld\" "
			   "data-to=\"%lld\"><title>up ",
			x1, y + 4, x2 - x1 < 0.5 ? 0.5 : x2 - x1, ROW_H - 8, (long long)(s->v[i].from_us / 1000000),
			(long long)(s->v[i].to_us / 1000000));
		esc_time(f, s->v[i].from_us);
		fputs(" \xe2\x80\x93 ", f);
		esc_time(f, s->v[i].to_us);
		fputs(" (", f);
		esc_duration(f, s->v[i].to_us - s->v[i].from_us);
		fputs(")</title></rect>\n", f);
	}
}

static void timeline(FILE *f, const struct swl_report *r, uint32_t idx)
{
	const struct rp_tunnel *t = &r->tunnels[idx];
	size_t nchild = t->nchildren < MAX_CHILD_ROWS ? t->nchildren : MAX_CHILD_ROWS;
	int row_y[MAX_CHILD_ROWS + 1];
	int height = AXIS_H + (int)(nchild + 1) * ROW_H + 2;
	for (size_t i = 0; i <= nchild; i++)
		row_y[i] = AXIS_H + (int)i * ROW_H;

	fprintf(f, "<div class=\"timeline\" id=\"t-%u\" data-conn=\"", idx);
	esc(f, t->conn);
	fputs("\" data-peer=\"", f);
	esc(f, t->peer);
	fputs("\"><h3>", f);
	name(f, t->conn);
	fputs(" <span class=\"peer\">", f);
	name(f, *t->peer ? t->peer : "-");
	fputs("</span></h3>\n", f);
	fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" data-start=\"%lld\" data-end=\"%lld\" "
		   "data-x0=\"%d\" data-width=\"%d\">\n",
		SVG_W, height, SVG_W, height, (long long)(r->start_us / 1000000), (long long)(r->end_us / 1000000), X0,
		PLOT_W);
	for (size_t i = 0; i <= nchild; i++) {
		fprintf(f, "<g class=\"%s\" data-row=\"%zu\"><rect class=\"row\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
			   "<text x=\"0\" y=\"%d\">",
			i ? "child" : "ike", i, X0, row_y[i] + 2, PLOT_W, ROW_H - 4, row_y[i] + ROW_H / 2 + 4);
		if (i) {
			esc_cut(f, t->children[i - 1].name, 20);
			fputs("<title>CHILD_SA ", f);
			esc(f, t->children[i - 1].name);
			fputs("</title></text>\n", f);
			spans(f, r, &t->children[i - 1].up, row_y[i]);
		} else {
			fputs("IKE_SA</text>\n", f);
			spans(f, r, &t->up, row_y[0]);
		}
		fputs("</g>\n", f);
	}
	axis(f, r, height);

	struct mark_ref *m = swl_xmalloc((t->nevents + 1) * sizeof(*m));
	size_t n = 0;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct rp_event *e = &t->events[i];
		const struct rp_counter *c = &r->counters[e->counter];
		if (e->t_us < r->start_us || e->t_us > r->end_us || c->bytes_in || c->bytes_out)
			continue;
		uint32_t row = c->child == RP_NONE ? 0 : c->child + 1;
		if (row > nchild)
			row = 0; /* a CHILD_SA past the rows drawn: on the IKE_SA's row */
		m[n++] = (struct mark_ref){ e, row, c->cls };
	}
	qsort(m, n, sizeof(*m), mark_cmp);
	marks(f, r, m, n, row_y);
	free(m);
	fputs("</svg>\n", f);
	if (t->nchildren > nchild)
		fprintf(f, "<p><small>%zu more CHILD_SAs not drawn; their events are on the IKE_SA's row.</small></p>\n",
			t->nchildren - nchild);
	fputs("</div>\n", f);
}

static void legend(FILE *f)
{
	static const char *const what[RP_NCLASSES] = { "established", "rekeyed", "down", "failure",
						       "retransmits", "kernel error", "other" };
	static const char *const colour[RP_NCLASSES] = { "#1a7f1a", "#2a6fd6", "#e08000", "#c00",
							 "#888", "#8a2be2", "#999" };
	fputs("<p class=\"legend\"><span><i style=\"background:#5cb85c\"></i>up</span>", f);
	for (int c = 0; c < RP_NCLASSES; c++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>", colour[c], what[c]);
	fputs("<br><small>Hover over a marker for its times and reasons. Markers of one kind closer "
	      "than a few pixels are one.</small></p>\n",
	      f);
}

/* ---- the gateway ---- */

static void reason_table(FILE *f, const char *head, const char *col, const struct rp_reason *v, size_t n,
			 const char *cls)
{
	fprintf(f, "<h3>%s</h3>\n", head);
	if (!n) {
		fputs("<p>None.</p>\n", f);
		return;
	}
	fprintf(f, "<table class=\"%s\"><tr><th>%s</th><th>Count</th></tr>\n", cls, col);
	for (size_t i = 0; i < n && i < MAX_LIST; i++) {
		fputs("<tr><td>", f);
		name(f, v[i].text);
		fputs("</td><td class=\"n\">", f);
		esc_value(f, v[i].n);
		fputs("</td></tr>\n", f);
	}
	if (n > MAX_LIST)
		fprintf(f, "<tr><td colspan=\"2\"><small>and %zu more</small></td></tr>\n", n - MAX_LIST);
	fputs("</table>\n", f);
}

static void per_bucket(FILE *f, const struct swl_report *r)
{
	if (r->timeless)
		return;
	uint64_t max = 0;
	for (size_t i = 0; i < r->nbuckets; i++)
		if (r->per_bucket[i] > max)
			max = r->per_bucket[i];
	const int h = 80;
	int64_t w = r->bucket_us / 1000000;
	fprintf(f, "<h3>Events per %s</h3>\n", w == 60 ? "minute" : w == 300 ? "5 minutes" : w == 3600 ? "hour" : "day");
	fprintf(f, "<svg class=\"rate\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", SVG_W, h + AXIS_H,
		SVG_W, h + AXIS_H);
	axis(f, r, h + AXIS_H);
	fprintf(f, "<text x=\"0\" y=\"%d\">%llu</text>", AXIS_H + 10, (unsigned long long)max);
	for (size_t i = 0; i < r->nbuckets && max; i++) {
		if (!r->per_bucket[i])
			continue;
		int64_t from = r->start_us + (int64_t)i * r->bucket_us;
		double x1 = x_of(r, from), x2 = x_of(r, from + r->bucket_us);
		if (x2 > X0 + PLOT_W)
			x2 = X0 + PLOT_W;
		double bh = (double)h * (double)r->per_bucket[i] / (double)max;
		fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>", x1,
			AXIS_H + h - bh, x2 - x1 > 0.5 ? x2 - x1 : 0.5, bh);
		esc_time(f, from);
		fprintf(f, ": %llu events</title></rect>\n", (unsigned long long)r->per_bucket[i]);
	}
	fputs("</svg>\n", f);
}

static void gateway(FILE *f, const struct swl_report *r)
{
	fputs("<section id=\"gateway\"><h2>Gateway</h2>\n<h3>Daemon starts: ", f);
	esc_value(f, r->daemon_starts);
	fputs("</h3>\n", f);
	size_t listed = 0;
	for (size_t i = 0; i < r->ngw_events; i++) {
		const struct rp_event *e = &r->gw_events[i];
		if (strcmp(r->counters[e->counter].series->family->name, "ipsec_daemon_starts_total") ||
		    e->t_us < r->start_us || e->t_us > r->end_us)
			continue;
		if (listed++ == MAX_DAEMON_STARTS) {
			fputs(" \xe2\x80\xa6", f);
			break;
		}
		fputs(listed == 1 ? "<p class=\"starts\">" : ", ", f);
		esc_time(f, e->t_us);
	}
	if (listed)
		fputs("</p>\n", f);
	per_bucket(f, r);
	reason_table(f, "Top failure reasons", "Failure", r->reasons, r->nreasons, "reasons");
	reason_table(f, "Peers that failed to authenticate most", "Peer", r->auth_peers, r->nauth_peers, "auth-peers");
	fputs("</section>\n", f);
}

/* ---- the counts: replay's final values ---- */

static void count_rows(FILE *f, const struct swl_report *r, const uint32_t *idx, size_t n, struct swl_buf *b)
{
	uint32_t *sorted = swl_xmalloc((n + 1) * sizeof(*sorted));
	n = rp_sorted_counters(r, idx, n, sorted);
	fputs("<table class=\"counts\">\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct rp_counter *c = &r->counters[sorted[i]];
		b->len = 0;
		rp_series_text(b, c->series);
		swl_buf_addc(b, '\0');
		fputs("<tr><td><code>", f);
		esc(f, b->p);
		fputs("</code></td><td class=\"n\">", f);
		esc_value(f, c->total);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	free(sorted);
}

static void counts(FILE *f, const struct swl_report *r, size_t shown)
{
	struct swl_buf b;
	swl_buf_init(&b, 0);
	fputs("<section id=\"counts\"><h2>Counts</h2>\n<p>The counters as <code>swanlog replay</code> prints "
	      "them for the same logs (their increases in the window when it is narrowed).</p>\n",
	      f);
	for (size_t i = 0; i < shown; i++) {
		const struct rp_tunnel *t = &r->tunnels[r->order[i]];
		fprintf(f, "<details id=\"c-%u\"><summary>", r->order[i]);
		name(f, t->conn);
		fputs(" <span class=\"peer\">", f);
		name(f, *t->peer ? t->peer : "-");
		fputs("</span></summary>\n", f);
		count_rows(f, r, t->counters, t->ncounters, &b);
		fputs("</details>\n", f);
	}
	uint32_t *gw = swl_xmalloc((r->ncounters + 1) * sizeof(*gw));
	size_t ngw = 0;
	for (size_t i = 0; i < r->ncounters; i++)
		if (r->counters[i].tunnel == RP_NONE)
			gw[ngw++] = (uint32_t)i;
	fputs("<details id=\"c-gateway\" open><summary>Not tied to a tunnel</summary>\n", f);
	count_rows(f, r, gw, ngw, &b);
	fputs("</details></section>\n", f);
	free(gw);
	swl_buf_fini(&b);
}

int swl_report_write_html(const struct swl_report *r, FILE *f)
{
	size_t shown = r->nlisted < r->o.top ? r->nlisted : r->o.top;
	char zone[16] = "";
	time_t t0 = (time_t)(r->start_us / 1000000);
	struct tm tm;
	if (localtime_r(&t0, &tm))
		strftime(zone, sizeof(zone), "%Z", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>IPsec report ",
	      f);
	esc_time(f, r->start_us);
	fputs(" \xe2\x80\x93 ", f);
	esc_time(f, r->end_us);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>IPsec report</h1>\n", css);
	fprintf(f, "<p class=\"window\" data-start=\"%lld\" data-end=\"%lld\">", (long long)(r->start_us / 1000000),
		(long long)(r->end_us / 1000000));
	if (r->timeless) {
		fputs("No entry with a time.<br>", f);
	} else {
		esc_time(f, r->start_us);
		fputs(" \xe2\x80\x93 ", f);
		esc_time(f, r->end_us);
		fputs(" (", f);
		esc(f, zone);
		fputs(", ", f);
		esc_duration(f, r->end_us - r->start_us);
		fputs(")<br>", f);
	}
	char lines[64];
	rp_value(lines, sizeof(lines), r->lines);
	fprintf(f, "%s log lines read from ", lines);
	for (size_t i = 0; i < r->o.npaths; i++) {
		if (i == 3) {
			fprintf(f, " and %zu more files", r->o.npaths - 3);
			break;
		}
		if (i)
			fputs(", ", f);
		name(f, r->o.paths[i]);
	}
	fprintf(f, "; %zu tunnel%s</p>\n<nav><a href=\"#tunnels\">Tunnels</a><a href=\"#timelines\">Timelines</a>"
		   "<a href=\"#gateway\">Gateway</a><a href=\"#counts\">Counts</a></nav>\n",
		r->nlisted, r->nlisted == 1 ? "" : "s");
	summary(f, r, shown);
	fputs("<section id=\"timelines\"><h2>Timelines</h2>\n", f);
	legend(f);
	for (size_t i = 0; i < shown; i++)
		timeline(f, r, r->order[i]);
	fputs("</section>\n", f);
	gateway(f, r);
	counts(f, r, shown);
	fputs("</body></html>\n", f);
	return fflush(f) || ferror(f) ? -(errno ? errno : EIO) : 0;
}
