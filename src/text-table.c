/* text-table.c - the one engine for the tables people read: columns that
 * say what each cell of a row is, widths taken from every cell, text on
 * the left, numbers on the right, two spaces between, and a TOTAL line. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MAX_COLUMNS 32

/* A caller without a line: object+0xOFF (func+0xOFF), its object by its
 * file name. Every other row is file:line. */
static void caller_text(const struct memstats_row *r, char *buf, size_t size)
{
	const char *obj = r->object ? strrchr(r->object, '/') : NULL;

	obj = obj ? obj + 1 : r->object ? r->object : "?";
	if (r->func)
		snprintf(buf, size, "%s+0x%llx (%s+0x%llx)", obj, (unsigned long long)r->offset, r->func,
			 (unsigned long long)r->func_offset);
	else
		snprintf(buf, size, "%s+0x%llx", obj, (unsigned long long)r->offset);
}

static size_t site_len(const struct memstats_row *r)
{
	char buf[1024];

	if (r->file || !row_is_caller(r))
		return strlen(r->file ? r->file : "?") + 1 + u64_len(r->line);
	caller_text(r, buf, sizeof(buf));
	return strlen(buf);
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

	if (right && width > len)
		w_pad(w, ' ', width - len);
	switch (c->kind) {
	case CELL_SITE:
		if (r->file || !row_is_caller(r)) {
			w_str(w, r->file ? r->file : "?");
			w_put(w, ":", 1);
			w_u64(w, r->line);
		} else {
			char buf[1024];

			caller_text(r, buf, sizeof(buf));
			w_str(w, buf);
		}
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
	if (!right && width > len)
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

/* One line: each cell padded to its column, two spaces between; a last
 * column of text is not padded, and an empty one not even separated (no
 * blanks at the ends of lines). */
static void line(struct writer *w, const struct column *cols, size_t ncols, const size_t *width, const struct cell *c,
		 const struct memstats_row *r)
{
	for (size_t i = 0; i < ncols; i++) {
		int last_text = i + 1 == ncols && !cols[i].right;

		if (i && !(last_text && cell_len(&c[i], r) == 0))
			w_str(w, "  ");
		put_cell(w, &c[i], r, last_text ? 0 : width[i], cols[i].right);
	}
	w_str(w, "\n");
}

void table_write(struct writer *w, const struct column *cols, size_t ncols, const struct memstats_row *const *rows,
		 size_t nrows, const struct memstats_row *total)
{
	size_t width[MAX_COLUMNS];
	struct cell c[MAX_COLUMNS];

	if (ncols > MAX_COLUMNS)
		ncols = MAX_COLUMNS;
	for (size_t i = 0; i < ncols; i++) {
		width[i] = strlen(cols[i].head);
		for (size_t r = 0; r < nrows; r++) {
			cols[i].get(rows[r], &cols[i], &c[0]);
			if (cell_len(&c[0], rows[r]) > width[i])
				width[i] = cell_len(&c[0], rows[r]);
		}
		if (total) {
			total_cell(&cols[i], i, total, &c[0]);
			if (cell_len(&c[0], total) > width[i])
				width[i] = cell_len(&c[0], total);
		}
	}
	for (size_t i = 0; i < ncols; i++)
		c[i] = (struct cell){ .kind = CELL_TEXT, .text = cols[i].head };
	line(w, cols, ncols, width, c, NULL);
	for (size_t r = 0; r < nrows; r++) {
		for (size_t i = 0; i < ncols; i++)
			cols[i].get(rows[r], &cols[i], &c[i]);
		line(w, cols, ncols, width, c, rows[r]);
	}
	if (total) {
		for (size_t i = 0; i < ncols; i++)
			total_cell(&cols[i], i, total, &c[i]);
		line(w, cols, ncols, width, c, total);
	}
}
