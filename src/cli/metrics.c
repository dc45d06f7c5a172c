/* metrics.c - memstats metrics REPORT: the report as OpenMetrics text, for
 * Prometheus (node_exporter's textfile collector) and any OpenMetrics
 * reader. A counter family per counter (memstats_calls_total, ...), and
 * with tracking a gauge per live count; one series per row, labelled
 * program, site, func, op, api, kind, object (and type, via when the row
 * has them), and the process's totals labelled program alone.
 */
#include <string.h>

#include "cli.h"

const char usage_metrics[] =
	"usage: memstats metrics REPORT\n"
	"  The report as OpenMetrics text: memstats_calls_total, memstats_failed_total,\n"
	"  memstats_bytes_total, memstats_alloc_bytes_total, memstats_free_bytes_total\n"
	"  and, tracked, memstats_live_bytes and memstats_live_blocks; one series per row\n"
	"  and one for the process's totals.\n";

static const struct family {
	const char *name, *type, *help;
	int counter;                      /* enum counter, or -1: a live gauge */
	int live_bytes;
} families[] = {
	{ "memstats_calls", "counter", "Allocation and free calls counted at the site", C_CALLS, 0 },
	{ "memstats_failed", "counter", "Calls that returned NULL for a request that needed memory", C_FAILED, 0 },
	{ "memstats_bytes", "counter", "Bytes requested by the site's allocations", C_BYTES, 0 },
	{ "memstats_alloc_bytes", "counter", "Usable bytes the site's allocations obtained", C_ALLOC, 0 },
	{ "memstats_free_bytes", "counter", "Usable bytes the site's frees released", C_FREE, 0 },
	{ "memstats_live_bytes", "gauge", "Requested bytes of the site's blocks still live", -1, 1 },
	{ "memstats_live_blocks", "gauge", "The site's blocks still live", -1, 0 },
};

/* A label value: backslash, double quote and newline escaped. */
static void value(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static void label(const char *name, const char *v, int *first)
{
	printf("%s%s=", *first ? "" : ",", name);
	value(v);
	*first = 0;
}

static void row_labels(const struct report *rep, const struct row *r)
{
	char site[512], via[512];
	int first = 1;

	putchar('{');
	label("program", rep->program ? rep->program : "", &first);
	label("site", row_site(r, site, sizeof(site)), &first);
	label("func", r->func ? r->func : "", &first);
	label("op", r->op, &first);
	label("api", r->api, &first);
	label("kind", r->kind, &first);
	label("object", r->object ? r->object : "", &first);
	if (r->type)
		label("type", r->type, &first);
	if (r->nvia)
		label("via", row_via(r, via, sizeof(via)) + 4, &first);
	putchar('}');
}

static void family(const struct report *rep, const struct family *f)
{
	const char *suffix = f->counter >= 0 ? "_total" : "";

	/* the family named as its samples are: what Prometheus' text parser
	 * (node_exporter's textfile collector, promtool) reads */
	printf("# TYPE %s%s %s\n# HELP %s%s %s\n", f->name, suffix, f->type, f->name, suffix, f->help);
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct row *r = &rep->rows[i];

		printf("%s%s", f->name, suffix);
		row_labels(rep, r);
		printf(" %llu\n", f->counter >= 0 ? r->c[f->counter] : f->live_bytes ? r->live.bytes : r->live.blocks);
	}
	printf("%s%s{program=", f->name, suffix);
	value(rep->program ? rep->program : "");
	printf("} %llu\n", f->counter >= 0 ? rep->total[f->counter]
					   : f->live_bytes ? rep->total_live.bytes : rep->total_live.blocks);
}

int cmd_metrics(int argc, char **argv)
{
	struct report rep;
	int rc;

	if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
		return cli_usage("metrics: one report", usage_metrics);
	if (report_read(argv[1], &rep) < 0)
		return 2;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		if (families[f].counter >= 0 || rep.tracked)
			family(&rep, &families[f]);
	fputs("# EOF\n", stdout);
	rc = fflush(stdout) == 0 ? 0 : 2;
	report_free(&rep);
	return rc;
}
