/* test_callers.c - caller rows: the wrapper names (MEMSTATS_WRAPPERS), the
 * records and the table that finds them, what makes two rows one, and how
 * each format writes a caller row. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

/* ---- wrapper names ---------------------------------------------------------- */

START_TEST(test_wrapper_names)
{
	const char *unseen[8];

	wrappers_init(" xmalloc, xfree ,\txstrdup,,xmalloc , ");
	ck_assert_uint_eq(wrappers_count(), 3);
	ck_assert_str_eq(wrapper_named("xfree"), "xfree");
	ck_assert_ptr_null(wrapper_named("xmallo"));
	ck_assert_ptr_null(wrapper_named("malloc"));
	ck_assert_ptr_null(wrapper_named(NULL));
	ck_assert_uint_eq(wrappers_unseen(unseen, 8), 2); /* xfree was seen: asked for */
	ck_assert_str_eq(unseen[0], "xmalloc");
	ck_assert_str_eq(unseen[1], "xstrdup");
	/* the same name, as stored: via rows point at it */
	ck_assert_ptr_eq(wrapper_named("xmalloc"), wrapper_named("xmalloc"));
}
END_TEST

START_TEST(test_no_wrapper_names)
{
	const char *unseen[1];

	wrappers_init("");
	ck_assert_uint_eq(wrappers_count(), 0);
	ck_assert_ptr_null(wrapper_named("xmalloc"));
	ck_assert_uint_eq(wrappers_unseen(unseen, 1), 0);
}
END_TEST

/* ---- records ------------------------------------------------------------------ */

static const struct memstats_site in_wrapper = { MEMSTATS_SITE_MAGIC, 5, MEMSTATS_OP_MALLOC, 0, 0, 0,
						 "util.c", "xmalloc", "malloc", NULL, { 0 } };

