/* report-text.c - the report a person reads: a header line, one aligned row
 * per site (text-table.c), the TOTAL and BALANCE lines and, with tracking,
 * the live memory section: the sites still holding blocks, most live bytes
 * first, with how old those blocks are (at exit, the leaks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- cells ---------------------------------------------------------------- */

static void site_cell(const struct memstats_row *r, const struct column *col, struct cell *out)
{
	(void)r;
	(void)col;
	*out = (struct cell){ .kind = CELL_SITE };
}

/* A string field of the row, at col->arg. */
static void text_cell(const struct memstats_row *r, const struct column *col, struct cell *out)
{
	*out = (struct cell){ .kind = CELL_TEXT, .text = *(const char *const *)(const void *)((const char *)r + col->arg) };
}

/* A number field of the row, at col->arg. */
static void number_cell(const struct memstats_row *r, const struct column *col, struct cell *out)
{
	*out = (struct cell){ .kind = CELL_NUMBER,
			      .number = *(const memstats_u64 *)(const void *)((const char *)r + col->arg) };
}

/* Requested bytes per call, rounded; a free requests none, so its freed
 * bytes. Not a sum: blank on the TOTAL line (its row has no op). */
static void per_call_cell(const struct memstats_row *r, const struct column *col, struct cell *out)
{
	memstats_u64 b = r->op && strcmp(r->op, "free") == 0 ? r->c.free_bytes : r->c.bytes;

	(void)col;
	if (!r->op)
		*out = (struct cell){ .kind = CELL_BLANK };
	else
		*out = (struct cell){ .kind = CELL_NUMBER, .number = r->c.calls ? (b + r->c.calls / 2) / r->c.calls : 0 };
}

/* "via xstrdup, xmalloc": the wrappers a caller row's calls went through. */
static void via_cell(const struct memstats_row *r, const struct column *col, struct cell *out)
{
	static char buf[512];
	size_t n = 0;

	(void)col;
	if (!r->op || !r->via[0]) {
		*out = (struct cell){ .kind = r->op ? CELL_TEXT : CELL_BLANK, .text = "" };
		return;
	}
	n = (size_t)snprintf(buf, sizeof(buf), "via %s", r->via[0]);
	for (int i = 1; i < MEMSTATS_VIA_MAX && r->via[i] && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", %s", r->via[i]);
	*out = (struct cell){ .kind = CELL_TEXT, .text = buf };
}

static void age_cell(const struct memstats_row *r, const struct column *col, struct cell *out)
{
	*out = (struct cell){ .kind = CELL_NUMBER, .number = r->live.age_blocks[col->arg] };
}

#define TEXT_COLUMN(head, field) { head, 0, text_cell, offsetof(struct memstats_row, field) }

/* ---- the site table ------------------------------------------------------- */

/* site, function, op, api, type (if any row has one), then the counters in
 * their order (MEMSTATS_COUNTERS; injected if any row has one), bytes/call
 * after bytes. */
static size_t site_columns(const struct report *rep, struct column *cols)
{
	static const struct column text[] = {
		{ "site", 0, site_cell, 0 }, TEXT_COLUMN("function", func), TEXT_COLUMN("op", op),
		TEXT_COLUMN("api", api), TEXT_COLUMN("type", type),
	};
	size_t n = 0;
	int typed = 0;

	for (size_t i = 0; i < rep->nrows && !typed; i++)
		typed = rep->rows[i].type != NULL;
	for (size_t i = 0; i < NELEM(text); i++)
		if (text[i].get != text_cell || text[i].arg != offsetof(struct memstats_row, type) || typed)
			cols[n++] = text[i];
	int injected = 0;

	for (size_t i = 0; i < rep->nrows && !injected; i++)
		injected = rep->rows[i].c.injected != 0;
	for (size_t i = 0; i < ncounter_fields; i++) {
		/* injected: only when MEMSTATS_FAIL failed something */
		if (counter_fields[i].offset == offsetof(struct memstats_row, c.injected) && !injected)
			continue;
		cols[n++] = (struct column){ counter_fields[i].name, 1, number_cell, counter_fields[i].offset };
		if (counter_fields[i].offset == offsetof(struct memstats_row, c.bytes))
			cols[n++] = (struct column){ "bytes/call", 1, per_call_cell, 0 };
	}
	for (size_t i = 0; i < rep->nrows; i++) {
		if (rep->rows[i].via[0]) {
			cols[n++] = (struct column){ "wrappers", 0, via_cell, 0 };
			break;
		}
	}
	return n;
}

/* The declared wrappers no call was seen in: a misspelt name, say. */
static void unused_wrappers(struct writer *w)
{
	const char *unused[64];
	size_t n = wrappers_count() ? wrappers_unseen(unused, NELEM(unused)) : 0;

	for (size_t i = 0; i < n; i++) {
		w_str(w, i ? ", " : "; no call seen in wrappers ");
		w_str(w, unused[i]);
	}
}

static void header_line(const struct report *rep, struct writer *w)
{
	static const char *const sorts[] = { "bytes", "calls", "site" };

	w_str(w, "memstats report: ");
	w_str(w, rep->program ? rep->program : "?");
	w_str(w, " (pid ");
	w_i64(w, rep->pid);
	w_str(w, "), ");
	w_u64(w, rep->nmatched);
	w_str(w, rep->opt.all ? " of " : " active of ");
	w_u64(w, rep->nsites);
	w_str(w, " sites");
	if (rep->opt.match && *rep->opt.match) {
		w_str(w, " matching \"");
		w_str(w, rep->opt.match);
		w_str(w, "\"");
	}
	w_str(w, ", sorted by ");
	w_str(w, (unsigned)rep->opt.sort < NELEM(sorts) ? sorts[rep->opt.sort] : "?");
	if (rep->nrows < rep->nmatched) {
		w_str(w, ", top ");
		w_u64(w, rep->nrows);
		w_str(w, " shown");
	}
	unused_wrappers(w);
	w_str(w, "\n");
}

