/* test_faults.c - tests that guard memory: scopes (exact, nested,
 * thread-local, realloc, a failure), memstats_allocs_per_run, and fault
 * injection: each term of a spec, their conjunction, the result a failed
 * call returns, the injected counter, memstats_fail_set, a bad spec. The
 * injection tests run this program again as a child ("child MODE") with
 * MEMSTATS_FAIL, read at start-up.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* ---- scopes ------------------------------------------------------------------ */

START_TEST(test_scope_exact)
{
	char *before = malloc(50);
	size_t u_before = malloc_usable_size(before);
	struct memstats_scope s;

	memstats_scope_begin(&s);
	char *a = malloc(100), *b = calloc(4, 25), *c = strdup("hello");
	size_t ua = malloc_usable_size(a), ub = malloc_usable_size(b), uc = malloc_usable_size(c);
	free(b);
	free(before);
	free(NULL);
	void *huge = malloc((size_t)1 << 62);
	memstats_scope_end(&s);
	ck_assert_ptr_null(huge);
	ck_assert_uint_eq(s.calls, 6);
	ck_assert_uint_eq(s.failed, 1);
	ck_assert_uint_eq(s.bytes, 206 + ((memstats_u64)1 << 62));
	ck_assert_uint_eq(s.alloc_bytes, ua + ub + uc);
	ck_assert_uint_eq(s.free_bytes, ub + u_before);
	ck_assert_uint_eq(s.live_blocks, 2);
	ck_assert_uint_eq(s.live_bytes, 106);
	ck_assert_uint_eq(s.alloc_calls, 4);
	free(a);
	free(c);
}
END_TEST

START_TEST(test_scope_nested_and_realloc)
{
	struct memstats_scope outer, inner;

	memstats_scope_begin(&outer);
	char *x = malloc(10);
	memstats_scope_begin(&inner);
	char *y = malloc(20);
	x = realloc(x, 4000); /* moved or grown: the old block gone, the new one live (inner's) */
	memstats_scope_end(&inner);
	free(y);
	memstats_scope_end(&outer);
	ck_assert_uint_eq(inner.calls, 2);
	ck_assert_uint_eq(inner.bytes, 4020);
	ck_assert_uint_eq(inner.live_blocks, 2); /* y, and x's new block */
	ck_assert_uint_eq(inner.live_bytes, 4020);
	ck_assert_uint_eq(outer.calls, 4);
	ck_assert_uint_eq(outer.live_blocks, 1); /* x */
	ck_assert_uint_eq(outer.live_bytes, 4000);
	free(x);
}
END_TEST

static void *other_thread(void *arg)
{
	for (int i = 0; i < 1000; i++)
		free(malloc(64));
	return arg;
}

START_TEST(test_scope_thread_local)
{
	struct memstats_scope s;
	pthread_t t;

	memstats_scope_begin(&s);
	pthread_create(&t, NULL, other_thread, NULL);
	pthread_join(t, NULL);
	memstats_scope_end(&s);
	ck_assert_uint_eq(s.calls, 0);
	ck_assert_uint_eq(s.bytes, 0);
}
END_TEST

static void *cache;
static int fn_calls;

static void warm_once(void *arg)
{
	(void)arg;
	fn_calls++;
	if (!cache)
		cache = malloc(100);
}

static void three(void *arg)
{
	char *p = malloc(8), *q = calloc(1, 8), *r = strdup("x");

	(void)arg;
	free(p);
	free(q);
	free(r);
}

START_TEST(test_allocs_per_run)
{
	fn_calls = 0;
	ck_assert_double_eq(memstats_allocs_per_run(warm_once, NULL, 10), 0);
	ck_assert_int_eq(fn_calls, 11);
	ck_assert_double_eq(memstats_allocs_per_run(three, NULL, 5), 3);
	free(cache);
}
END_TEST

/* ---- fault injection ----------------------------------------------------------- */

/* 16 allocation calls, A B C D A B C D ...; prints each failed one as
 * NAMEi (with ENOMEM) or NAMEi:errno=E. */
static char *dup_it(const char *s)
{
	return strdup(s);
}

