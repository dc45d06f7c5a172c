/* top.c - memstats top: a report's rows as a text table, regrouped (by
 * line: the rows themselves; by function, file or object: their sums),
 * sorted by bytes, calls or live bytes, the first N.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char usage_top[] =
	"usage: memstats top REPORT [-n N] [--by line|func|file|object] [--sort bytes|calls|live]\n"
	"  The rows of a JSON report (- : stdin) as a table: one per row (--by line,\n"
	"  the default), or summed per function, file or object; sorted by requested\n"
	"  bytes (the default), calls, or live bytes (a tracked report); the first N.\n";

enum by { BY_LINE, BY_FUNC, BY_FILE, BY_OBJECT };
enum sort { SORT_BYTES, SORT_CALLS, SORT_LIVE };

struct group {
	const struct row *first;          /* BY_LINE: the row itself */
	const char *key;
	size_t nrows;
	unsigned long long c[NCOUNTERS], live_blocks, live_bytes;
};

static enum sort sort_by;

static int cmp_u64(unsigned long long a, unsigned long long b)
{
	return a > b ? -1 : a < b;
}

static int by_sort(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;
	int d = 0;
	char sa[512], sb[512];

	if (sort_by == SORT_LIVE)
		d = cmp_u64(a->live_bytes, b->live_bytes);
	else if (sort_by == SORT_CALLS)
		d = cmp_u64(a->c[C_CALLS], b->c[C_CALLS]);
	if (!d)
		d = cmp_u64(a->c[C_BYTES], b->c[C_BYTES]);
	if (!d)
		d = cmp_u64(a->c[C_FREE], b->c[C_FREE]);
	if (!d)
		d = cmp_u64(a->c[C_CALLS], b->c[C_CALLS]);
	if (!d && a->key && b->key)
		d = strcmp(a->key, b->key);
	if (!d && a->first && b->first)
		d = strcmp(row_site(a->first, sa, sizeof(sa)), row_site(b->first, sb, sizeof(sb)));
	return d;
}

static const char *key_of(const struct row *r, enum by by)
{
	const char *k = by == BY_FUNC ? r->func : by == BY_FILE ? r->file : r->object;

	return k ? k : "?";
}

static unsigned long long hash_key(const char *s)
{
	unsigned long long h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* The groups of rep's rows; *n of them. Keys are found through an open
 * addressing table of group numbers (a report may have 100,000 rows). */
static struct group *group_rows(const struct report *rep, enum by by, size_t *n)
{
	struct group *g = calloc(rep->nrows + 1, sizeof(*g));
	size_t mask = 1;
	size_t *slot;

	while (mask < 2 * rep->nrows)
		mask <<= 1;
	slot = calloc(mask--, sizeof(*slot)); /* group number + 1; 0: free */
	*n = 0;
	if (!g || !slot) {
		free(g);
		free(slot);
		fputs("memstats: out of memory\n", stderr);
		return NULL;
	}
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct row *r = &rep->rows[i];
		struct group *to = NULL;

		if (by != BY_LINE) {
			size_t k = hash_key(key_of(r, by)) & mask;

			while (slot[k] && strcmp(g[slot[k] - 1].key, key_of(r, by)) != 0)
				k = (k + 1) & mask;
			if (slot[k])
				to = &g[slot[k] - 1];
			else
				slot[k] = *n + 1;
		}
		if (!to) {
			to = &g[(*n)++];
			to->first = by == BY_LINE ? r : NULL;
			to->key = by == BY_LINE ? NULL : key_of(r, by);
		}
		to->nrows++;
		for (int c = 0; c < NCOUNTERS; c++)
			to->c[c] += r->c[c];
		to->live_blocks += r->live.blocks;
		to->live_bytes += r->live.bytes;
	}
	free(slot);
	return g;
}

