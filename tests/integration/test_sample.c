/* test_sample.c - MEMSTATS_TRACK=sample: the live counts are estimates
 * within a stated tolerance of the truth on a known workload (fixed seeds:
 * the same blocks sampled every run), large blocks are always sampled, freed blocks leave
 * nothing (from this thread, another thread, realloc), the counters stay
 * exact, and the reports say how they were made. The test runs this same
 * program again as a child ("child MODE"): MEMSTATS_TRACK is read at
 * start-up.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define SMALL 100000
#define LARGE 1000
static void *small[SMALL], *large[LARGE];

enum { L_SMALL = __LINE__ }; static void *alloc_small(void) { return malloc(64); }
enum { L_LARGE = __LINE__ }; static void *alloc_large(void) { return malloc(65536); }
enum { L_GONE = __LINE__ }; static void churn(void) { for (int i = 0; i < SMALL; i++) free(malloc(64)); }
enum { L_GROWN = __LINE__ }; static void *grow(void *p, size_t n) { return realloc(p, n); }

static void *free_half(void *arg)
{
	(void)arg;
	for (int i = 0; i < SMALL / 2; i++)
		free(small[i]); /* sampled blocks freed by another thread */
	return NULL;
}

static int child_main(const char *mode)
{
	pthread_t t;

	(void)mode;
	for (int i = 0; i < SMALL; i++)
		small[i] = alloc_small();
	for (int i = 0; i < LARGE; i++)
		large[i] = alloc_large();
	churn();
	pthread_create(&t, NULL, free_half, NULL);
	pthread_join(t, NULL);
	for (int i = 0; i < LARGE; i++)
		large[i] = grow(large[i], 20000); /* each realloc'd (sampled or not) to 20000 bytes */
	memstats_dump();
	return 0;
}

struct run {
	char dir[256], out[300], err[300], rep[300];
	char *text;
};

static void run(struct run *r, const char *format)
{
	char var[320], fmt[64];
	const char *env[] = { "MEMSTATS_TRACK=sample", "MEMSTATS_SAMPLE=4096", var, fmt, NULL };

	make_tmpdir(r->dir, sizeof(r->dir));
	snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
	snprintf(r->err, sizeof(r->err), "%s/err", r->dir);
	snprintf(r->rep, sizeof(r->rep), "%s/r.%%n", r->dir);
	snprintf(var, sizeof(var), "MEMSTATS_OUTPUT=%s", r->rep);
	snprintf(fmt, sizeof(fmt), "MEMSTATS_FORMAT=%s", format);
	ck_assert_int_eq(run_child("sample", env, r->dir, r->out, r->err), 0);
	snprintf(r->rep, sizeof(r->rep), "%s/r.0", r->dir); /* the dump's: before the exit */
	r->text = slurp(r->rep);
	ck_assert_ptr_nonnull(r->text);
}

/* The row at line with op: "KEY": N of it */
static unsigned long long field(const char *json, int line, const char *key)
{
	char at[64], k[64];
	const char *row, *v;

	snprintf(at, sizeof(at), "\"line\": %d, ", line);
	ck_assert_msg((row = strstr(json, at)), "no row at line %d: %s", line, json);
	snprintf(k, sizeof(k), "\"%s\": ", key);
	ck_assert_msg((v = strstr(row, k)), "no %s at line %d", key, line);
	return strtoull(v + strlen(k), NULL, 10);
}

static void within(unsigned long long got, double want, double tolerance, const char *what)
{
	ck_assert_msg(got >= want * (1 - tolerance) && got <= want * (1 + tolerance), "%s: %llu, want %.0f +-%.0f %%",
		      what, got, want, tolerance * 100);
}

START_TEST(test_estimates)
{
	struct run r;

	run(&r, "json");
	ck_assert_msg(strstr(r.text, "\"track\": \"sampled\", \"sample_bytes\": 4096"), "%s", r.text);
	/* 50,000 blocks of 64 bytes live: about 780 samples, so within 10 %
	 * (about 3 standard deviations) */
	within(field(r.text, L_SMALL, "live_blocks"), SMALL / 2, 0.10, "small blocks live");
	within(field(r.text, L_SMALL, "live_bytes"), SMALL / 2 * 64.0, 0.10, "small bytes live");
	/* a 64 KiB block is sampled with probability 1 - e^-16 */
	ck_assert_uint_eq(field(r.text, L_LARGE, "live_blocks"), 0); /* all realloc'd away */
	/* 20000 bytes: sampled with probability 1 - e^-4.9, weight 1.007 */
	within(field(r.text, L_GROWN, "live_blocks"), LARGE, 0.05, "realloc'd blocks live");
	within(field(r.text, L_GROWN, "live_bytes"), LARGE * 20000.0, 0.05, "realloc'd bytes live");
	ck_assert_uint_eq(field(r.text, L_GONE, "live_blocks"), 0);
	ck_assert_uint_eq(field(r.text, L_GONE, "live_bytes"), 0);
	/* the counters are exact */
	ck_assert_uint_eq(field(r.text, L_SMALL, "calls"), SMALL);
	ck_assert_uint_eq(field(r.text, L_SMALL, "bytes"), SMALL * 64);
	ck_assert_uint_eq(field(r.text, L_LARGE, "calls"), LARGE);
	ck_assert_uint_eq(field(r.text, L_GONE, "calls"), SMALL);
	free(r.text);
	rm_tree(r.dir);
}
END_TEST

START_TEST(test_reproducible_and_said)
{
	struct run a, b, t;

	run(&a, "json");
	run(&b, "json");
	/* the same blocks sampled (fixed seeds); only the rounding of their
	 * weights, which goes by their addresses, differs with ASLR */
	within(field(a.text, L_SMALL, "live_blocks"), (double)field(b.text, L_SMALL, "live_blocks"), 0.005,
	       "two runs' estimates");
	run(&t, "text");
	ck_assert_msg(strstr(t.text, "estimated from a sample of 1 in 4096 bytes"), "%s", t.text);
	free(a.text);
	free(b.text);
	free(t.text);
	rm_tree(a.dir);
	rm_tree(b.dir);
	rm_tree(t.dir);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2]);

	Suite *s = suite_create("sample");
	TCase *tc = tcase_create("sampled tracking");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_estimates);
	tcase_add_test(tc, test_reproducible_and_said);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
