/* test_report.c - report_prepare(): filtering, totals, sorting, top-N. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A row with what sorting and filtering look at; alloc_bytes = bytes. */
#define ROW(f, l, o, calls_, bytes_, freed_)                                          \
	{ .file = (f), .line = (l), .func = "fn", .op = (o), .api = (o),              \
	  .c = { .calls = (calls_), .bytes = (bytes_), .alloc_bytes = (bytes_), .free_bytes = (freed_) } }

static void prepare(struct report *rep, struct memstats_row *rows, size_t n, enum memstats_sort sort)
{
	const struct memstats_options opt = { .sort = sort };

	report_prepare(rep, rows, n, &opt);
}

/* The rows of rep as "file:line file:line ...". */
static const char *order(const struct report *rep)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rep->nrows; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s:%u", i ? " " : "",
					rep->rows[i].file, rep->rows[i].line);
		ck_assert_uint_lt(len, sizeof(buf));
	}
	return buf;
}

/* Sorting must not depend on the order rows come in: try them as given and
 * reversed. */
static void check_order(const struct memstats_row *rows, size_t n, enum memstats_sort sort, const char *expected)
{
	struct memstats_row fwd[16], rev[16];
	struct report rep;

	ck_assert_uint_le(n, NELEM(fwd));
	for (size_t i = 0; i < n; i++) {
		fwd[i] = rows[i];
		rev[n - 1 - i] = rows[i];
	}
	prepare(&rep, fwd, n, sort);
	ck_assert_str_eq(order(&rep), expected);
	prepare(&rep, rev, n, sort);
	ck_assert_str_eq(order(&rep), expected);
}

START_TEST(test_sort_bytes)
{
	static const struct memstats_row rows[] = {
		ROW("a.c", 1, "malloc", 1, 100, 0),
		ROW("a.c", 2, "malloc", 3, 300, 0),
		ROW("a.c", 3, "free", 2, 0, 500),
		ROW("a.c", 4, "free", 1, 0, 50),
		ROW("a.c", 5, "realloc", 1, 100, 40),
		ROW("a.c", 6, "malloc", 1, 0, 0),
	};

	/* a free requests nothing: its freed bytes rank it among the bytes == 0 */
	check_order(rows, NELEM(rows), MEMSTATS_SORT_BYTES, "a.c:2 a.c:5 a.c:1 a.c:3 a.c:4 a.c:6");
}
END_TEST

START_TEST(test_sort_bytes_ties)
{
	static const struct memstats_row rows[] = {
		ROW("a.c", 20, "malloc", 1, 64, 0),
		ROW("b.c", 9, "malloc", 2, 64, 0),
		ROW("a.c", 3, "malloc", 1, 64, 0),
		ROW("a.c", 100, "malloc", 1, 64, 0),
	};

	/* same bytes and frees: more calls first, then file and line */
	check_order(rows, NELEM(rows), MEMSTATS_SORT_BYTES, "b.c:9 a.c:3 a.c:20 a.c:100");
}
END_TEST

START_TEST(test_sort_calls)
{
	static const struct memstats_row rows[] = {
		ROW("a.c", 1, "malloc", 5, 10, 0),
		ROW("a.c", 2, "malloc", 9, 1, 0),
		ROW("a.c", 3, "malloc", 5, 80, 0),
		ROW("b.c", 1, "malloc", 5, 10, 0),
		ROW("a.c", 4, "free", 5, 0, 999),
	};

	check_order(rows, NELEM(rows), MEMSTATS_SORT_CALLS, "a.c:2 a.c:3 a.c:1 b.c:1 a.c:4");
}
END_TEST

START_TEST(test_sort_site)
{
	static const struct memstats_row rows[] = {
		ROW("b.c", 10, "malloc", 1, 1, 0),
		ROW("a.c", 100, "malloc", 1, 900, 0),
		ROW("ab.c", 1, "malloc", 1, 500, 0),
		ROW("a.c", 9, "malloc", 7, 2, 0),
		ROW("a.c", 2, "free", 1, 0, 64),
	};

	/* lines compare as numbers: 9 before 100 */
	check_order(rows, NELEM(rows), MEMSTATS_SORT_SITE, "a.c:2 a.c:9 a.c:100 ab.c:1 b.c:10");
}
END_TEST

/* Two sites on one line (p = realloc(q, n) after free(r), say) still come
 * out in a fixed order whatever their counters. */
