/* html.c - memstats html REPORT -o report.html: one self-contained page to
 * open or mail: the totals, a bar chart of the rows with the most bytes
 * (inline SVG), every row in a table, and with tracking the live rows and
 * their ages. Its style and script are in the page (nothing comes from the
 * network); the table is plain HTML, whole without JavaScript, which only
 * adds sorting by a click on a column's head.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char usage_html[] =
	"usage: memstats html REPORT -o PATH\n"
	"  One self-contained HTML page (no network): the totals, a chart of the rows\n"
	"  with the most bytes, every row in a table (click a column to sort), and for a\n"
	"  tracked report the live rows with their ages.\n";

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}"
	"table{border-collapse:collapse}th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	"th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}"
	"svg text{font:12px system-ui,sans-serif}.bar{fill:#4a7bd0}.totals td{border:0}";

/* Click a head: sort its table's body by that column (numbers by data-v). */
static const char script[] =
	"document.querySelectorAll('table.sortable th').forEach(function(th,i){"
	"th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];"
	"var rows=Array.prototype.slice.call(tb.rows);var dir=th.dataset.dir==='d'?1:-1;th.dataset.dir=dir>0?'a':'d';"
	"rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i];var p=x.dataset.v,q=y.dataset.v;"
	"if(p!==undefined&&q!==undefined)return dir*(Number(q)-Number(p));"
	"return dir*y.textContent.localeCompare(x.textContent);});"
	"rows.forEach(function(r){tb.appendChild(r);});});});";

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	esc(f, s);
	fputs("</td>", f);
}

static void td_n(FILE *f, unsigned long long v)
{
	fprintf(f, "<td class=\"n\" data-v=\"%llu\">%llu</td>", v, v);
}

static int by_bytes(const void *pa, const void *pb)
{
	const struct row *a = *(const struct row *const *)pa, *b = *(const struct row *const *)pb;

	if (a->c[C_BYTES] != b->c[C_BYTES])
		return a->c[C_BYTES] > b->c[C_BYTES] ? -1 : 1;
	return a->c[C_FREE] > b->c[C_FREE] ? -1 : a->c[C_FREE] < b->c[C_FREE];
}

static void chart(FILE *f, const struct row *const *rows, size_t n)
{
	size_t shown = 0;
	unsigned long long max = n ? rows[0]->c[C_BYTES] : 0;
	char site[512];

	while (shown < n && shown < 15 && rows[shown]->c[C_BYTES])
		shown++;

	if (!shown || !max)
		return;
	fprintf(f, "<h2>The rows with the most bytes</h2>\n<svg width=\"900\" height=\"%zu\" role=\"img\">\n",
		shown * 22 + 4);
	for (size_t i = 0; i < shown; i++) {
		double w = 520.0 * (double)rows[i]->c[C_BYTES] / (double)max;

		fprintf(f, "<text x=\"0\" y=\"%zu\">", i * 22 + 15);
		esc(f, row_site(rows[i], site, sizeof(site)));
		fprintf(f, " %s</text><rect class=\"bar\" x=\"300\" y=\"%zu\" width=\"%.1f\" height=\"16\"/>"
			   "<text x=\"%.1f\" y=\"%zu\">%llu</text>\n",
			rows[i]->op, i * 22 + 3, w > 1 ? w : 1, 306 + w, i * 22 + 15, rows[i]->c[C_BYTES]);
	}
	fputs("</svg>\n", f);
}

