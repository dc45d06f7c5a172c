/* snapshot.c - every site as a row: read under the registry lock (so no
 * object is unmapped under it), with its counters summed over the threads
 * and its live data, then given copies of its strings, so that the report
 * is written after the lock is released: a slow reader of the report never
 * stalls the program's threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const op_names[MEMSTATS_OP_COUNT_] = {
	[MEMSTATS_OP_MALLOC] = "malloc",   [MEMSTATS_OP_CALLOC] = "calloc",
	[MEMSTATS_OP_REALLOC] = "realloc", [MEMSTATS_OP_FREE] = "free",
	[MEMSTATS_OP_STRDUP] = "strdup",   [MEMSTATS_OP_STRNDUP] = "strndup",
	[MEMSTATS_OP_P_ALLOC] = "p_alloc", [MEMSTATS_OP_P_FREE] = "p_free",
};

static const char *op_name(unsigned int op)
{
	return op < MEMSTATS_OP_COUNT_ ? op_names[op] : "unknown";
}

static void count_row(struct memstats_site *s, const char *object, void *arg)
{
	(void)s;
	(void)object;
	++*(size_t *)arg;
}

static void count_caller(const struct caller_row *c, void *arg)
{
	(void)c;
	++*(size_t *)arg;
}

static void snapshot_site(struct memstats_row *r, const struct memstats_site *s, const char *object)
{
	memset(r, 0, sizeof(*r));
	r->kind = "site";
	r->file = s->file;
	r->line = s->line;
	r->func = s->func;
	r->op = op_name(s->op);
	r->api = s->api;
	r->type = s->type;
	r->object = object;
	counters_total(s, &r->c);
	track_snapshot_row(__atomic_load_n(&s->id, __ATOMIC_RELAXED), &r->live);
}

struct fill {
	struct memstats_row *rows;
	size_t n, max;
};

static void fill_one(struct memstats_site *s, const char *object, void *arg)
{
	struct fill *f = arg;

	if (f->n < f->max)
		snapshot_site(&f->rows[f->n++], s, object);
}

/* A caller record's row: what resolution found, its counters and live
 * blocks as any site's. */
static void fill_caller(const struct caller_row *c, void *arg)
{
	struct fill *f = arg;
	struct memstats_row *r;

	if (f->n >= f->max)
		return;
	r = &f->rows[f->n++];
	snapshot_site(r, c->site, c->object);
	r->kind = "caller";
	r->file = c->file;
	r->line = c->file ? c->line : 0;
	r->func = c->func;
	r->offset = c->offset;
	r->func_offset = c->func_offset;
	for (int i = 0; i < MEMSTATS_VIA_MAX; i++)
		r->via[i] = c->via[i];
}

static int cmp_identity(const void *a, const void *b)
{
	return row_cmp_identity(a, b);
}

/* One row per site: records of one site (two calls of one function on one
 * line, the calls of one line from several return addresses) are added
 * up; a caller row keeps the lowest of their offsets. */
static size_t merge_rows(struct memstats_row *rows, size_t n)
{
	size_t k = 0;

	qsort(rows, n, sizeof(*rows), cmp_identity);
	for (size_t i = 0; i < n; i++) {
		if (k && row_cmp_identity(&rows[k - 1], &rows[i]) == 0) {
			counters_add(&rows[k - 1].c, &rows[i].c);
			live_add(&rows[k - 1].live, &rows[i].live);
			if (rows[i].offset < rows[k - 1].offset)
				rows[k - 1].offset = rows[i].offset;
		} else
			rows[k++] = rows[i];
	}
	return k;
}

/* Points a row's strings at copies in *buf (advanced past them), so that
 * the row outlives the lock. */
static void own_strings(struct memstats_row *r, char **buf)
{
	const char **fields[] = { &r->file, &r->func, &r->api, &r->type, &r->object };

	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		if (*fields[k]) {
			size_t len = strlen(*fields[k]) + 1;

			memcpy(*buf, *fields[k], len);
			*fields[k] = *buf;
			*buf += len;
		}
	}
}

static size_t strings_size(const struct memstats_row *r)
{
	const char *fields[] = { r->file, r->func, r->api, r->type, r->object };
	size_t n = 0;

	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		n += fields[k] ? strlen(fields[k]) + 1 : 0;
	return n;
}

ssize_t snapshot_take(struct memstats_row **rows, char **strings)
{
	struct fill f = { NULL, 0, 0 };
	size_t n, size = 0;
	char *p;

	registry_lock();
	registry_walk(count_row, &f.max);
	callers_walk(count_caller, &f.max);
	f.rows = malloc((f.max ? f.max : 1) * sizeof(*f.rows));
	if (!f.rows) {
		registry_unlock();
		errno = ENOMEM;
		return -1;
	}
	track_snapshot_begin(registry_ids());
	registry_walk(fill_one, &f);
	callers_walk(fill_caller, &f);
	track_snapshot_end();
	n = merge_rows(f.rows, f.n);
	/* the rows get their own copies of the strings, which a dlclose could
	 * unmap once the lock is released */
	for (size_t i = 0; i < n; i++)
		size += strings_size(&f.rows[i]);
	*strings = p = malloc(size ? size : 1);
	for (size_t i = 0; p && i < n; i++)
		own_strings(&f.rows[i], &p);
	registry_unlock();
	if (!*strings) {
		free(f.rows);
		errno = ENOMEM;
		return -1;
	}
	*rows = f.rows;
	return (ssize_t)n;
}