START_TEST(test_sort_same_line)
{
	struct memstats_row rows[] = {
		ROW("x.c", 5, "malloc", 1, 8, 0),
		ROW("x.c", 5, "free", 1, 0, 8),
		ROW("x.c", 5, "calloc", 1, 8, 0),
	};
	struct report rep;

	prepare(&rep, rows, NELEM(rows), MEMSTATS_SORT_SITE);
	ck_assert_str_eq(rep.rows[0].api, "calloc");
	ck_assert_str_eq(rep.rows[1].api, "free");
	ck_assert_str_eq(rep.rows[2].api, "malloc");

	prepare(&rep, rows, NELEM(rows), MEMSTATS_SORT_BYTES);
	ck_assert_str_eq(rep.rows[0].api, "calloc");
	ck_assert_str_eq(rep.rows[1].api, "malloc");
	ck_assert_str_eq(rep.rows[2].api, "free");
}
END_TEST

static struct memstats_row idle_rows[] = {
	ROW("a.c", 1, "malloc", 0, 0, 0),
	ROW("a.c", 2, "malloc", 2, 32, 0),
	ROW("a.c", 3, "free", 0, 0, 0),
	ROW("a.c", 4, "free", 1, 0, 16),
	ROW("a.c", 5, "strdup", 0, 0, 0),
};

START_TEST(test_all_off_hides_idle_rows)
{
	struct memstats_row rows[NELEM(idle_rows)];
	const struct memstats_options opt = { .sort = MEMSTATS_SORT_SITE };
	struct report rep;

	memcpy(rows, idle_rows, sizeof(rows));
	report_prepare(&rep, rows, NELEM(rows), &opt);
	ck_assert_str_eq(order(&rep), "a.c:2 a.c:4");
	ck_assert_uint_eq(rep.nmatched, 2);
	ck_assert_uint_eq(rep.nsites, 5);
}
END_TEST

START_TEST(test_all_on_shows_idle_rows)
{
	struct memstats_row rows[NELEM(idle_rows)];
	const struct memstats_options opt = { .sort = MEMSTATS_SORT_SITE, .all = 1 };
	struct report rep;

	memcpy(rows, idle_rows, sizeof(rows));
	report_prepare(&rep, rows, NELEM(rows), &opt);
	ck_assert_str_eq(order(&rep), "a.c:1 a.c:2 a.c:3 a.c:4 a.c:5");
	ck_assert_uint_eq(rep.nmatched, 5);
	ck_assert_uint_eq(rep.nsites, 5);
	ck_assert_uint_eq(rep.total.calls, 3);
	ck_assert_uint_eq(rep.total.bytes, 32);
	ck_assert_uint_eq(rep.total.free_bytes, 16);
}
END_TEST

static const struct memstats_row named_rows[] = {
	{ .file = "src/parser.c", .line = 1, .func = "parse_expr", .op = "malloc", .api = "malloc",
	  .c = { .calls = 1, .bytes = 10, .alloc_bytes = 16 } },
	{ .file = "src/lexer.c", .line = 2, .func = "next_token", .op = "strdup", .api = "strdup",
	  .c = { .calls = 2, .bytes = 20, .alloc_bytes = 32 } },
	{ .file = "src/tree.c", .line = 3, .func = "tree_add", .op = "malloc", .api = "ha_aligned_alloc_typed",
	  .type = "struct node", .c = { .calls = 4, .bytes = 40, .alloc_bytes = 64 } },
	{ .file = "src/main.c", .line = 4, .func = "main", .op = "free", .api = "free",
	  .c = { .calls = 8, .free_bytes = 48 } },
};

static const struct {
	const char *match;
	const char *rows;
	memstats_u64 calls;
} match_cases[] = {
	{ "parser", "src/parser.c:1", 1 },          /* file */
	{ "token", "src/lexer.c:2", 2 },            /* func */
	{ "strdup", "src/lexer.c:2", 2 },           /* api */
	{ "node", "src/tree.c:3", 4 },              /* type only */
	{ "struct node", "src/tree.c:3", 4 },
	{ "src/", "src/lexer.c:2 src/main.c:4 src/parser.c:1 src/tree.c:3", 15 },
	{ "", "src/lexer.c:2 src/main.c:4 src/parser.c:1 src/tree.c:3", 15 },
	{ NULL, "src/lexer.c:2 src/main.c:4 src/parser.c:1 src/tree.c:3", 15 },
	{ "nowhere", "", 0 },
};

/* Rows whose type is NULL are searched too (and must not crash strstr). */
START_TEST(test_match)
{
	struct memstats_row rows[NELEM(named_rows)];
	const struct memstats_options opt = { .sort = MEMSTATS_SORT_SITE, .match = match_cases[_i].match };
	struct report rep;

	memcpy(rows, named_rows, sizeof(rows));
	report_prepare(&rep, rows, NELEM(rows), &opt);
	ck_assert_str_eq(order(&rep), match_cases[_i].rows);
	ck_assert_uint_eq(rep.total.calls, match_cases[_i].calls);
	ck_assert_uint_eq(rep.nsites, NELEM(named_rows));
	ck_assert_uint_eq(rep.nmatched, rep.nrows);
}
END_TEST