static void rows_table(FILE *f, const struct report *rep, const struct row *const *rows, size_t n)
{
	char buf[512];

	fputs("<h2>Every row</h2>\n<table class=\"sortable\" id=\"rows\"><thead><tr><th>site</th><th>function</th>"
	      "<th>op</th><th>api</th><th>type</th><th>kind</th><th>object</th>", f);
	for (int c = 0; c < NCOUNTERS; c++)
		fprintf(f, "<th class=\"n\">%s</th>", counter_names[c]);
	if (rep->tracked)
		fputs("<th class=\"n\">live_blocks</th><th class=\"n\">live_bytes</th>", f);
	fputs("<th>wrappers</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = rows[i];

		fputs("<tr>", f);
		td(f, row_site(r, buf, sizeof(buf)));
		td(f, r->func ? r->func : "?");
		td(f, r->op);
		td(f, r->api);
		td(f, r->type ? r->type : "");
		td(f, r->kind);
		td(f, r->object ? r->object : "");
		for (int c = 0; c < NCOUNTERS; c++)
			td_n(f, r->c[c]);
		if (rep->tracked) {
			td_n(f, r->live.blocks);
			td_n(f, r->live.bytes);
		}
		td(f, row_via(r, buf, sizeof(buf)));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void live_table(FILE *f, const struct report *rep, const struct row *const *rows, size_t n)
{
	const struct live *t = &rep->total_live;
	char buf[512];

	fprintf(f, "<h2>Live memory and the ages of live blocks</h2>\n<p>%llu blocks live, %llu bytes requested",
		t->blocks, t->bytes);
	if (t->has_peak)
		fprintf(f, "; peak %llu bytes live at once", t->peak);
	fprintf(f, "; %llu frees of blocks not allocated by instrumented code.</p>\n", rep->foreign_frees);
	fputs("<table class=\"sortable\" id=\"live\"><thead><tr><th>site</th><th>function</th><th>api</th><th>type</th>"
	      "<th class=\"n\">live_blocks</th><th class=\"n\">live_bytes</th><th class=\"n\">peak_live_bytes</th>", f);
	for (int b = 0; b < t->nages; b++) {
		if (b + 1 < t->nages)
			fprintf(f, "<th class=\"n\">age %u-%us</th>", t->age_min[b], t->age_min[b + 1]);
		else
			fprintf(f, "<th class=\"n\">age &ge;%us</th>", t->age_min[b]);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = rows[i];

		if (!r->live.blocks)
			continue;
		fputs("<tr>", f);
		td(f, row_site(r, buf, sizeof(buf)));
		td(f, r->func ? r->func : "?");
		td(f, r->api);
		td(f, r->type ? r->type : "");
		td_n(f, r->live.blocks);
		td_n(f, r->live.bytes);
		td_n(f, r->live.peak);
		for (int b = 0; b < t->nages; b++)
			td_n(f, b < r->live.nages ? r->live.age_bytes[b] : 0);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n<p>Ages: bytes of the live blocks in each age bracket.</p>\n", f);
}

static void page(FILE *f, const struct report *rep, const struct row *const *rows, size_t n)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>memstats: ", f);
	esc(f, rep->program ? rep->program : "report");
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>memstats report: ", style);
	esc(f, rep->program ? rep->program : "?");
	if (rep->has_pid)
		fprintf(f, " (pid %lld)", rep->pid);
	fputs("</h1>\n<table class=\"totals\"><tbody>", f);
	for (int c = 0; c < NCOUNTERS; c++)
		fprintf(f, "<tr><td>%s</td><td class=\"n\">%llu</td></tr>", counter_names[c], rep->total[c]);
	fprintf(f, "<tr><td>rows</td><td class=\"n\">%zu</td></tr></tbody></table>\n", n);
	chart(f, rows, n);
	rows_table(f, rep, rows, n);
	if (rep->tracked)
		live_table(f, rep, rows, n);
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
}

int cmd_html(int argc, char **argv)
{
	const char *in, *path;
	const struct row **rows;
	struct report rep;
	struct out o;
	int rc;

	if ((rc = cli_report_and_output(argc, argv, &in, &path, "html", usage_html)))
		return rc;
	rc = 2;
	if (report_read(in, &rep) < 0)
		return 2;
	if ((rows = calloc(rep.nrows + 1, sizeof(*rows)))) {
		for (size_t i = 0; i < rep.nrows; i++)
			rows[i] = &rep.rows[i];
		qsort(rows, rep.nrows, sizeof(*rows), by_bytes);
		if (out_open(&o, path) == 0) {
			page(o.f, &rep, rows, rep.nrows);
			rc = out_close(&o) == 0 ? 0 : 2;
		}
		free(rows);
	}
	report_free(&rep);
	return rc;
}
