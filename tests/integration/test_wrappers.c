/* test_wrappers.c - MEMSTATS_WRAPPERS: a counted call inside a declared
 * wrapper is counted at the line that called the wrapper, as a caller row
 * naming the wrappers it went through (via), whether the wrapper is in
 * another file (wrappers/util.c), static inline in a header and inlined,
 * in a shared library (wrappers/lib.c), nested, ended by a tail call, or
 * reached through a function pointer (Lua's l_alloc). The wrappers' own
 * sites count nothing. Built with -include memstats.h at the optimisation
 * of CFLAGS (the matrix builds it at others); the program runs itself again
 * with MEMSTATS_WRAPPERS set.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "itest.h"
#include "wrappers/wrappers.h"

#define WRAPPERS "xmalloc, xrealloc,xstrdup,xfree, tmalloc,ymalloc,zmalloc,zfree,l_alloc,luaM_malloc_,luaM_free_,nosuchwrapper"

#define ck_assert_caller(line, op, calls_, bytes_, via_, func_)                            \
	do {                                                                               \
		struct rows_at c_ = rows_at(__FILE__, (line), (op));                              \
		ck_assert_str_eq(c_.kind, "caller");                                       \
		ck_assert_uint_eq(c_.calls, (calls_));                                     \
		ck_assert_uint_eq(c_.bytes, (bytes_));                                     \
		ck_assert_str_eq(c_.via, (via_));                                          \
		ck_assert_str_eq(c_.func, (func_));                                        \
	} while (0)

static void *v[64];

START_TEST(test_wrapper_in_another_file)
{
	for (int i = 0; i < 3; i++) {
		enum { L = __LINE__ }; v[i] = xmalloc(10);
		if (i == 2)
			ck_assert_caller(L, "malloc", 3, 30, "xmalloc", "test_wrapper_in_another_file_fn");
	}
	enum { LF = __LINE__ + 2 };
	for (int i = 0; i < 3; i++)
		xfree(v[i]);
	ck_assert_caller(LF, "free", 3, 0, "xfree", "test_wrapper_in_another_file_fn");
}
END_TEST

START_TEST(test_nested_wrappers)
{
	char *s = xstrdup("abcd"); enum { L = __LINE__ };

	ck_assert_caller(L, "malloc", 1, 5, "xstrdup>xmalloc", "test_nested_wrappers_fn");
	s = xrealloc(s, 100); enum { LR = __LINE__ };
	ck_assert_caller(LR, "realloc", 1, 100, "xrealloc", "test_nested_wrappers_fn");
	xfree(s);
}
END_TEST

START_TEST(test_inline_wrapper_in_header)
{
	for (int i = 0; i < 7; i++) {
		void *p = ymalloc(20); enum { L = __LINE__ };

		(free)(p);
		if (i == 6)
			ck_assert_caller(L, "malloc", 7, 140, "ymalloc", "test_inline_wrapper_in_header_fn");
	}
}
END_TEST

START_TEST(test_wrapper_in_shared_library)
{
	enum { L = __LINE__ + 2 };
	for (int i = 0; i < 11; i++)
		v[i] = zmalloc(30);
	ck_assert_caller(L, "malloc", 11, 330, "zmalloc", "test_wrapper_in_shared_library_fn");
	enum { LF = __LINE__ + 2 };
	for (int i = 0; i < 11; i++)
		zfree(v[i]);
	ck_assert_caller(LF, "free", 11, 0, "zfree", "test_wrapper_in_shared_library_fn");
}
END_TEST

START_TEST(test_tail_call_wrapper)
{
	void *p = tmalloc(40); enum { L = __LINE__ };

	ck_assert_caller(L, "malloc", 1, 40, "tmalloc", "test_tail_call_wrapper_fn");
	(free)(p);
}
END_TEST

/* l_alloc is reached through a pointer from luaM_malloc_ and luaM_free_:
 * more than one frame to walk. */
START_TEST(test_wrappers_through_a_function_pointer)
{
	void *p = luaM_malloc_(50); enum { L = __LINE__ };

	ck_assert_caller(L, "realloc", 1, 50, "luaM_malloc_>l_alloc", "test_wrappers_through_a_function_pointer_fn");
	luaM_free_(p, 50); enum { LF = __LINE__ };
	ck_assert_caller(LF, "free", 1, 0, "luaM_free_>l_alloc", "test_wrappers_through_a_function_pointer_fn");
}
END_TEST

/* A plugin calling a wrapper of the program's, unloaded; another one loaded
 * where it was, its calls at the same addresses: counted at its own lines,
 * not at the first one's (the thread's cache of callers knows). */
static uintptr_t plug_through(const char *path, int *line)
{
	void *h = dlopen(path, RTLD_NOW);
	void (*through)(void *(*)(size_t));
	Dl_info info;

	ck_assert_ptr_nonnull(h);
	*line = ((int (*)(void))dlsym(h, "plug_through_line"))();
	through = (void (*)(void *(*)(size_t)))dlsym(h, "plug_through");
	through(xmalloc);
	ck_assert_int_ne(dladdr((void *)through, &info), 0);
	dlclose(h);
	return (uintptr_t)info.dli_fbase;
}