static void print(const struct report *rep, struct group *g, size_t n, size_t shown, enum by by)
{
	static const char *const by_name[] = { "site", "function", "file", "object" };
	const char *heads[16];
	int right[16], typed = 0, via = 0;
	size_t nc = 0, col;
	char **cells;

	int injected = 0;

	for (size_t i = 0; i < shown; i++) {
		injected |= g[i].c[C_INJECTED] != 0;
		typed |= by == BY_LINE && g[i].first->type != NULL;
		via |= by == BY_LINE && g[i].first->nvia > 0;
	}
	heads[nc] = by_name[by], right[nc++] = 0;
	if (by == BY_LINE) {
		heads[nc] = "function", right[nc++] = 0;
		heads[nc] = "op", right[nc++] = 0;
		heads[nc] = "api", right[nc++] = 0;
		if (typed)
			heads[nc] = "type", right[nc++] = 0;
	} else {
		heads[nc] = "rows", right[nc++] = 1;
	}
	for (int c = 0; c < NCOUNTERS; c++)
		if (c != C_INJECTED || injected) /* only when MEMSTATS_FAIL failed some */
			heads[nc] = counter_names[c], right[nc++] = 1;
	if (rep->tracked) {
		heads[nc] = "live_blocks", right[nc++] = 1;
		heads[nc] = "live_bytes", right[nc++] = 1;
	}
	if (via)
		heads[nc] = "wrappers", right[nc++] = 0;
	cells = calloc(shown * nc + 1, sizeof(*cells));
	if (!cells)
		return;
	for (size_t i = 0; i < shown; i++) {
		char **cell = cells + i * nc, buf[512];
		const struct row *r = g[i].first;

		col = 0;
		cell[col++] = fmt("%s", r ? row_site(r, buf, sizeof(buf)) : g[i].key);
		if (r) {
			cell[col++] = fmt("%s", r->func ? r->func : "?");
			cell[col++] = fmt("%s", r->op);
			cell[col++] = fmt("%s", r->api);
			if (typed)
				cell[col++] = fmt("%s", r->type ? r->type : "-");
		} else {
			cell[col++] = fmt("%zu", g[i].nrows);
		}
		for (int c = 0; c < NCOUNTERS; c++)
			if (c != C_INJECTED || injected)
				cell[col++] = fmt("%llu", g[i].c[c]);
		if (rep->tracked) {
			cell[col++] = fmt("%llu", g[i].live_blocks);
			cell[col++] = fmt("%llu", g[i].live_bytes);
		}
		if (via)
			cell[col++] = fmt("%s", r ? row_via(r, buf, sizeof(buf)) : "");
	}
	printf("memstats report: %s", rep->program ? rep->program : "?");
	if (rep->has_pid)
		printf(" (pid %lld)", rep->pid);
	printf(", %zu rows, %zu shown, sorted by %s\n", n, shown,
	       sort_by == SORT_LIVE ? "live bytes" : sort_by == SORT_CALLS ? "calls" : "bytes");
	table_print(stdout, heads, right, nc, cells, shown);
	printf("TOTAL calls %llu, failed %llu, bytes %llu, alloc_bytes %llu, free_bytes %llu", rep->total[C_CALLS],
	       rep->total[C_FAILED], rep->total[C_BYTES], rep->total[C_ALLOC], rep->total[C_FREE]);
	if (rep->tracked)
		printf(", live_blocks %llu, live_bytes %llu", rep->total_live.blocks, rep->total_live.bytes);
	putchar('\n');
	for (size_t i = 0; i < shown * nc; i++)
		free(cells[i]);
	free(cells);
}

static int pick(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

int cmd_top(int argc, char **argv)
{
	static const char *const bys[] = { "line", "func", "file", "object" }, *const sorts[] = { "bytes", "calls", "live" };
	const char *path = NULL;
	long long top = 0;
	int by = BY_LINE, s = SORT_BYTES, rc;
	struct report rep;
	struct group *g;
	size_t n;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			top = strtoll(argv[++i], &end, 10);
			if (*end || top < 0)
				return cli_usage("top: -n takes a number of rows", usage_top);
		} else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc) {
			if ((by = pick(argv[++i], bys, 4)) < 0)
				return cli_usage("top: --by takes line, func, file or object", usage_top);
		} else if (strcmp(argv[i], "--sort") == 0 && i + 1 < argc) {
			if ((s = pick(argv[++i], sorts, 3)) < 0)
				return cli_usage("top: --sort takes bytes, calls or live", usage_top);
		} else if (!path && cli_is_report(argv[i])) {
			path = argv[i];
		} else {
			return cli_usage("top: one report, then options", usage_top);
		}
	}
	if (!path)
		return cli_usage("top: no report", usage_top);
	if (report_read(path, &rep) < 0)
		return 2;
	if (s == SORT_LIVE && !rep.tracked) {
		fprintf(stderr, "memstats: %s: --sort live needs a report with live tracking (MEMSTATS_TRACK=1)\n", path);
		report_free(&rep);
		return 2;
	}
	sort_by = (enum sort)s;
	if (!(g = group_rows(&rep, (enum by)by, &n))) {
		report_free(&rep);
		return 2;
	}
	qsort(g, n, sizeof(*g), by_sort);
	print(&rep, g, n, top && (size_t)top < n ? (size_t)top : n, (enum by)by);
	free(g);
	report_free(&rep);
	rc = fflush(stdout) == 0 ? 0 : 2;
	return rc;
}