static char *get_b(void) { return calloc(2, 1000); } enum { L_CALLOC = __LINE__ };

static int child_seq(void)
{
	for (int i = 1; i <= 4; i++) {
		void *d = NULL;
		int rc;

		errno = 0;
		char *a = malloc(16);
		if (!a) printf(errno == ENOMEM ? "A%d\n" : "A%d:errno\n", i);
		errno = 0;
		char *b = get_b();
		if (!b) printf(errno == ENOMEM ? "B%d\n" : "B%d:errno\n", i);
		errno = 0;
		char *c = dup_it("x");
		if (!c) printf(errno == ENOMEM ? "C%d\n" : "C%d:errno\n", i);
		rc = posix_memalign(&d, 64, 128);
		if (rc) printf(rc == ENOMEM ? "D%d\n" : "D%d:errno\n", i);
		free(a);
		free(b);
		free(c);
		free(d);
	}
	printf("end\n");
	return 0;
}

static int child_failset(void)
{
	for (int i = 1; i <= 4; i++) {
		if (i == 3 && memstats_fail_set("api=strdup") != 0)
			printf("fail_set failed\n");
		char *s = strdup("abc"), *m = malloc(10);
		if (!s) printf("S%d\n", i);
		if (!m) printf("M%d\n", i);
		free(s);
		free(m);
	}
	if (memstats_fail_set("nonsense") != -1 || errno != EINVAL)
		printf("a bad spec was taken (errno %d)\n", errno);
	char *s = strdup("abc"); /* a bad spec injects nothing */
	if (!s) printf("S5\n");
	free(s);
	printf("end\n");
	return 0;
}

static int child_main(const char *mode)
{
	return strcmp(mode, "failset") == 0 ? child_failset() : child_seq();
}

struct run {
	char dir[256], out[300], err[300];
	char *stdout_text, *stderr_text;
};

/* The child's failed calls under spec (NULL: no MEMSTATS_FAIL), in order. */
static void run(struct run *r, const char *mode, const char *spec, const char *extra)
{
	char var[512];
	const char *env[4] = { "MEMSTATS_OUTPUT=off", NULL, NULL, NULL };

	make_tmpdir(r->dir, sizeof(r->dir));
	snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
	snprintf(r->err, sizeof(r->err), "%s/err", r->dir);
	snprintf(var, sizeof(var), "MEMSTATS_FAIL=%s", spec ? spec : "");
	env[1] = var;
	env[2] = extra;
	ck_assert_int_eq(run_child(mode, env, r->dir, r->out, r->err), 0);
	r->stdout_text = slurp(r->out);
	r->stderr_text = slurp(r->err);
}

static void done(struct run *r)
{
	free(r->stdout_text);
	free(r->stderr_text);
	rm_tree(r->dir);
}

static void fails_are(const char *spec, const char *want)
{
	struct run r;

	run(&r, "seq", spec, NULL);
	ck_assert_msg(strcmp(r.stdout_text, want) == 0, "MEMSTATS_FAIL=%s: failed\n%s, want\n%s", spec, r.stdout_text,
		      want);
	ck_assert_str_eq(r.stderr_text, "");
	done(&r);
}

START_TEST(test_fail_terms)
{
	char spec[128];

	fails_are(NULL, "end\n");
	fails_are("api=calloc", "B1\nB2\nB3\nB4\nend\n");
	fails_are("api=posix_memalign", "D1\nD2\nD3\nD4\nend\n");
	fails_are("site=dup_it", "C1\nC2\nC3\nC4\nend\n");
	snprintf(spec, sizeof(spec), "site=test_faults.c:%d", L_CALLOC);
	fails_are(spec, "B1\nB2\nB3\nB4\nend\n");
	fails_are("nth=6", "B2\nend\n");
	fails_are("every=5", "A2\nB3\nC4\nend\n");
	fails_are("after=14", "C4\nD4\nend\n");
	fails_are("bytes=129", "B1\nB2\nB3\nB4\nend\n");
	fails_are("api=malloc,nth=3", "A3\nend\n");
	fails_are("api=calloc,every=2", "B2\nB4\nend\n");
	fails_are("site=dup_it,api=malloc", "end\n");
	fails_are("prob=1,seed=3", "A1\nB1\nC1\nD1\nA2\nB2\nC2\nD2\nA3\nB3\nC3\nD3\nA4\nB4\nC4\nD4\nend\n");
	fails_are("prob=0,seed=3", "end\n");
}
END_TEST

