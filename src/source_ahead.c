/* source_ahead.c - a reader thread that fills batches of parsed lines (see source_ahead.h),
 * and replay's source of log files (plain, gzip, stdin) read so.
 *
 * The batches form a ring. The reader fills batch `produced % N` and publishes it; the caller
 * reads batch `released % N` and gives it back when it moves on, so a batch is written only
 * while the caller cannot see it. One mutex guards the two counters, held for no I/O and no
 * parsing; each side sleeps on its condition variable only when the ring is full or empty.
 * The reader is usually the faster side: once the ring is full it sleeps until half of it is
 * free, so the caller pays for a wake-up every few batches rather than for every batch.
 */
#include "source_ahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "source.h"
#include "twins.h"

/* A line parsed into the fields an event needs. swl_parse_line adds at most the four
 * fields of charon's prefix (THREAD, GROUP, IKE_SA_NAME, IKE_SA_UNIQUE_ID). */
#define AHEAD_FIELDS 4

/* A line, or a run of lines the filter turned down that share their time and were parsed
 * whole: 16 bytes, so the caller reads four to a cache line (most lines are not wanted). */
struct rec {
	int64_t time_us;
	uint32_t lines;      /* 1, or the length of a run */
	uint16_t whole;      /* index of its struct whole, or NO_WHOLE when the filter turned it down */
	bool parsed, oversized;
};

#define NO_WHOLE UINT16_MAX
#define TWIN (UINT16_MAX - 1) /* whole of a twin: counted, never applied */
_Static_assert(SWL_AHEAD_WANTED < TWIN, "a whole's index must fit struct rec");

/* A wanted line's event, less its time, and its tag. */
struct whole {
	uint64_t tag;
	struct swl_str host, program, msg;
	long pid;
	size_t nfields;
	struct swl_field fields[AHEAD_FIELDS];
};

struct batch {
	char *text;          /* the wanted lines' bytes: every slice of wholes points in here */
	size_t used, cap;
	struct rec recs[SWL_AHEAD_LINES];
	size_t nrecs;
	struct whole wholes[SWL_AHEAD_WANTED];
	size_t nwholes;
	bool last;           /* the input ends after this batch, with status */
	int status;          /* 0 or a negative errno */
};

struct swl_ahead {
	struct swl_lines *lines;
	struct swl_parser *parser;
	swl_ahead_filter *filter;
	const void *filter_arg;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t filled, freed;
	size_t produced, released; /* batches published / given back (guarded by lock) */
	bool stopping;             /* swl_ahead_stop: the reader quits (guarded by lock) */
	bool reader_waits;         /* the reader sleeps until half the ring is free (guarded by lock) */
	struct batch *cur;         /* caller: the batch it reads, NULL before the first */
	size_t pos;                /* caller: the next rec of cur */
	bool done;                 /* caller: the last batch was read out */
	int status;
	struct swl_event ev;       /* caller: the current line, rebuilt from its rec */
	struct swl_twins twins;    /* reader: the charon messages seen last */
	struct batch batches[SWL_AHEAD_BATCHES];
};

/* Reader: wait for a free batch; NULL when stopping. */
static struct batch *take_free(struct swl_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	if (a->produced - a->released == SWL_AHEAD_BATCHES) {
		a->reader_waits = true;
		while (!a->stopping && a->reader_waits)
			pthread_cond_wait(&a->freed, &a->lock);
	}
	struct batch *b = a->stopping ? NULL : &a->batches[a->produced % SWL_AHEAD_BATCHES];
	pthread_mutex_unlock(&a->lock);
	if (b) {
		b->used = 0;
		b->nrecs = 0;
		b->nwholes = 0;
		b->last = false;
		b->status = 0;
	}
	return b;
}

static void publish(struct swl_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	a->produced++;
	pthread_cond_signal(&a->filled);
	pthread_mutex_unlock(&a->lock);
}

/* A slice of the line at from, moved to the same place in its copy at to; slices of anything
 * else (the parser's own constants, such as "charon") stay as they are. */
static struct swl_str rebase(struct swl_str s, const char *from, size_t len, char *to)
{
	uintptr_t p = (uintptr_t)s.p, f = (uintptr_t)from;
	if (s.p && p >= f && p <= f + len)
		s.p = to + (p - f);
	return s;
}