START_TEST(test_caller_loaded_where_another_was)
{
	int line, other_line;
	uintptr_t first = plug_through(PLUG, &line);
	uintptr_t second = plug_through(PLUG_OTHER, &other_line);

	ck_assert_msg(first == second, "the second plugin was not loaded where the first was: nothing to test");
	ck_assert_uint_eq(rows_at("plug.c", (unsigned)line, "malloc").calls, 5);
	ck_assert_uint_eq(rows_at("plug-other.c", (unsigned)other_line, "malloc").calls, 5);
}
END_TEST

/* The wrappers' own sites: every call went to their callers. */
static int wrapper_site_fn(const struct memstats_row *r, void *arg)
{
	const char *f = r->file ? strrchr(r->file, '/') : NULL;

	f = f ? f + 1 : r->file;
	if (f && (strcmp(f, "util.c") == 0 || strcmp(f, "lib.c") == 0 || strcmp(f, "wrappers.h") == 0))
		*(memstats_u64 *)arg += r->c.calls;
	return 0;
}

START_TEST(test_wrapper_sites_count_nothing)
{
	memstats_u64 calls = 0;

	free(xmalloc(1));
	memstats_foreach_site(wrapper_site_fn, &calls);
	ck_assert_uint_eq(calls, 0);
}
END_TEST

static void *in_thread(void *arg)
{
	enum { L_THREAD = __LINE__ + 2 };
	for (int i = 0; i < 10000; i++)
		xfree(xmalloc(8));
	*(int *)arg = L_THREAD;
	return NULL;
}

START_TEST(test_wrappers_under_threads)
{
	pthread_t t[4];
	int line = 0;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, in_thread, &line);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_caller((unsigned)line, "malloc", 40000, 320000, "xmalloc", "in_thread");
	ck_assert_caller((unsigned)line, "free", 40000, 0, "xfree", "in_thread");
}
END_TEST

/* The text report: the caller's line, its wrappers, and the declared name
 * that no call was seen in; MEMSTATS_MATCH finds rows by their wrappers. */
START_TEST(test_text_report_and_match)
{
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_TEXT, .match = "xstrdup" };
	char *s = xstrdup("x"), *text, line[64];
	enum { L = __LINE__ - 1 };
	int fd = memfd_create("report", 0);

	ck_assert_int_eq(memstats_dump_fd(fd, &opt), 0);
	text = (calloc)(1, 1 << 16);
	ck_assert_int_gt(pread(fd, text, (1 << 16) - 1, 0), 0);
	snprintf(line, sizeof(line), "test_wrappers.c:%d ", L);
	ck_assert_msg(strstr(text, line) && strstr(text, "via xstrdup, xmalloc"), "%s", text);
	ck_assert_msg(strstr(text, "; no call seen in wrappers ") && strstr(text, "nosuchwrapper"), "%s", text);
	ck_assert_msg(!strstr(text, "via xmalloc\n"), "rows without xstrdup matched: %s", text);
	(free)(text);
	close(fd);
	xfree(s);
}
END_TEST

/* Tracking: the blocks a wrapper allocated are live at its caller's line.
 * A child of its own (no Check assertion in it: it is not a test). */
static int tracked_child(void)
{
	void *keep[5];

	enum { L = __LINE__ + 2 };
	for (int i = 0; i < 5; i++)
		keep[i] = xmalloc(16);
	struct rows_at c = find_rows(__FILE__, L, "malloc");
	xfree(keep[0]);
	struct rows_at d = find_rows(__FILE__, L, "malloc");
	return c.live_blocks == 5 && d.live_blocks == 4 ? 0 : 1;
}

START_TEST(test_tracking_at_the_callers_line)
{
	static const char *const env[] = { "MEMSTATS_TRACK=1", "MEMSTATS_OUTPUT=off", "MEMSTATS_WRAPPERS=" WRAPPERS, NULL };

	ck_assert_int_eq(run_child_checking_itself("track", env), 0);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return tracked_child();
	run_again_with(argv, (const char *const[]){ "MEMSTATS_WRAPPERS=" WRAPPERS, NULL });

	Suite *s = suite_create("wrappers");
	TCase *tc = tcase_create("wrappers");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_wrapper_in_another_file);
	tcase_add_test(tc, test_nested_wrappers);
	tcase_add_test(tc, test_inline_wrapper_in_header);
	tcase_add_test(tc, test_wrapper_in_shared_library);
	tcase_add_test(tc, test_tail_call_wrapper);
	tcase_add_test(tc, test_wrappers_through_a_function_pointer);
	tcase_add_test(tc, test_caller_loaded_where_another_was);
	tcase_add_test(tc, test_wrapper_sites_count_nothing);
	tcase_add_test(tc, test_wrappers_under_threads);
	tcase_add_test(tc, test_text_report_and_match);
	tcase_add_test(tc, test_tracking_at_the_callers_line);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