static void balance_line(const struct report *rep, struct writer *w)
{
	w_str(w, "BALANCE ");
	w_i64(w, row_balance(&rep->total));
	w_str(w, " bytes (alloc_bytes ");
	w_u64(w, rep->total.alloc_bytes);
	w_str(w, " - free_bytes ");
	w_u64(w, rep->total.free_bytes);
	w_str(w, "): usable bytes allocated by instrumented code and not freed by it\n");
}

/* ---- the live section ----------------------------------------------------- */

static int by_live_bytes(const void *pa, const void *pb)
{
	const struct memstats_row *a = *(const struct memstats_row *const *)pa;
	const struct memstats_row *b = *(const struct memstats_row *const *)pb;

	if (a->live.bytes != b->live.bytes)
		return a->live.bytes < b->live.bytes ? 1 : -1;
	if (a->live.blocks != b->live.blocks)
		return a->live.blocks < b->live.blocks ? 1 : -1;
	return row_cmp_site(a, b);
}

/* An age bucket's head: age<1s, 1-10s, ..., >=1000s (MEMSTATS_AGES). */
static const char *age_head(size_t b)
{
	static char heads[MEMSTATS_AGE_BUCKETS][32];

	if (b == 0)
		snprintf(heads[b], sizeof(heads[b]), "age<%us", track_age_min_s[1]);
	else if (b + 1 == MEMSTATS_AGE_BUCKETS)
		snprintf(heads[b], sizeof(heads[b]), ">=%us", track_age_min_s[b]);
	else
		snprintf(heads[b], sizeof(heads[b]), "%u-%us", track_age_min_s[b], track_age_min_s[b + 1]);
	return heads[b];
}

/* site, function, api, type (if a listed row has one: a pool's name), the
 * live counts, the ages */
static size_t live_columns(struct column *cols, const struct memstats_row *const *rows, size_t nrows)
{
	static const struct column fixed[] = {
		{ "site", 0, site_cell, 0 }, TEXT_COLUMN("function", func), TEXT_COLUMN("api", api),
		TEXT_COLUMN("type", type),
		{ "live_blocks", 1, number_cell, offsetof(struct memstats_row, live.blocks) },
		{ "live_bytes", 1, number_cell, offsetof(struct memstats_row, live.bytes) },
		{ "peak_bytes", 1, number_cell, offsetof(struct memstats_row, live.peak_bytes) },
	};
	size_t n = 0;
	int typed = 0;

	for (size_t i = 0; i < nrows && !typed; i++)
		typed = rows[i]->type != NULL;
	for (size_t i = 0; i < NELEM(fixed); i++)
		if (typed || fixed[i].get != text_cell || fixed[i].arg != offsetof(struct memstats_row, type))
			cols[n++] = fixed[i];
	for (size_t b = 0; b < MEMSTATS_AGE_BUCKETS; b++)
		cols[n++] = (struct column){ age_head(b), 1, age_cell, b };
	return n;
}

static void live_summary(const struct report *rep, struct writer *w)
{
	w_str(w, "\nLIVE memory (leaks, if the program is exiting): ");
	if (rep->sampled) {
		w_str(w, "estimated from a sample of 1 in ");
		w_u64(w, rep->sampled);
		w_str(w, " bytes: ");
	}
	w_u64(w, rep->live.blocks);
	w_str(w, " blocks, ");
	w_u64(w, rep->live.bytes);
	w_str(w, " bytes requested; peak ");
	w_u64(w, rep->live.peak_bytes);
	w_str(w, " bytes live at once; ");
	w_u64(w, rep->foreign_frees);
	w_str(w, " frees of blocks not allocated by instrumented code");
	if (rep->pool_live.blocks) { /* inside the blocks above, as their pools' */
		w_str(w, "; pool objects: ");
		w_u64(w, rep->pool_live.blocks);
		w_str(w, " live, ");
		w_u64(w, rep->pool_live.bytes);
		w_str(w, " bytes");
	}
	w_str(w, "\n");
}

static void live_section(const struct report *rep, struct writer *w)
{
	const struct memstats_row **live = malloc((rep->nmatched ? rep->nmatched : 1) * sizeof(*live));
	struct column cols[16];
	size_t n = 0;

	live_summary(rep, w);
	if (!live) {
		w_str(w, "(no memory to list the sites)\n");
		return;
	}
	for (size_t i = 0; i < rep->nmatched; i++)
		if (rep->rows[i].live.blocks)
			live[n++] = &rep->rows[i];
	qsort(live, n, sizeof(*live), by_live_bytes);
	if (rep->opt.top && rep->opt.top < n)
		n = rep->opt.top;
	if (n)
		table_write(w, cols, live_columns(cols, live, n), live, n, NULL);
	free(live);
}

/* ---- the report ----------------------------------------------------------- */

void report_text(const struct report *rep, struct writer *w)
{
	const struct memstats_row **rows = malloc((rep->nrows ? rep->nrows : 1) * sizeof(*rows));
	struct memstats_row total = { .c = rep->total };
	struct column cols[16];

	header_line(rep, w);
	if (!rows) {
		w_str(w, "(no memory to list the sites)\n");
		return;
	}
	for (size_t i = 0; i < rep->nrows; i++)
		rows[i] = &rep->rows[i];
	table_write(w, cols, site_columns(rep, cols), rows, rep->nrows, &total);
	free(rows);
	balance_line(rep, w);
	if (rep->track)
		live_section(rep, w);
}