START_TEST(test_top_cuts_rows_not_totals)
{
	struct memstats_row rows[] = {
		ROW("a.c", 1, "malloc", 1, 100, 0),
		ROW("a.c", 2, "malloc", 2, 400, 0),
		ROW("a.c", 3, "free", 3, 0, 250),
		ROW("a.c", 4, "malloc", 4, 300, 0),
		ROW("a.c", 5, "calloc", 5, 200, 0),
		ROW("b.c", 6, "malloc", 6, 999, 0),
	};
	const struct memstats_options opt = { .top = 2, .match = "a.c" };
	struct report rep;

	report_prepare(&rep, rows, NELEM(rows), &opt);
	ck_assert_str_eq(order(&rep), "a.c:2 a.c:4");
	ck_assert_uint_eq(rep.nrows, 2);
	ck_assert_uint_eq(rep.nmatched, 5);
	ck_assert_uint_eq(rep.nsites, 6);
	ck_assert_ptr_eq(rep.rows, rows);
	ck_assert_ptr_eq(rep.opt.match, opt.match);
	ck_assert_uint_eq(rep.opt.top, 2);

	/* every matched row, not only the two shown; b.c is not matched */
	ck_assert_uint_eq(rep.total.calls, 15);
	ck_assert_uint_eq(rep.total.failed, 0);
	ck_assert_uint_eq(rep.total.bytes, 1000);
	ck_assert_uint_eq(rep.total.alloc_bytes, 1000);
	ck_assert_uint_eq(rep.total.free_bytes, 250);
}
END_TEST

START_TEST(test_top_larger_than_rows)
{
	struct memstats_row rows[] = {
		ROW("a.c", 1, "malloc", 1, 100, 0),
		ROW("a.c", 2, "malloc", 1, 200, 0),
	};
	const struct memstats_options opt = { .top = 3 };
	struct report rep;

	report_prepare(&rep, rows, NELEM(rows), &opt);
	ck_assert_uint_eq(rep.nrows, 2);
	ck_assert_uint_eq(rep.nmatched, 2);
	ck_assert_str_eq(order(&rep), "a.c:2 a.c:1");
}
END_TEST

START_TEST(test_totals_count_failures)
{
	struct memstats_row rows[] = {
		{ .file = "a.c", .line = 1, .op = "malloc", .c = { .calls = 3, .failed = 2, .bytes = 3000, .alloc_bytes = 1008 } },
		{ .file = "a.c", .line = 2, .op = "calloc", .c = { .calls = 1, .failed = 1, .bytes = 1 << 30 } },
	};
	const struct memstats_options opt = { 0 };
	struct report rep;

	report_prepare(&rep, rows, NELEM(rows), &opt);
	ck_assert_uint_eq(rep.total.calls, 4);
	ck_assert_uint_eq(rep.total.failed, 3);
	ck_assert_uint_eq(rep.total.bytes, 3000 + (1 << 30));
	ck_assert_uint_eq(rep.total.alloc_bytes, 1008);
}
END_TEST

START_TEST(test_balance)
{
	const struct memstats_counters leak = { .alloc_bytes = 300, .free_bytes = 100 };
	const struct memstats_counters even = { .alloc_bytes = 64, .free_bytes = 64 };
	/* frees of blocks allocated outside instrumented code */
	const struct memstats_counters over = { .alloc_bytes = 100, .free_bytes = 300 };

	ck_assert_int_eq(row_balance(&leak), 200);
	ck_assert_int_eq(row_balance(&even), 0);
	ck_assert_int_eq(row_balance(&over), -200);
}
END_TEST

Suite *suite_report(void)
{
	Suite *s = suite_create("report");
	TCase *sort = tcase_create("sort");
	TCase *filter = tcase_create("filter");

	tcase_add_test(sort, test_sort_bytes);
	tcase_add_test(sort, test_sort_bytes_ties);
	tcase_add_test(sort, test_sort_calls);
	tcase_add_test(sort, test_sort_site);
	tcase_add_test(sort, test_sort_same_line);
	suite_add_tcase(s, sort);

	tcase_add_test(filter, test_all_off_hides_idle_rows);
	tcase_add_test(filter, test_all_on_shows_idle_rows);
	tcase_add_loop_test(filter, test_match, 0, (int)NELEM(match_cases));
	tcase_add_test(filter, test_top_cuts_rows_not_totals);
	tcase_add_test(filter, test_top_larger_than_rows);
	tcase_add_test(filter, test_totals_count_failures);
	tcase_add_test(filter, test_balance);
	suite_add_tcase(s, filter);
	return s;
}