/* Parse the line where it lies; a line the filter wants is copied into b, and its event with it. */
static void add_line(struct swl_ahead *a, struct batch *b, const char *line, size_t len, bool oversized)
{
	struct swl_event ev;
	bool parsed = swl_parse_line(a->parser, line, len, &ev) == 0;
	if (swl_twins_check(&a->twins, &ev)) {
		b->recs[b->nrecs++] = (struct rec){ .time_us = ev.time_us, .lines = 1, .whole = TWIN, .parsed = parsed,
						    .oversized = oversized };
		return;
	}
	uint64_t tag = a->filter ? a->filter(&ev, a->filter_arg) : 1;
	if (!tag && parsed && !oversized && b->nrecs) {
		struct rec *prev = &b->recs[b->nrecs - 1];
		if (prev->whole == NO_WHOLE && prev->parsed && !prev->oversized && prev->time_us == ev.time_us &&
		    prev->lines < UINT32_MAX) {
			prev->lines++;
			return;
		}
	}
	struct rec *r = &b->recs[b->nrecs++];
	*r = (struct rec){ .time_us = ev.time_us, .lines = 1, .whole = NO_WHOLE, .parsed = parsed, .oversized = oversized };
	if (!tag)
		return;
	char *copy = b->text + b->used;
	memcpy(copy, line, len);
	b->used += len;
	r->whole = (uint16_t)b->nwholes;
	struct whole *w = &b->wholes[b->nwholes++];
	w->tag = tag;
	w->host = rebase(ev.host, line, len, copy);
	w->program = rebase(ev.program, line, len, copy);
	w->msg = rebase(ev.msg, line, len, copy);
	w->pid = ev.pid;
	w->nfields = ev.nfields < AHEAD_FIELDS ? ev.nfields : AHEAD_FIELDS;
	for (size_t i = 0; i < w->nfields; i++)
		w->fields[i] = (struct swl_field){ ev.fields[i].name, rebase(ev.fields[i].value, line, len, copy) };
}

static void *reader(void *arg)
{
	struct swl_ahead *a = arg;
	struct batch *b = take_free(a);
	while (b) {
		const char *line;
		size_t len;
		bool oversized;
		int r = swl_lines_next(a->lines, &line, &len, &oversized);
		if (r <= 0) {
			b->last = true;
			b->status = r;
			publish(a);
			break;
		}
		bool full = b->nrecs == SWL_AHEAD_LINES || b->nwholes == SWL_AHEAD_WANTED;
		if (full || (b->nrecs && len > b->cap - b->used)) {
			publish(a);
			if (!(b = take_free(a)))
				break;
		}
		if (len > b->cap) { /* a line longer than a batch's text: bounded by max_line */
			free(b->text);
			b->text = swl_xcalloc(1, len);
			b->cap = len;
		}
		add_line(a, b, line, len, oversized);
	}
	return NULL;
}

int swl_ahead_start(struct swl_lines *l, struct swl_parser *ps, swl_ahead_filter *filter, const void *filter_arg,
		    struct swl_ahead **out)
{
	struct swl_ahead *a = swl_xcalloc(1, sizeof(*a));
	a->lines = l;
	a->parser = ps;
	a->filter = filter;
	a->filter_arg = filter_arg;
	swl_twins_init(&a->twins);
	for (size_t i = 0; i < SWL_AHEAD_BATCHES; i++) {
		/* zeroed: PCRE2's JIT may read a few bytes past the end of a subject */
		a->batches[i].text = swl_xcalloc(1, SWL_AHEAD_TEXT);
		a->batches[i].cap = SWL_AHEAD_TEXT;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->filled, NULL);
	pthread_cond_init(&a->freed, NULL);
	int r = pthread_create(&a->thread, NULL, reader, a);
	a->started = r == 0;
	if (r != 0) {
		swl_ahead_stop(a);
		*out = NULL;
		return -r;
	}
	*out = a;
	return 0;
}

/* Caller: the batch it reads now, waiting until the reader has published it. */
static struct batch *current(struct swl_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	while (a->produced == a->released)
		pthread_cond_wait(&a->filled, &a->lock);
	struct batch *b = &a->batches[a->released % SWL_AHEAD_BATCHES];
	pthread_mutex_unlock(&a->lock);
	return b;
}

static void give_back(struct swl_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	a->released++;
	if (a->reader_waits && a->produced - a->released <= SWL_AHEAD_BATCHES / 2) {
		a->reader_waits = false;
		pthread_cond_signal(&a->freed);
	}
	pthread_mutex_unlock(&a->lock);
	a->pos = 0;
}