/* One record per (tag, pc, ra), found again without a lock; numbered. */
START_TEST(test_records_by_key)
{
	uintptr_t tag = (uintptr_t)&in_wrapper;
	struct memstats_site *a, *b, *c, *d;

	setenv("MEMSTATS_OUTPUT", "off", 1);
	runtime_enter();
	a = callers_record(NULL, tag, &in_wrapper, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x1000, 0x2000);
	b = callers_record(NULL, tag, &in_wrapper, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x1000, 0x2000);
	c = callers_record(NULL, tag, &in_wrapper, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x1000, 0x3000);
	d = callers_record(NULL, PRELOAD_MALLOC + 1, NULL, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x1000, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_ne(a, c);
	ck_assert_ptr_ne(a, d);
	ck_assert_uint_ne(a->id, 0);
	ck_assert_uint_ne(a->id, c->id);
	ck_assert(a->flags & MEMSTATS_SITE_CALLER);
	ck_assert_str_eq(a->api, "malloc");
	ck_assert_ptr_ne(a->api, in_wrapper.api); /* a site's strings may go with its object: copied */
	ck_assert_ptr_eq(d->api, (const char *)"malloc"); /* static, kept */
}
END_TEST

/* Through a thread's cache: the same records. */
START_TEST(test_records_through_the_cache)
{
	struct caller_cache hot[CALLER_CACHE] = { 0 };
	struct memstats_site *a, *b;

	runtime_enter();
	a = callers_record(NULL, PRELOAD_MALLOC + 1, NULL, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x5000, 0);
	b = callers_record(hot, PRELOAD_MALLOC + 1, NULL, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x5000, 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_eq(callers_record(hot, PRELOAD_MALLOC + 1, NULL, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x5000, 0), a);
	/* another key at the same cache slot replaces it, and both stay right */
	b = callers_record(hot, PRELOAD_CALLOC + 1, NULL, MEMSTATS_OP_CALLOC, "calloc", NULL, 0x5000, 0);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_eq(callers_record(hot, PRELOAD_MALLOC + 1, NULL, MEMSTATS_OP_MALLOC, "malloc", NULL, 0x5000, 0), a);
}
END_TEST

/* Thousands of keys: the table grows, every record still found. */
START_TEST(test_records_many)
{
	struct memstats_site *first[3000];

	runtime_enter();
	for (uintptr_t i = 0; i < 3000; i++)
		first[i] = callers_record(NULL, PRELOAD_FREE + 1, NULL, MEMSTATS_OP_FREE, "free", NULL, 0x100000 + 16 * i, 0);
	for (uintptr_t i = 0; i < 3000; i++)
		ck_assert_ptr_eq(callers_record(NULL, PRELOAD_FREE + 1, NULL, MEMSTATS_OP_FREE, "free", NULL, 0x100000 + 16 * i, 0),
				 first[i]);
}
END_TEST

/* ---- rows ---------------------------------------------------------------------- */

static struct memstats_row caller_row(const char *file, unsigned int line, memstats_u64 offset, const char *via0)
{
	struct memstats_row r = { file, line, "main", "malloc", "malloc", NULL, "/bin/app", { 1, 0, 10, 24, 0 }, { 0 } };

	r.kind = "caller";
	r.offset = offset;
	r.via[0] = via0;
	return r;
}

/* Rows of one line are one row, whatever their return addresses; without a
 * line, one row per return address; a site is never a caller's row. */
START_TEST(test_identity)
{
	struct memstats_row a = caller_row("m.c", 3, 0x10, "xmalloc"), b = caller_row("m.c", 3, 0x20, "xmalloc");
	struct memstats_row c = caller_row(NULL, 0, 0x10, NULL), d = caller_row(NULL, 0, 0x20, NULL);
	struct memstats_row e = caller_row("m.c", 3, 0x10, "xstrdup"), site = a;

	site.kind = "site";
	ck_assert_int_eq(row_cmp_identity(&a, &b), 0);
	ck_assert_int_ne(row_cmp_identity(&c, &d), 0);
	ck_assert_int_ne(row_cmp_identity(&a, &e), 0);
	ck_assert_int_ne(row_cmp_identity(&a, &site), 0);
	ck_assert(row_is_caller(&a));
	ck_assert(!row_is_caller(&site));
	site.kind = NULL; /* rows made before kinds existed are sites */
	ck_assert(!row_is_caller(&site));
}
END_TEST

static char *render_report(struct memstats_row *rows, size_t n, enum memstats_format format, int callers)
{
	const struct memstats_options opt = { .format = format, .sort = MEMSTATS_SORT_SITE };
	struct report rep;
	struct writer w;
	int fd = mem_fd();
	char *s;

	report_prepare(&rep, rows, n, &opt);
	rep.pid = 1;
	rep.program = "app";
	rep.callers = callers;
	w_init(&w, fd);
	ck_assert_int_eq(report_write(&rep, &w), 0);
	s = fd_contents(fd, NULL);
	close(fd);
	return s;
}

START_TEST(test_formats_of_caller_rows)
{
	struct memstats_row rows[2] = { caller_row("m.c", 3, 0x1a2b, "xstrdup"), caller_row(NULL, 0, 0x44, NULL) };
	char *s;

	rows[0].via[1] = "xmalloc";
	rows[1].func_offset = 0x9;
	wrappers_init("");
	s = render_report(rows, 2, MEMSTATS_FORMAT_JSON, 1);
	ck_assert_msg(strstr(s, "{\"version\": 2, "), "%s", s);
	ck_assert_msg(strstr(s, "{\"kind\": \"caller\", \"file\": \"m.c\", \"line\": 3, \"func\": \"main\""), "%s", s);
	ck_assert_msg(strstr(s, "\"offset\": \"0x1a2b\", \"via\": [\"xstrdup\", \"xmalloc\"]"), "%s", s);
	ck_assert_msg(strstr(s, "{\"kind\": \"caller\", \"file\": null, \"line\": null,"), "%s", s);
	ck_assert_msg(strstr(s, "\"offset\": \"0x44\", \"via\": null"), "%s", s);
	free(s);
	s = render_report(rows, 2, MEMSTATS_FORMAT_CSV, 1);
	ck_assert_msg(strstr(s, "\nm.c,3,main,malloc,malloc,,/bin/app,caller,0x1a2b,\"xstrdup,xmalloc\",1,0,10,24,0,0\n"), "%s", s);
	ck_assert_msg(strstr(s, "\n,,main,malloc,malloc,,/bin/app,caller,0x44,,1,0,10,24,0,0\n"), "%s", s);
	free(s);
	s = render_report(rows, 2, MEMSTATS_FORMAT_TEXT, 1);
	ck_assert_msg(strstr(s, "m.c:3 ") && strstr(s, "via xstrdup, xmalloc\n"), "%s", s);
	ck_assert_msg(strstr(s, "app+0x44 (main+0x9) "), "%s", s);
	ck_assert_msg(strstr(s, "  wrappers\n"), "%s", s);
	for (const char *l = s; (l = strchr(l, '\n')) && l[1]; l++)
		ck_assert_msg(l[-1] != ' ', "a line ends in a blank: %s", s);
	free(s);
	/* without caller rows possible, version 1: the keys it always had */
	s = render_report(rows, 1, MEMSTATS_FORMAT_JSON, 0);
	ck_assert_msg(strstr(s, "{\"version\": 1, "), "%s", s);
	free(s);
}
END_TEST

/* MEMSTATS_MATCH finds a row by its object and its wrappers too. */
START_TEST(test_match_on_object_and_via)
{
	struct memstats_row rows[3] = { caller_row("m.c", 3, 0x10, "xstrdup"), caller_row("m.c", 4, 0x20, NULL),
					caller_row("n.c", 5, 0x30, NULL) };
	struct memstats_options opt = { .match = "xstr" };
	struct report rep;

	rows[2].object = "/lib/libzz.so";
	report_prepare(&rep, rows, 3, &opt);
	ck_assert_uint_eq(rep.nmatched, 1);
	ck_assert_uint_eq(rep.rows[0].line, 3);
	opt.match = "libzz";
	report_prepare(&rep, rows, 3, &opt);
	ck_assert_uint_eq(rep.nmatched, 1);
}
END_TEST

Suite *suite_callers(void)
{
	Suite *s = suite_create("callers");
	TCase *names = tcase_create("wrapper names");
	TCase *records = tcase_create("records");
	TCase *rows = tcase_create("rows");

	tcase_add_test(names, test_wrapper_names);
	tcase_add_test(names, test_no_wrapper_names);
	suite_add_tcase(s, names);
	tcase_add_test(records, test_records_by_key);
	tcase_add_test(records, test_records_through_the_cache);
	tcase_add_test(records, test_records_many);
	suite_add_tcase(s, records);
	tcase_add_test(rows, test_identity);
	tcase_add_test(rows, test_formats_of_caller_rows);
	tcase_add_test(rows, test_match_on_object_and_via);
	suite_add_tcase(s, rows);
	return s;
}