START_TEST(test_fail_prob_reproducible)
{
	struct run a, b, c;

	run(&a, "seq", "prob=0.5,seed=7", NULL);
	run(&b, "seq", "prob=0.5,seed=7", NULL);
	run(&c, "seq", "prob=0.5,seed=8", NULL);
	ck_assert_str_eq(a.stdout_text, b.stdout_text);
	ck_assert_str_ne(a.stdout_text, c.stdout_text);
	done(&a);
	done(&b);
	done(&c);
}
END_TEST

START_TEST(test_fail_bad_spec)
{
	static const char *const bad[] = { "bogus=1", "nth=abc", "api=malloc,after=x1", "nth=0", "prob=2", "site=" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r;

		run(&r, "seq", bad[i], NULL);
		ck_assert_str_eq(r.stdout_text, "end\n");
		ck_assert_msg(strstr(r.stderr_text, "MEMSTATS_FAIL") && strchr(r.stderr_text, '\n') ==
								     r.stderr_text + strlen(r.stderr_text) - 1,
			      "%s: %s", bad[i], r.stderr_text);
		done(&r);
	}
}
END_TEST

START_TEST(test_fail_set)
{
	struct run r;

	run(&r, "failset", NULL, NULL);
	ck_assert_str_eq(r.stdout_text, "S3\nS4\nend\n");
	done(&r);
}
END_TEST

/* The injected counter: in the site's row and the totals, in JSON. */
START_TEST(test_injected_counter)
{
	struct run r;
	char *json, path[320], want[256];

	make_tmpdir(r.dir, sizeof(r.dir));
	snprintf(path, sizeof(path), "MEMSTATS_OUTPUT=%s/r.json", r.dir);
	{
		const char *env[] = { "MEMSTATS_FAIL=api=calloc", "MEMSTATS_FORMAT=json", path, NULL };
		char out[300], err[300], file[320];

		snprintf(out, sizeof(out), "%s/out", r.dir);
		snprintf(err, sizeof(err), "%s/err", r.dir);
		ck_assert_int_eq(run_child("seq", env, r.dir, out, err), 0);
		snprintf(file, sizeof(file), "%s/r.json", r.dir);
		json = slurp(file);
	}
	snprintf(want, sizeof(want), "\"line\": %d, \"func\": \"get_b\", \"op\": \"calloc\"", L_CALLOC);
	ck_assert_msg(strstr(json, want), "%s", json);
	ck_assert_msg(strstr(strstr(json, want), "\"calls\": 4, \"failed\": 4, \"bytes\": 8000, \"alloc_bytes\": 0, "
						 "\"free_bytes\": 0, \"injected\": 4}"),
		      "%s", json);
	ck_assert_msg(strstr(json, "\"injected\": 4, \"balance\""), "%s", json);
	free(json);
	rm_tree(r.dir);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2]);

	Suite *s = suite_create("faults");
	TCase *scopes = tcase_create("scopes"), *fail = tcase_create("injection");

	tcase_add_test(scopes, test_scope_exact);
	tcase_add_test(scopes, test_scope_nested_and_realloc);
	tcase_add_test(scopes, test_scope_thread_local);
	tcase_add_test(scopes, test_allocs_per_run);
	suite_add_tcase(s, scopes);
	tcase_set_timeout(fail, 60);
	tcase_add_test(fail, test_fail_terms);
	tcase_add_test(fail, test_fail_prob_reproducible);
	tcase_add_test(fail, test_fail_bad_spec);
	tcase_add_test(fail, test_fail_set);
	tcase_add_test(fail, test_injected_counter);
	suite_add_tcase(s, fail);
	return run_suite(s);
}
