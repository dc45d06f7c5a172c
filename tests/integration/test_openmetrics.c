/* test_openmetrics.c - MEMSTATS_FORMAT=openmetrics: the families, their
 * TYPE and HELP under the _total names, one series per row with exact
 * values, the totals, label values escaped, MEMSTATS_TOP with one
 * site="other" series so the series still add up, the live gauges with
 * tracking, memstats_dump_fd() in the format, # EOF last. The test runs
 * this same program again as a child ("child MODE") with an environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

enum { L_BIG = __LINE__ }; static void child_big(void) { for (int i = 0; i < 3; i++) free(malloc(4000)); }
enum { L_MID = __LINE__ }; static void *child_mid(void) { return calloc(5, 100); }
static const char this_file[] = __FILE__;
#line 100 "we\"ird\\name.c"
static void child_weird(void) { free(strdup("abc")); } /* line 100 of a file with a quote and a backslash */
#line 20 "test_openmetrics.c"

static int child_main(const char *mode)
{
	void *keep;

	child_big();
	keep = child_mid();
	child_weird();
	if (strcmp(mode, "dump") == 0) {
		struct memstats_options o = { .format = MEMSTATS_FORMAT_OPENMETRICS };

		memstats_dump_fd(1, &o);
	}
	free(keep);
	return 0;
}

struct run {
	char dir[256], out[300], err[300], rep[300];
	char *text;
	int status;
};

static void run(struct run *r, const char *mode, const char *const *env)
{
	const char *e[8];
	char var[320];
	int n = 0;

	make_tmpdir(r->dir, sizeof(r->dir));
	snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
	snprintf(r->err, sizeof(r->err), "%s/err", r->dir);
	snprintf(r->rep, sizeof(r->rep), "%s/r.prom", r->dir);
	snprintf(var, sizeof(var), "MEMSTATS_OUTPUT=%s", r->rep);
	e[n++] = "MEMSTATS_FORMAT=openmetrics";
	e[n++] = var;
	for (; env && *env && n < 7; env++)
		e[n++] = *env;
	e[n] = NULL;
	r->status = run_child(mode, e, r->dir, r->out, r->err);
	ck_assert_int_eq(r->status, 0);
	r->text = slurp(strcmp(mode, "dump") == 0 ? r->out : r->rep);
	ck_assert_ptr_nonnull(r->text);
}

static void done(struct run *r)
{
	free(r->text);
	rm_tree(r->dir);
}

/* The value of the series whose line starts with prefix (name{labels), and
 * that there is exactly one. */
static double series(const char *text, const char *prefix)
{
	const char *at = NULL;
	int n = 0;

	for (const char *p = text; (p = strstr(p, prefix)); p++)
		if (p == text || p[-1] == '\n') {
			at = p;
			n++;
		}
	ck_assert_msg(n == 1, "%d series start with %s:\n%s", n, prefix, text);
	return strtod(strchr(at, '}') + 2, NULL);
}

static char *row(const char *metric, int line, const char *func, const char *op, const char *api)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s{program=\"test_openmetrics\",site=\"%s:%d\",func=\"%s\",op=\"%s\","
		 "api=\"%s\",kind=\"site\"", metric, this_file, line, func, op, api);
	return buf;
}

START_TEST(test_families_rows_totals)
{
	struct run r;

	run(&r, "exit", NULL);
	for (const char *const *f = (const char *const[]){ "memstats_calls_total", "memstats_failed_total",
							     "memstats_bytes_total", "memstats_alloc_bytes_total",
							     "memstats_free_bytes_total", NULL };
	     *f; f++) {
		char head[256];

		snprintf(head, sizeof(head), "# TYPE %s counter\n# HELP %s ", *f, *f);
		ck_assert_msg(strstr(r.text, head), "no TYPE and HELP for %s:\n%s", *f, r.text);
	}
	ck_assert_double_eq(series(r.text, row("memstats_calls_total", L_BIG, "child_big", "malloc", "malloc")), 3);
	ck_assert_double_eq(series(r.text, row("memstats_bytes_total", L_BIG, "child_big", "malloc", "malloc")), 12000);
	ck_assert_double_eq(series(r.text, row("memstats_bytes_total", L_MID, "child_mid", "calloc", "calloc")), 500);
	ck_assert_double_eq(series(r.text, row("memstats_calls_total", L_BIG, "child_big", "free", "free")), 3);
	ck_assert_double_eq(series(r.text, "memstats_calls_total{program=\"test_openmetrics\"}"), 10);
	ck_assert_double_eq(series(r.text, "memstats_bytes_total{program=\"test_openmetrics\"}"), 12504);
	ck_assert_ptr_null(strstr(r.text, "memstats_live_bytes"));
	ck_assert_str_eq(r.text + strlen(r.text) - 6, "# EOF\n");
	/* the file name's quote and backslash, escaped */
	ck_assert_msg(strstr(r.text, "site=\"we\\\"ird\\\\name.c:100\""), "%s", r.text);
	done(&r);
}
END_TEST

START_TEST(test_top_and_other)
{
	static const char *const env[] = { "MEMSTATS_TOP=2", NULL };
	struct run r;

	run(&r, "exit", env);
	/* sorted by bytes: BIG's malloc 12000, MID 500; then the rest */
	ck_assert_double_eq(series(r.text, row("memstats_bytes_total", L_BIG, "child_big", "malloc", "malloc")), 12000);
	ck_assert_double_eq(series(r.text, row("memstats_bytes_total", L_MID, "child_mid", "calloc", "calloc")), 500);
	ck_assert_ptr_null(strstr(r.text, "child_weird"));
	ck_assert_double_eq(series(r.text, "memstats_bytes_total{program=\"test_openmetrics\",site=\"other\"}"), 4);
	ck_assert_double_eq(series(r.text, "memstats_calls_total{program=\"test_openmetrics\",site=\"other\"}"), 6);
	ck_assert_double_eq(series(r.text, "memstats_calls_total{program=\"test_openmetrics\"}"), 10);
	done(&r);
}
END_TEST

START_TEST(test_live_gauges)
{
	static const char *const env[] = { "MEMSTATS_TRACK=1", NULL };
	struct run r;

	run(&r, "dump", env); /* at the dump, MID's block is live */
	ck_assert_ptr_nonnull(strstr(r.text, "# TYPE memstats_live_bytes gauge\n# HELP memstats_live_bytes "));
	ck_assert_double_eq(series(r.text, row("memstats_live_bytes", L_MID, "child_mid", "calloc", "calloc")), 500);
	ck_assert_double_eq(series(r.text, row("memstats_live_blocks", L_MID, "child_mid", "calloc", "calloc")), 1);
	ck_assert_double_eq(series(r.text, row("memstats_live_blocks", L_BIG, "child_big", "malloc", "malloc")), 0);
	ck_assert_double_eq(series(r.text, "memstats_live_bytes{program=\"test_openmetrics\"}"), 500);
	done(&r);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2]);

	Suite *s = suite_create("openmetrics");
	TCase *tc = tcase_create("openmetrics");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_families_rows_totals);
	tcase_add_test(tc, test_top_and_other);
	tcase_add_test(tc, test_live_gauges);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
