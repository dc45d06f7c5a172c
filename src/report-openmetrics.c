/* report-openmetrics.c - the report as OpenMetrics text (MEMSTATS_FORMAT=
 * openmetrics), for Prometheus: written where node_exporter's textfile
 * collector reads (MEMSTATS_OUTPUT=.../memstats-%p.prom, renamed whole
 * like every report file), a fleet is scraped and queried with PromQL.
 *
 * A counter family per counter (memstats_calls_total, ...), declared under
 * its _total name as Prometheus' own text parser and promtool want, and
 * with tracking a gauge per live count; one series per row shown, labelled
 * program, site, func, op, api, kind (and type, object, via when the row
 * has them), one site="other" series summing the rows MEMSTATS_TOP left
 * out (so a query's sums still equal the totals, at a cardinality the
 * operator chose), and the totals labelled program alone. A pool object's
 * live counts are their rows' (the totals' live counts are the heap's).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const struct family {
	const char *name, *help;
	size_t offset;                    /* in struct memstats_row */
	int gauge;
} families[] = {
	{ "memstats_calls_total", "Allocation and free calls counted at the site", offsetof(struct memstats_row, c.calls), 0 },
	{ "memstats_failed_total", "Calls that returned NULL for a request that needed memory",
	  offsetof(struct memstats_row, c.failed), 0 },
	{ "memstats_bytes_total", "Bytes requested by the site's allocations", offsetof(struct memstats_row, c.bytes), 0 },
	{ "memstats_alloc_bytes_total", "Usable bytes the site's allocations obtained",
	  offsetof(struct memstats_row, c.alloc_bytes), 0 },
	{ "memstats_free_bytes_total", "Usable bytes the site's frees released",
	  offsetof(struct memstats_row, c.free_bytes), 0 },
	{ "memstats_live_bytes", "Requested bytes of the site's blocks still live", offsetof(struct memstats_row, live.bytes),
	  1 },
	{ "memstats_live_blocks", "The site's blocks still live", offsetof(struct memstats_row, live.blocks), 1 },
};

static memstats_u64 value_of(const struct memstats_row *r, const struct family *f)
{
	return *(const memstats_u64 *)((const char *)r + f->offset);
}

/* A label value: backslash, double quote and newline escaped. */
static void label(struct writer *w, const char *name, const char *v, int first)
{
	if (!first)
		w_put(w, ",", 1);
	w_str(w, name);
	w_put(w, "=\"", 2);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			w_put(w, "\\", 1), w_put(w, v, 1);
		else if (*v == '\n')
			w_put(w, "\\n", 2);
		else
			w_put(w, v, 1);
	}
	w_put(w, "\"", 1);
}

/* "file:line", or a caller row's "object+0xOFF" (the object's last part). */
static void site_label(struct writer *w, const struct memstats_row *r)
{
	char site[PATH_MAX + 32];
	const char *obj = r->object ? strrchr(r->object, '/') : NULL;

	if (r->file)
		snprintf(site, sizeof(site), "%s:%u", r->file, r->line);
	else
		snprintf(site, sizeof(site), "%s+0x%llx", obj ? obj + 1 : r->object ? r->object : "?",
			 (unsigned long long)r->offset);
	label(w, "site", site, 0);
}

static void row_labels(struct writer *w, const struct report *rep, const struct memstats_row *r)
{
	char via[512];
	size_t n = 0;

	w_put(w, "{", 1);
	label(w, "program", rep->program, 1);
	site_label(w, r);
	label(w, "func", r->func ? r->func : "", 0);
	label(w, "op", r->op, 0);
	label(w, "api", r->api, 0);
	label(w, "kind", row_is_caller(r) ? "caller" : "site", 0);
	if (r->object)
		label(w, "object", r->object, 0);
	if (r->type)
		label(w, "type", r->type, 0);
	via[0] = '\0';
	for (int i = 0; i < MEMSTATS_VIA_MAX && r->via[i] && n < sizeof(via); i++)
		n += (size_t)snprintf(via + n, sizeof(via) - n, "%s%s", i ? "," : "", r->via[i]);
	if (via[0])
		label(w, "via", via, 0);
	w_put(w, "}", 1);
}

static void sample(struct writer *w, const char *name, memstats_u64 v)
{
	w_str(w, name);
	w_put(w, " ", 1);
	w_u64(w, v);
	w_put(w, "\n", 1);
}

static void family(struct writer *w, const struct report *rep, const struct family *f)
{
	memstats_u64 other = 0, total = 0;

	w_str(w, "# TYPE ");
	w_str(w, f->name);
	w_str(w, f->gauge ? " gauge\n# HELP " : " counter\n# HELP ");
	w_str(w, f->name);
	w_put(w, " ", 1);
	w_str(w, f->help);
	w_put(w, "\n", 1);
	for (size_t i = 0; i < rep->nmatched; i++) {
		memstats_u64 v = value_of(&rep->rows[i], f);

		total += v;
		if (i >= rep->nrows) {
			other += v;
			continue;
		}
		w_str(w, f->name);
		row_labels(w, rep, &rep->rows[i]);
		w_put(w, " ", 1);
		w_u64(w, v);
		w_put(w, "\n", 1);
	}
	if (rep->nrows < rep->nmatched) {
		w_str(w, f->name);
		w_put(w, "{", 1);
		label(w, "program", rep->program, 1);
		label(w, "site", "other", 0);
		w_put(w, "}", 1);
		sample(w, "", other);
	}
	w_str(w, f->name);
	w_put(w, "{", 1);
	label(w, "program", rep->program, 1);
	w_put(w, "}", 1);
	/* the totals are the rows' sums (rep->total, rep->live: the heap's) */
	sample(w, "", f->gauge ? total : value_of(&(struct memstats_row){ .c = rep->total }, f));
}

void report_openmetrics(const struct report *rep, struct writer *w)
{
	for (size_t i = 0; i < NELEM(families); i++)
		if (!families[i].gauge || rep->track)
			family(w, rep, &families[i]);
	w_str(w, "# EOF\n");
}
