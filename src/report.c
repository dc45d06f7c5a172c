/* report.c - which rows a report holds, in which order, and their totals. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "memstats-int.h"

int64_t report_balance(const struct memstats_counters *c)
{
	return (int64_t)(c->alloc_bytes - c->free_bytes);
}

static int has_counts(const struct memstats_row *r)
{
	return r->c.calls || r->c.failed || r->c.bytes || r->c.alloc_bytes || r->c.free_bytes || r->live.blocks;
}

static int contains(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

static int matches(const struct memstats_row *r, const char *m)
{
	return !m || !*m || contains(r->file, m) || contains(r->func, m) || contains(r->api, m) ||
	       contains(r->type, m);
}

int str_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_u64_desc(memstats_u64 a, memstats_u64 b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

int row_cmp_site(const struct memstats_row *a, const struct memstats_row *b)
{
	int d;

	if ((d = str_cmp(a->file, b->file)))
		return d;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if ((d = str_cmp(a->api, b->api)))
		return d;
	if ((d = str_cmp(a->func, b->func)))
		return d;
	return str_cmp(a->type, b->type);
}

/* Biggest first. A free site requests no bytes, so its freed bytes rank it. */
static int by_bytes(const void *pa, const void *pb)
{
	const struct memstats_row *a = pa, *b = pb;
	int d;

	if ((d = cmp_u64_desc(a->c.bytes, b->c.bytes)))
		return d;
	if ((d = cmp_u64_desc(a->c.free_bytes, b->c.free_bytes)))
		return d;
	if ((d = cmp_u64_desc(a->c.calls, b->c.calls)))
		return d;
	return row_cmp_site(a, b);
}

static int by_calls(const void *pa, const void *pb)
{
	const struct memstats_row *a = pa, *b = pb;
	int d;

	if ((d = cmp_u64_desc(a->c.calls, b->c.calls)))
		return d;
	if ((d = cmp_u64_desc(a->c.bytes, b->c.bytes)))
		return d;
	return row_cmp_site(a, b);
}

static int by_site(const void *a, const void *b)
{
	return row_cmp_site(a, b);
}

void report_prepare(struct report *rep, struct memstats_row *rows, size_t n, const struct memstats_options *opt)
{
	static int (*const cmp[])(const void *, const void *) = {
		[MEMSTATS_SORT_BYTES] = by_bytes, [MEMSTATS_SORT_CALLS] = by_calls, [MEMSTATS_SORT_SITE] = by_site,
	};
	size_t kept = 0;

	memset(&rep->total, 0, sizeof(rep->total));
	memset(&rep->live, 0, sizeof(rep->live));
	rep->track = 0;
	rep->foreign_frees = 0;
	rep->opt = *opt;
	rep->nsites = n;
	for (size_t i = 0; i < n; i++) {
		if (!matches(&rows[i], opt->match) || (!opt->all && !has_counts(&rows[i])))
			continue;
		counters_add(&rep->total, &rows[i].c);
		live_add(&rep->live, &rows[i].live);
		rows[kept++] = rows[i];
	}
	if ((unsigned)opt->sort < sizeof(cmp) / sizeof(cmp[0]))
		qsort(rows, kept, sizeof(*rows), cmp[opt->sort]);
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
	default:
		report_text(rep, w);
		break;
	}
	return w_flush(w);
}
