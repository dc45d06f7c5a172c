/* report.c - which rows a report holds, in which order, and their totals;
 * and which format writes it. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int has_counts(const struct memstats_row *r)
{
	return counters_any(&r->c) || r->live.blocks;
}

static int contains(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

static int via_contains(const struct memstats_row *r, const char *m)
{
	for (int i = 0; i < MEMSTATS_VIA_MAX && r->via[i]; i++)
		if (strstr(r->via[i], m))
			return 1;
	return 0;
}

static int matches(const struct memstats_row *r, const char *m)
{
	return !m || !*m || contains(r->file, m) || contains(r->func, m) || contains(r->api, m) ||
	       contains(r->type, m) || contains(r->object, m) || via_contains(r, m);
}

/* What each sort ranks by: fields of the row (offsets), biggest first,
 * then the site. A free site requests no bytes, so its freed bytes rank it
 * by bytes. */
#define KEY(field) offsetof(struct memstats_row, field)
static const size_t *const sort_keys[] = {
	[MEMSTATS_SORT_BYTES] = (const size_t[]){ KEY(c.bytes), KEY(c.free_bytes), KEY(c.calls), 0 },
	[MEMSTATS_SORT_CALLS] = (const size_t[]){ KEY(c.calls), KEY(c.bytes), 0 },
	[MEMSTATS_SORT_SITE] = (const size_t[]){ 0 },
};

static memstats_u64 key_value(const struct memstats_row *r, size_t offset)
{
	return *(const memstats_u64 *)(const void *)((const char *)r + offset);
}

static int by_keys(const void *pa, const void *pb, void *arg)
{
	const struct memstats_row *a = pa, *b = pb;

	for (const size_t *k = arg; *k; k++) {
		memstats_u64 x = key_value(a, *k), y = key_value(b, *k);

		if (x != y)
			return x < y ? 1 : -1;
	}
	return row_cmp_site(a, b);
}

void report_prepare(struct report *rep, struct memstats_row *rows, size_t n, const struct memstats_options *opt)
{
	size_t kept = 0;

	memset(&rep->total, 0, sizeof(rep->total));
	memset(&rep->live, 0, sizeof(rep->live));
	memset(&rep->pool_live, 0, sizeof(rep->pool_live));
	rep->track = 0;
	rep->sampled = 0;
	rep->callers = 0;
	rep->foreign_frees = 0;
	rep->opt = *opt;
	rep->nsites = n;
	for (size_t i = 0; i < n; i++) {
		if (!matches(&rows[i], opt->match) || (!opt->all && !has_counts(&rows[i])))
			continue;
		counters_add(&rep->total, &rows[i].c);
		/* a live pool object sits in a live heap block of its pool's */
		live_add(rows[i].op && strcmp(rows[i].op, "p_alloc") == 0 ? &rep->pool_live : &rep->live, &rows[i].live);
		rows[kept++] = rows[i];
	}
	if ((unsigned)opt->sort < NELEM(sort_keys))
		qsort_r(rows, kept, sizeof(*rows), by_keys, (void *)sort_keys[opt->sort]);
	rep->rows = rows;
	rep->nmatched = kept;
	rep->nrows = opt->top && opt->top < kept ? opt->top : kept;
}

int report_write(const struct report *rep, struct writer *w)
{
	switch (rep->opt.format) {
	case MEMSTATS_FORMAT_JSON:
		report_json(rep, w);
		break;
	case MEMSTATS_FORMAT_CSV:
		report_csv(rep, w);
		break;
	case MEMSTATS_FORMAT_OPENMETRICS:
		report_openmetrics(rep, w);
		break;
	default:
		report_text(rep, w);
		break;
	}
	return w_flush(w);
}
