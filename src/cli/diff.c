/* diff.c - memstats diff OLD NEW: per row (matched by identity, as merge
 * matches them), the change in calls, bytes and, when both are tracked,
 * live bytes; biggest growth first; a row only in NEW is "new", one only
 * in OLD "gone" (Python tracemalloc's compare_to).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char usage_diff[] =
	"usage: memstats diff OLD NEW\n"
	"  What changed from the report OLD to the report NEW, per row: calls, bytes and\n"
	"  (both tracked) live bytes; biggest growth in bytes first; rows only in NEW are\n"
	"  marked new, rows only in OLD gone.\n";

struct change {
	const struct row *row;            /* NEW's, or OLD's for a gone row */
	long long calls, bytes, live;
	const char *status;               /* "", "new", "gone" */
};

static int by_growth(const void *pa, const void *pb)
{
	const struct change *a = pa, *b = pb;
	char sa[512], sb[512];
	int d;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->calls != b->calls)
		return a->calls > b->calls ? -1 : 1;
	if (a->live != b->live)
		return a->live > b->live ? -1 : 1;
	if ((d = strcmp(row_site(a->row, sa, sizeof(sa)), row_site(b->row, sb, sizeof(sb)))))
		return d;
	return strcmp(a->row->op, b->row->op);
}

static char *signed_cell(long long v)
{
	return v > 0 ? fmt("+%lld", v) : fmt("%lld", v);
}

static void print(struct change *ch, size_t n, int live, const struct report *old, const struct report *new_)
{
	const char *heads[12];
	int right[12], typed = 0;
	size_t nc = 0, appeared = 0, went = 0;
	char **cells;

	for (size_t i = 0; i < n; i++) {
		typed |= ch[i].row->type != NULL;
		appeared += ch[i].status[0] == 'n';
		went += ch[i].status[0] == 'g';
	}
	heads[nc] = "site", right[nc++] = 0;
	heads[nc] = "function", right[nc++] = 0;
	heads[nc] = "op", right[nc++] = 0;
	heads[nc] = "api", right[nc++] = 0;
	if (typed)
		heads[nc] = "type", right[nc++] = 0;
	heads[nc] = "calls", right[nc++] = 1;
	heads[nc] = "bytes", right[nc++] = 1;
	if (live)
		heads[nc] = "live_bytes", right[nc++] = 1;
	heads[nc] = "status", right[nc++] = 0;
	if (!(cells = calloc(n * nc + 1, sizeof(*cells))))
		return;
	for (size_t i = 0; i < n; i++) {
		char **cell = cells + i * nc, buf[512];
		size_t col = 0;

		cell[col++] = fmt("%s", row_site(ch[i].row, buf, sizeof(buf)));
		cell[col++] = fmt("%s", ch[i].row->func ? ch[i].row->func : "?");
		cell[col++] = fmt("%s", ch[i].row->op);
		cell[col++] = fmt("%s", ch[i].row->api);
		if (typed)
			cell[col++] = fmt("%s", ch[i].row->type ? ch[i].row->type : "-");
		cell[col++] = signed_cell(ch[i].calls);
		cell[col++] = signed_cell(ch[i].bytes);
		if (live)
			cell[col++] = signed_cell(ch[i].live);
		cell[col++] = fmt("%s", ch[i].status);
	}
	printf("memstats diff: %s (pid %lld) to %s (pid %lld): %zu rows, %zu appeared, %zu disappeared\n",
	       old->path, old->pid, new_->path, new_->pid, n, appeared, went);
	table_print(stdout, heads, right, nc, cells, n);
	printf("TOTAL calls %+lld, bytes %+lld", (long long)(new_->total[C_CALLS] - old->total[C_CALLS]),
	       (long long)(new_->total[C_BYTES] - old->total[C_BYTES]));
	if (live)
		printf(", live_bytes %+lld", (long long)(new_->total_live.bytes - old->total_live.bytes));
	putchar('\n');
	for (size_t i = 0; i < n * nc; i++)
		free(cells[i]);
	free(cells);
}

struct sum {
	long long calls, bytes, live;
};

/* Each row's sum over the rows the same as it, at the first of them. */
static struct sum *sums(const struct report *r, const struct index *ix)
{
	struct sum *s = calloc(r->nrows + 1, sizeof(*s));

	for (size_t i = 0; s && i < r->nrows; i++) {
		struct sum *to = &s[index_find(ix, &r->rows[i])];

		to->calls += (long long)r->rows[i].c[C_CALLS];
		to->bytes += (long long)r->rows[i].c[C_BYTES];
		to->live += (long long)r->rows[i].live.bytes;
	}
	return s;
}

/* The changes from old to new: every row of new, then old's gone ones. */
static struct change *changes(const struct report *old, const struct report *new_, size_t *n)
{
	struct change *ch = calloc(old->nrows + new_->nrows + 1, sizeof(*ch));
	struct index in_old = { 0 }, in_new = { 0 };
	struct sum *so = NULL, *sn = NULL;
	char *seen = calloc(old->nrows + 1, 1);
	int ok = ch && seen && index_build(&in_old, old->rows, old->nrows) == 0 &&
		 index_build(&in_new, new_->rows, new_->nrows) == 0 && (so = sums(old, &in_old)) &&
		 (sn = sums(new_, &in_new));

	*n = 0;
	for (size_t i = 0; ok && i < new_->nrows; i++) {
		const struct row *r = &new_->rows[i];
		long o = index_find(&in_old, r);

		if (index_find(&in_new, r) != (long)i)
			continue; /* summed at the first row the same */
		ch[(*n)++] = (struct change){ r, sn[i].calls - (o < 0 ? 0 : so[o].calls),
					      sn[i].bytes - (o < 0 ? 0 : so[o].bytes), sn[i].live - (o < 0 ? 0 : so[o].live),
					      o < 0 ? "new" : "" };
		if (o >= 0)
			seen[o] = 1;
	}
	for (size_t k = 0; ok && k < old->nrows; k++)
		if (!seen[k] && index_find(&in_old, &old->rows[k]) == (long)k)
			ch[(*n)++] = (struct change){ &old->rows[k], -so[k].calls, -so[k].bytes, -so[k].live, "gone" };
	index_free(&in_old);
	index_free(&in_new);
	free(so);
	free(sn);
	free(seen);
	if (!ok) {
		fputs("memstats: out of memory\n", stderr);
		free(ch);
		return NULL;
	}
	return ch;
}

int cmd_diff(int argc, char **argv)
{
	struct report old, new_;
	struct change *ch;
	size_t n;
	int rc = 2;

	if (argc != 3)
		return cli_usage("diff: two reports, OLD and NEW", usage_diff);
	if (report_read(argv[1], &old) < 0)
		return 2;
	if (report_read(argv[2], &new_) < 0) {
		report_free(&old);
		return 2;
	}
	if ((ch = changes(&old, &new_, &n))) {
		qsort(ch, n, sizeof(*ch), by_growth);
		print(ch, n, old.tracked && new_.tracked, &old, &new_);
		rc = fflush(stdout) == 0 ? 0 : 2;
		free(ch);
	}
	report_free(&old);
	report_free(&new_);
	return rc;
}
