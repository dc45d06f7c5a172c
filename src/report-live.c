/* report-live.c - the text report's live memory section (MEMSTATS_TRACK=1):
 * the sites whose blocks are still live, most live bytes first, with how
 * old those blocks are; at exit, these are the leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "memstats-int.h"

enum col { L_SITE, L_FUNC, L_API, L_BLOCKS, L_BYTES, L_PEAK, L_AGE0, NCOLS = L_AGE0 + MEMSTATS_AGE_BUCKETS };

static const char *const heads[NCOLS] = {
	"site", "function", "api", "live_blocks", "live_bytes", "peak_bytes",
	"age<1s", "1-10s", "10-100s", "100-1000s", ">=1000s",
};

static memstats_u64 number(const struct memstats_row *r, int c)
{
	switch (c) {
	case L_BLOCKS: return r->live.blocks;
	case L_BYTES: return r->live.bytes;
	case L_PEAK: return r->live.peak_bytes;
	default: return r->live.age_blocks[c - L_AGE0];
	}
}

static const char *text(const struct memstats_row *r, int c)
{
	const char *s = c == L_FUNC ? r->func : r->api;

	return s ? s : "-";
}

static size_t cell_len(const struct memstats_row *r, int c)
{
	if (c == L_SITE)
		return site_len(r);
	return c < L_BLOCKS ? strlen(text(r, c)) : u64_len(number(r, c));
}

static void cell(struct writer *w, const struct memstats_row *r, int c, size_t width)
{
	if (c == L_SITE)
		w_site(w, r, width);
	else if (c < L_BLOCKS)
		w_left(w, text(r, c), width);
	else
		w_right(w, number(r, c), width);
	w_str(w, c == NCOLS - 1 ? "\n" : "  ");
}

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

static void summary(const struct report *rep, struct writer *w)
{
	w_str(w, "\nLIVE memory (leaks, if the program is exiting): ");
	w_u64(w, rep->live.blocks);
	w_str(w, " blocks, ");
	w_u64(w, rep->live.bytes);
	w_str(w, " bytes requested; peak ");
	w_u64(w, rep->live.peak_bytes);
	w_str(w, " bytes live at once; ");
	w_u64(w, rep->foreign_frees);
	w_str(w, " frees of blocks not allocated by instrumented code\n");
}

void report_live_text(const struct report *rep, struct writer *w)
{
	const struct memstats_row **live = malloc((rep->nmatched ? rep->nmatched : 1) * sizeof(*live));
	size_t n = 0, width[NCOLS];

	summary(rep, w);
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
	for (int c = 0; c < NCOLS; c++) {
		width[c] = strlen(heads[c]);
		for (size_t i = 0; i < n; i++) {
			size_t len = cell_len(live[i], c);
			width[c] = len > width[c] ? len : width[c];
		}
	}
	for (int c = 0; n && c < NCOLS; c++) {
		w_head(w, heads[c], width[c], c >= L_BLOCKS);
		w_str(w, c == NCOLS - 1 ? "\n" : "  ");
	}
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < NCOLS; c++)
			cell(w, live[i], c, width[c]);
	free(live);
}