int swl_ahead_next(struct swl_ahead *a, struct swl_ahead_line *line)
{
	if (a->done)
		return a->status;
	if (!a->cur)
		a->cur = current(a);
	while (a->pos == a->cur->nrecs) {
		if (a->cur->last) {
			a->done = true;
			a->status = a->cur->status;
			return a->status;
		}
		give_back(a);
		a->cur = current(a);
	}
	const struct rec *r = &a->cur->recs[a->pos++];
	struct swl_event *ev = &a->ev;
	*line = (struct swl_ahead_line){ .ev = ev, .lines = r->lines, .parsed = r->parsed, .oversized = r->oversized };
	ev->time_us = r->time_us;
	line->twin = r->whole == TWIN;
	if (r->whole == NO_WHOLE || r->whole == TWIN) {
		ev->host = ev->program = ev->msg = SWL_STR_NULL;
		ev->pid = -1;
		ev->nfields = 0;
		return 1;
	}
	const struct whole *w = &a->cur->wholes[r->whole];
	line->tag = w->tag;
	ev->host = w->host;
	ev->program = w->program;
	ev->msg = w->msg;
	ev->pid = w->pid;
	ev->nfields = w->nfields;
	memcpy(ev->fields, w->fields, w->nfields * sizeof(w->fields[0]));
	return 1;
}

void swl_ahead_stop(struct swl_ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_signal(&a->freed);
	pthread_mutex_unlock(&a->lock);
	if (a->started)
		pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->filled);
	pthread_cond_destroy(&a->freed);
	pthread_mutex_destroy(&a->lock);
	for (size_t i = 0; i < SWL_AHEAD_BATCHES; i++)
		free(a->batches[i].text);
	free(a);
}

/* ---- replay: log files as a source ---- */

struct ahead_source {
	struct swl_source s;
	const struct swl_source_conf *c;
	struct swl_pipeline *p;
	struct swl_lines *l;
	struct swl_ahead *a;
};

static bool ahead_claims(const char *path)
{
	(void)path;
	return true; /* plain or gzip (told by content), or "-": whatever no other source claims */
}

static struct swl_source *ahead_create(const struct swl_source_conf *c, struct swl_pipeline *p)
{
	struct ahead_source *as = swl_xcalloc(1, sizeof(*as));
	as->s = (struct swl_source){ .fd = -1 };
	as->c = c;
	as->p = p;
	return &as->s;
}

static int ahead_start(struct swl_source *s, const struct swl_state_pos *saved, struct swl_err *err)
{
	struct ahead_source *as = (struct ahead_source *)s;
	const char *path = as->c->paths[0];
	(void)saved;
	int r = swl_lines_open(path, as->c->max_line, &as->l);
	if (r < 0) {
		swl_errf(err, "%s: %s", path, strerror(-r));
		return r;
	}
	/* a pinned year goes on from where the file before ended */
	swl_parser_next_file(&as->p->parser, swl_lines_mtime(as->l));
	/* a second thread reads and parses while this one applies the rules */
	r = swl_ahead_start(as->l, &as->p->parser, swl_rules_line_filter, as->p->rules, &as->a);
	if (r < 0)
		swl_errf(err, "%s: %s", path, strerror(-r));
	return r;
}

static int ahead_read(struct swl_source *s, size_t max, struct swl_source_read *rd)
{
	struct ahead_source *as = (struct ahead_source *)s;
	struct swl_pipeline *p = as->p;
	struct swl_ahead_line al;
	size_t n = 0;
	int r = 1;
	while (n < max && (r = swl_ahead_next(as->a, &al)) > 0) {
		if (al.twin)
			swl_pipeline_twin(p, al.ev->time_us);
		else if (al.tag)
			swl_pipeline_parsed(p, al.ev, al.parsed, al.oversized, al.tag);
		else
			swl_pipeline_unwanted(p, al.ev->time_us, al.lines, al.parsed, al.oversized);
		n++;
	}
	rd->entries = n;
	rd->more = n == max;
	rd->ended = r <= 0;
	return r < 0 ? r : 0;
}

static void ahead_progress(struct swl_source *s, uint64_t *done, uint64_t *size)
{
	struct ahead_source *as = (struct ahead_source *)s;
	*done = swl_lines_consumed(as->l);
	*size = swl_lines_size(as->l);
}

static void ahead_close(struct swl_source *s)
{
	struct ahead_source *as = (struct ahead_source *)s;
	swl_ahead_stop(as->a);
	swl_lines_close(as->l);
	free(as);
}

const struct swl_source_type swl_source_ahead = {
	.name = "log files",
	.claims = ahead_claims,
	.create = ahead_create,
	.start = ahead_start,
	.read = ahead_read,
	.progress = ahead_progress,
	.close = ahead_close,
};
