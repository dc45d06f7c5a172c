/* merge.c - memstats merge REPORT...: one report whose rows sum the rows
 * that are the same site (row_same) over the inputs — processes, forked
 * children, hosts — in the order they first appear; totals summed.
 *
 * Live blocks, live bytes and ages add up exactly, and are kept when every
 * input is tracked; a peak does not (the inputs' peaks were at different
 * times), so a merged report has none.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char usage_merge[] =
	"usage: memstats merge REPORT... [-o PATH]\n"
	"  One JSON report summing the rows that are the same site (file, line, function,\n"
	"  op, api, type, kind, object, via) over the reports: processes, forked children,\n"
	"  hosts. Live counts are kept when every report is tracked; peaks are dropped.\n";

static void add_live(struct live *to, const struct live *from)
{
	to->blocks += from->blocks;
	to->bytes += from->bytes;
	if (from->nages > to->nages) {
		for (int b = to->nages; b < from->nages; b++)
			to->age_min[b] = from->age_min[b];
		to->nages = from->nages;
	}
	for (int b = 0; b < from->nages; b++) {
		to->age_blocks[b] += from->age_blocks[b];
		to->age_bytes[b] += from->age_bytes[b];
	}
}

int merge_reports(struct report *in, size_t n, struct report *out)
{
	size_t total = 0, mask = 1, *slot;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		total += in[i].nrows;
	while (mask < 2 * total)
		mask <<= 1;
	out->rows = calloc(total + 1, sizeof(*out->rows));
	slot = calloc(mask--, sizeof(*slot));
	if (!out->rows || !slot) {
		free(out->rows);
		free(slot);
		fputs("memstats: out of memory\n", stderr);
		return -1;
	}
	out->tracked = 1;
	out->version = 1;
	out->program = n ? in[0].program : NULL;
	for (size_t i = 0; i < n; i++) {
		out->tracked &= in[i].tracked;
		out->version = in[i].version > out->version ? in[i].version : out->version;
		if (out->program && (!in[i].program || strcmp(out->program, in[i].program) != 0))
			out->program = "merged";
		for (int c = 0; c < NCOUNTERS; c++)
			out->total[c] += in[i].total[c];
		add_live(&out->total_live, &in[i].total_live);
		out->foreign_frees += in[i].foreign_frees;
		for (size_t k = 0; k < in[i].nrows; k++) {
			const struct row *r = &in[i].rows[k];
			size_t h = row_hash(r) & mask;
			struct row *to;

			while (slot[h] && !row_same(&out->rows[slot[h] - 1], r))
				h = (h + 1) & mask;
			if (!slot[h]) {
				slot[h] = ++out->nrows;
				out->rows[slot[h] - 1] = *r;
				memset(out->rows[slot[h] - 1].c, 0, sizeof(r->c));
				memset(&out->rows[slot[h] - 1].live, 0, sizeof(r->live));
			}
			to = &out->rows[slot[h] - 1];
			for (int c = 0; c < NCOUNTERS; c++)
				to->c[c] += r->c[c];
			add_live(&to->live, &r->live);
		}
	}
	free(slot);
	return 0;
}

static void live_json(FILE *f, const struct live *l)
{
	fprintf(f, ", \"live_blocks\": %llu, \"live_bytes\": %llu", l->blocks, l->bytes);
	if (!l->nages)
		return;
	fputs(", \"age_histogram\": [", f);
	for (int b = 0; b < l->nages; b++)
		fprintf(f, "%s{\"min_age_s\": %u, \"blocks\": %llu, \"bytes\": %llu}", b ? ", " : "", l->age_min[b],
			l->age_blocks[b], l->age_bytes[b]);
	fputc(']', f);
}

static void row_json(FILE *f, const struct row *r, int tracked)
{
	fputs("{\"kind\": ", f);
	json_str(f, r->kind);
	fputs(", \"file\": ", f);
	json_str(f, r->file);
	if (r->line)
		fprintf(f, ", \"line\": %llu", r->line);
	else
		fputs(", \"line\": null", f);
	const char *const keys[] = { "func", "op", "api", "type", "object", "offset" };
	const char *const vals[] = { r->func, r->op, r->api, r->type, r->object, r->offset };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fprintf(f, ", \"%s\": ", keys[i]);
		json_str(f, vals[i]);
	}
	fputs(", \"via\": ", f);
	if (!r->nvia)
		fputs("null", f);
	for (int i = 0; i < r->nvia; i++) {
		fputs(i ? ", " : "[", f);
		json_str(f, r->via[i]);
	}
	if (r->nvia)
		fputc(']', f);
	for (int c = 0; c < NCOUNTERS; c++)
		fprintf(f, ", \"%s\": %llu", counter_names[c], r->c[c]);
	if (tracked)
		live_json(f, &r->live);
	fputc('}', f);
}

static void report_json(FILE *f, const struct report *m, size_t ninputs)
{
	fprintf(f, "{\"version\": %d, \"pid\": null, \"program\": ", m->version);
	json_str(f, m->program);
	fprintf(f, ", \"merged\": %zu,\n \"sites\": [", ninputs);
	for (size_t i = 0; i < m->nrows; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		row_json(f, &m->rows[i], m->tracked);
	}
	fputs("],\n \"totals\": {", f);
	for (int c = 0; c < NCOUNTERS; c++)
		fprintf(f, "%s\"%s\": %llu", c ? ", " : "", counter_names[c], m->total[c]);
	fprintf(f, ", \"balance\": %lld", (long long)(m->total[C_ALLOC] - m->total[C_FREE]));
	if (m->tracked) {
		fprintf(f, ", \"foreign_frees\": %llu", m->foreign_frees);
		live_json(f, &m->total_live);
	}
	fputs("}}\n", f);
}

int cmd_merge(int argc, char **argv)
{
	struct report *in = calloc((size_t)argc + 1, sizeof(*in)), m;
	const char *path = NULL;
	size_t n = 0;
	struct out o;
	int rc = 2;

	if (!in)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(in);
			return cli_usage("merge: reports, and -o PATH", usage_merge);
		}
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0) {
			i++;
			continue;
		}
		if (report_read(argv[i], &in[n]) < 0)
			goto done;
		n++;
	}
	if (!n) {
		free(in);
		return cli_usage("merge: no report", usage_merge);
	}
	if (merge_reports(in, n, &m) == 0) {
		if (out_open(&o, path) == 0) {
			report_json(o.f, &m, n);
			rc = out_close(&o) == 0 ? 0 : 2;
		}
		free(m.rows);
	}
done:
	for (size_t i = 0; i < n; i++)
		report_free(&in[i]);
	free(in);
	return rc;
}
