/* report-text.c - the table a person reads: one aligned row per site, then
 * totals and the BALANCE line (then, with tracking, report-live.c's part).
 */
#include <stdio.h>
#include <string.h>

#include "memstats-int.h"

enum col { C_SITE, C_FUNC, C_OP, C_API, C_TYPE, C_CALLS, C_BYTES, C_AVG, C_FAILED, C_ALLOC, C_FREE, NCOLS };

static const char *const heads[NCOLS] = {
	"site", "function", "op", "api", "type", "calls", "bytes", "bytes/call", "failed", "alloc_bytes", "free_bytes",
};

#define FIRST_NUMERIC C_CALLS

/* requested bytes per call; a free requests none, so its freed bytes */
static memstats_u64 per_call(const struct memstats_row *r)
{
	memstats_u64 b = r->op && strcmp(r->op, "free") == 0 ? r->c.free_bytes : r->c.bytes;

	return r->c.calls ? (b + r->c.calls / 2) / r->c.calls : 0;
}

static memstats_u64 number(const struct memstats_row *r, enum col c)
{
	switch (c) {
	case C_CALLS: return r->c.calls;
	case C_BYTES: return r->c.bytes;
	case C_AVG: return per_call(r);
	case C_FAILED: return r->c.failed;
	case C_ALLOC: return r->c.alloc_bytes;
	default: return r->c.free_bytes;
	}
}

static const char *text(const struct memstats_row *r, enum col c)
{
	const char *s = c == C_FUNC ? r->func : c == C_OP ? r->op : c == C_API ? r->api : r->type;

	return s ? s : "-";
}

size_t site_len(const struct memstats_row *r)
{
	return strlen(r->file ? r->file : "?") + 1 + u64_len(r->line);
}

void w_site(struct writer *w, const struct memstats_row *r, size_t width)
{
	w_str(w, r->file ? r->file : "?");
	w_put(w, ":", 1);
	w_u64(w, r->line);
	w_pad(w, ' ', width - site_len(r));
}

void w_left(struct writer *w, const char *s, size_t width)
{
	w_str(w, s);
	w_pad(w, ' ', width - strlen(s));
}

void w_head(struct writer *w, const char *name, size_t width, int right)
{
	if (right)
		w_pad(w, ' ', width - strlen(name));
	w_str(w, name);
	if (!right)
		w_pad(w, ' ', width - strlen(name));
}

void w_right(struct writer *w, memstats_u64 v, size_t width)
{
	w_pad(w, ' ', width - u64_len(v));
	w_u64(w, v);
}

static size_t cell_len(const struct memstats_row *r, enum col c)
{
	if (c == C_SITE)
		return site_len(r);
	if (c < FIRST_NUMERIC)
		return strlen(text(r, c));
	return u64_len(number(r, c));
}

static void cell(struct writer *w, const struct memstats_row *r, enum col c, size_t width)
{
	if (c == C_SITE)
		w_site(w, r, width);
	else if (c < FIRST_NUMERIC)
		w_left(w, text(r, c), width);
	else
		w_right(w, number(r, c), width);
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
	w_str(w, (unsigned)rep->opt.sort < 3 ? sorts[rep->opt.sort] : "?");
	if (rep->nrows < rep->nmatched) {
		w_str(w, ", top ");
		w_u64(w, rep->nrows);
		w_str(w, " shown");
	}
	w_str(w, "\n");
}

void report_text(const struct report *rep, struct writer *w)
{
	struct memstats_row total = { .c = rep->total };
	size_t width[NCOLS];
	int show[NCOLS];

	for (int c = 0; c < NCOLS; c++) {
		width[c] = strlen(heads[c]);
		show[c] = c != C_TYPE;
	}
	for (size_t i = 0; i < rep->nrows; i++) {
		if (rep->rows[i].type)
			show[C_TYPE] = 1;
		for (int c = 0; c < NCOLS; c++) {
			size_t len = cell_len(&rep->rows[i], (enum col)c);
			width[c] = len > width[c] ? len : width[c];
		}
	}
	for (int c = FIRST_NUMERIC; c < NCOLS; c++) {
		size_t len = u64_len(number(&total, (enum col)c));
		width[c] = len > width[c] ? len : width[c];
	}

	header_line(rep, w);
	for (int c = 0; c < NCOLS; c++) {
		if (!show[c])
			continue;
		w_head(w, heads[c], width[c], c >= FIRST_NUMERIC);
		w_str(w, c == NCOLS - 1 ? "\n" : "  ");
	}
	for (size_t i = 0; i < rep->nrows; i++) {
		for (int c = 0; c < NCOLS; c++) {
			if (!show[c])
				continue;
			cell(w, &rep->rows[i], (enum col)c, width[c]);
			w_str(w, c == NCOLS - 1 ? "\n" : "  ");
		}
	}

	/* totals: the label spans the text columns, bytes/call stays empty */
	size_t label = 0;
	for (int c = 0; c < FIRST_NUMERIC; c++)
		label += show[c] ? width[c] + 2 : 0;
	w_str(w, "TOTAL");
	w_pad(w, ' ', label - 5);
	for (int c = FIRST_NUMERIC; c < NCOLS; c++) {
		if (c == C_AVG)
			w_pad(w, ' ', width[c]);
		else
			cell(w, &total, (enum col)c, width[c]);
		w_str(w, c == NCOLS - 1 ? "\n" : "  ");
	}
	w_str(w, "BALANCE ");
	w_i64(w, report_balance(&rep->total));
	w_str(w, " bytes (alloc_bytes ");
	w_u64(w, rep->total.alloc_bytes);
	w_str(w, " - free_bytes ");
	w_u64(w, rep->total.free_bytes);
	w_str(w, "): usable bytes allocated by instrumented code and not freed by it\n");
	if (rep->track)
		report_live_text(rep, w);
}
