/* text-table.c - the one engine for the tables people read: columns that
 * say what each cell of a row is, widths taken from every cell, text on
 * the left, numbers on the right, two spaces between, and a TOTAL line. */
#include <string.h>

#include "internal.h"

#define MAX_COLUMNS 32

static size_t site_len(const struct memstats_row *r)
{
	return strlen(r->file ? r->file : "?") + 1 + u64_len(r->line);
}

static size_t cell_len(const struct cell *c, const struct memstats_row *r)
{
	switch (c->kind) {
	case CELL_SITE: return site_len(r);
	case CELL_TEXT: return strlen(c->text ? c->text : "-");
	case CELL_NUMBER: return u64_len(c->number);
	default: return 0;
	}
}

static void put_cell(struct writer *w, const struct cell *c, const struct memstats_row *r, size_t width, int right)
{
	size_t len = cell_len(c, r);

	if (right)
		w_pad(w, ' ', width - len);
	switch (c->kind) {
	case CELL_SITE:
		w_str(w, r->file ? r->file : "?");
		w_put(w, ":", 1);
		w_u64(w, r->line);
		break;
	case CELL_TEXT:
		w_str(w, c->text ? c->text : "-");
		break;
	case CELL_NUMBER:
		w_u64(w, c->number);
		break;
	default:
		break;
	}
	if (!right)
		w_pad(w, ' ', width - len);
}

/* The TOTAL line's cell: the label first, numbers, nothing else. */
static void total_cell(const struct column *col, size_t i, const struct memstats_row *total, struct cell *out)
{
	col->get(total, col, out);
	if (i == 0)
		*out = (struct cell){ .kind = CELL_TEXT, .text = "TOTAL" };
	else if (out->kind != CELL_NUMBER)
		out->kind = CELL_BLANK;
}

static void end_cell(struct writer *w, size_t i, size_t ncols)
{
	w_str(w, i + 1 == ncols ? "\n" : "  ");
}

void table_write(struct writer *w, const struct column *cols, size_t ncols, const struct memstats_row *const *rows,
		 size_t nrows, const struct memstats_row *total)
{
	size_t width[MAX_COLUMNS];
	struct cell c;

	if (ncols > MAX_COLUMNS)
		ncols = MAX_COLUMNS;
	for (size_t i = 0; i < ncols; i++) {
		width[i] = strlen(cols[i].head);
		for (size_t r = 0; r < nrows; r++) {
			cols[i].get(rows[r], &cols[i], &c);
			if (cell_len(&c, rows[r]) > width[i])
				width[i] = cell_len(&c, rows[r]);
		}
		if (total) {
			total_cell(&cols[i], i, total, &c);
			if (cell_len(&c, total) > width[i])
				width[i] = cell_len(&c, total);
		}
	}
	for (size_t i = 0; i < ncols; i++) {
		put_cell(w, &(struct cell){ .kind = CELL_TEXT, .text = cols[i].head }, NULL, width[i], cols[i].right);
		end_cell(w, i, ncols);
	}
	for (size_t r = 0; r < nrows; r++) {
		for (size_t i = 0; i < ncols; i++) {
			cols[i].get(rows[r], &cols[i], &c);
			put_cell(w, &c, rows[r], width[i], cols[i].right);
			end_cell(w, i, ncols);
		}
	}
	for (size_t i = 0; total && i < ncols; i++) {
		total_cell(&cols[i], i, total, &c);
		put_cell(w, &c, total, width[i], cols[i].right);
		end_cell(w, i, ncols);
	}
}
