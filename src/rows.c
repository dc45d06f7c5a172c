/* rows.c - the rows of a report as data: their counter and live fields,
 * listed once for every format, and the order that tells two sites apart.
 */
#include <string.h>

#include "internal.h"

#define COUNTER_FIELD_(name, meaning) { #name, offsetof(struct memstats_row, c.name) },
const struct row_field counter_fields[] = { MEMSTATS_COUNTERS(COUNTER_FIELD_) };
#undef COUNTER_FIELD_
const size_t ncounter_fields = NELEM(counter_fields);

const struct row_field live_fields[] = {
	{ "live_blocks", offsetof(struct memstats_row, live.blocks) },
	{ "live_bytes", offsetof(struct memstats_row, live.bytes) },
	{ "peak_live_bytes", offsetof(struct memstats_row, live.peak_bytes) },
};
const size_t nlive_fields = NELEM(live_fields);

int str_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
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

static const char *kind_of(const struct memstats_row *r)
{
	return r->kind ? r->kind : "site";
}

int row_is_caller(const struct memstats_row *r)
{
	return r->kind && strcmp(r->kind, "caller") == 0;
}

/* The via chains in order; NULL-terminated at MEMSTATS_VIA_MAX at most. */
static int via_cmp(const struct memstats_row *a, const struct memstats_row *b)
{
	for (int i = 0; i < MEMSTATS_VIA_MAX; i++) {
		int d = str_cmp(a->via[i], b->via[i]);

		if (d || (!a->via[i] && !b->via[i]))
			return d;
	}
	return 0;
}

int row_cmp_identity(const struct memstats_row *a, const struct memstats_row *b)
{
	int d;

	if ((d = str_cmp(a->object, b->object)) || (d = row_cmp_site(a, b)) ||
	    (d = strcmp(kind_of(a), kind_of(b))) || (d = str_cmp(a->op, b->op)) || (d = via_cmp(a, b)))
		return d;
	if (!a->file && !b->file && a->offset != b->offset) /* no line: one row per return address */
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

int64_t row_balance(const struct memstats_counters *c)
{
	return (int64_t)(c->alloc_bytes - c->free_bytes);
}

/* Adds l to t (rows of one site, or a total). */
void live_add(struct memstats_live *t, const struct memstats_live *l)
{
	t->blocks += l->blocks;
	t->bytes += l->bytes;
	t->peak_bytes += l->peak_bytes;
	for (int b = 0; b < MEMSTATS_AGE_BUCKETS; b++) {
		t->age_blocks[b] += l->age_blocks[b];
		t->age_bytes[b] += l->age_bytes[b];
	}
}
