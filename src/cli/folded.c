/* folded.c - memstats folded REPORT: folded stacks, one line per row,
 * "object;function;file:line N", for flamegraph.pl, inferno and
 * speedscope. N is the row's requested bytes, calls or live bytes; rows
 * where it is 0 are left out (a flame graph has nothing to draw for them).
 */
#include <string.h>

#include "cli.h"

const char usage_folded[] =
	"usage: memstats folded REPORT [--value bytes|calls|live]\n"
	"  Folded stacks, object;function;file:line N, one line per row: N its requested\n"
	"  bytes (the default), calls, or live bytes (a tracked report).\n";

/* A frame's text: ';' separates frames and the last blank the count. */
static void frame(const char *s)
{
	for (; s && *s; s++)
		putchar(*s == ';' ? ',' : *s == ' ' || *s == '\n' ? '_' : *s);
}

int cmd_folded(int argc, char **argv)
{
	const char *path = NULL, *value = "bytes";
	struct report rep;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--value") == 0 && i + 1 < argc)
			value = argv[++i];
		else if (!path && cli_is_report(argv[i]))
			path = argv[i];
		else
			return cli_usage("folded: one report, then --value", usage_folded);
	}
	if (!path)
		return cli_usage("folded: no report", usage_folded);
	if (strcmp(value, "bytes") != 0 && strcmp(value, "calls") != 0 && strcmp(value, "live") != 0)
		return cli_usage("folded: --value takes bytes, calls or live", usage_folded);
	if (report_read(path, &rep) < 0)
		return 2;
	if (value[0] == 'l' && !rep.tracked) {
		fprintf(stderr, "memstats: %s: --value live needs a report with live tracking (MEMSTATS_TRACK=1)\n", path);
		report_free(&rep);
		return 2;
	}
	for (size_t i = 0; i < rep.nrows; i++) {
		const struct row *r = &rep.rows[i];
		unsigned long long v = value[0] == 'b' ? r->c[C_BYTES] : value[0] == 'c' ? r->c[C_CALLS] : r->live.bytes;
		char site[512];

		if (!v)
			continue;
		frame(r->object ? r->object : "?");
		putchar(';');
		frame(r->func ? r->func : "?");
		for (int k = 0; k < r->nvia; k++) {
			putchar(';');
			frame(r->via[k]);
		}
		putchar(';');
		frame(row_site(r, site, sizeof(site)));
		printf(" %llu\n", v);
	}
	rc = fflush(stdout) == 0 ? 0 : 2;
	report_free(&rep);
	return rc;
}
