/* test_basic.c - exact per-line counters for every wrapped function, built
 * with -include memstats.h (dynamically, and statically as static_basic).
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* Usable size through the real function: the test must not count itself. */
#define usable(p) ((memstats_u64)malloc_usable_size(p))

START_TEST(test_malloc_free)
{
	char *p = malloc(10); int lm = __LINE__;
	memstats_u64 u = usable(p);

	ck_assert_uint_ge(u, 10);
	free(p); int lf = __LINE__;
	ck_assert_site(lm, "malloc", 1, 0, 10, u, 0);
	ck_assert_site(lf, "free", 1, 0, 0, 0, u);
	ck_assert_str_eq(site_at(lm, "malloc").op, "malloc");
	ck_assert_str_eq(site_at(lf, "free").op, "free");
	ck_assert_str_eq(site_at(lm, "malloc").func, "test_malloc_free_fn"); /* START_TEST names it so */
	ck_assert_ptr_null(site_at(lm, "malloc").type);
}
END_TEST

/* Blocks the allocator maps on their own (large ones) and aligned ones:
 * their usable sizes are exact too. */
START_TEST(test_large_and_aligned_blocks_exact)
{
	char *p = malloc(1 << 22); int l1 = __LINE__;
	memstats_u64 u1 = usable(p);
	p = realloc(p, 1 << 23); int l2 = __LINE__;
	memstats_u64 u2 = usable(p);
	free(p); int l3 = __LINE__;
	void *a = NULL;
	int rc = posix_memalign(&a, 4096, 1 << 20); int l4 = __LINE__;

	ck_assert_int_eq(rc, 0);
	ck_assert_site(l1, "malloc", 1, 0, 1 << 22, u1, 0);
	ck_assert_site(l2, "realloc", 1, 0, 1 << 23, u2, u1);
	ck_assert_site(l3, "free", 1, 0, 0, 0, u2);
	ck_assert_site(l4, "posix_memalign", 1, 0, 1 << 20, usable(a), 0);
	(free)(a);
}
END_TEST

/* memstats' start-up must not change how the allocator serves the program:
 * glibc raises its mmap threshold (128 KiB at first) when a mapped block
 * under 32 MiB is freed, after which a block just above 128 KiB would come
 * from the heap. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED_ALLOCATOR 1
#endif

START_TEST(test_allocator_behaviour_unchanged)
{
#if defined(__GLIBC__) && !defined(SANITIZED_ALLOCATOR) /* glibc's own allocator only */
	char *p = (malloc)(132 << 10);
	/* glibc's chunk header, the word before the block: bit 2 says mmapped */
	size_t head = *(const size_t *)((uintptr_t)p - sizeof(size_t));

	ck_assert_msg(head & 2, "a 132 KiB block is no longer mmapped: the mmap threshold moved");
	(free)(p);
#endif
}
END_TEST

START_TEST(test_free_null_not_counted)
{
	free(NULL); int l = __LINE__;
	ck_assert_site(l, "free", 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_failed_malloc)
{
	errno = 0;
	void *p = malloc(SIZE_MAX / 2); int l = __LINE__;
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, ENOMEM); /* the wrapper keeps libc's errno */
	ck_assert_site(l, "malloc", 1, 1, SIZE_MAX / 2, 0, 0);
}
END_TEST

START_TEST(test_calloc)
{
	char *p = calloc(4, 25); int l = __LINE__;
	memstats_u64 u = usable(p);

	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(p[i], 0);
	ck_assert_site(l, "calloc", 1, 0, 100, u, 0);
	ck_assert_str_eq(site_at(l, "calloc").op, "calloc");
	(free)(p);
}
END_TEST

START_TEST(test_calloc_overflow_not_wrapped)
{
	errno = 0;
	volatile size_t huge = SIZE_MAX / 2; /* a constant would draw gcc's warning, with or without memstats */
	void *p = calloc(huge, 4); int l = __LINE__;
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, ENOMEM);
	/* n*m would wrap to 2^64 - 4: nothing recorded but the failure */
	ck_assert_site(l, "calloc", 1, 1, 0, 0, 0);
}
END_TEST

START_TEST(test_realloc)
{
	char *p = realloc(NULL, 10); int l1 = __LINE__;
	memstats_u64 u1 = usable(p);
	ck_assert_site(l1, "realloc", 1, 0, 10, u1, 0);

	p = realloc(p, 5000); int l2 = __LINE__;
	memstats_u64 u2 = usable(p);
	ck_assert_site(l2, "realloc", 1, 0, 5000, u2, u1);
	ck_assert_str_eq(site_at(l2, "realloc").op, "realloc");

	char *q = realloc(p, SIZE_MAX / 2); int l3 = __LINE__;
	ck_assert_ptr_null(q);
	/* failed: the old block is still the caller's, nothing was freed */
	ck_assert_site(l3, "realloc", 1, 1, SIZE_MAX / 2, 0, 0);
	ck_assert_uint_eq(usable(p), u2);
	(free)(p);
}
END_TEST

START_TEST(test_realloc_zero_frees)
{
	char *p = (malloc)(100);
	memstats_u64 u = usable(p);
	char *q = realloc(p, 0); int l = __LINE__;

	if (q) { /* an allocator that returns a minimal block for size 0 */
		ck_assert_site(l, "realloc", 1, 0, 0, usable(q), u);
		(free)(q);
	} else { /* glibc: the block is freed; NULL is success, not failure */
		ck_assert_site(l, "realloc", 1, 0, 0, 0, u);
	}
}
END_TEST

START_TEST(test_strdup_strndup)
{
	char *a = strdup("hello"); int l1 = __LINE__;
	char *b = strndup("hello world", 5); int l2 = __LINE__;
	char *c = strndup("hi", 100); int l3 = __LINE__;

	ck_assert_str_eq(a, "hello");
	ck_assert_str_eq(b, "hello");
	ck_assert_str_eq(c, "hi");
	ck_assert_site(l1, "strdup", 1, 0, 6, usable(a), 0);
	ck_assert_site(l2, "strndup", 1, 0, 6, usable(b), 0);
	ck_assert_site(l3, "strndup", 1, 0, 3, usable(c), 0);
	ck_assert_str_eq(site_at(l1, "strdup").op, "strdup");
	ck_assert_str_eq(site_at(l2, "strndup").op, "strndup");
	(free)(a); (free)(b); (free)(c);
}
END_TEST

START_TEST(test_memalign_family)
{
	void *p = NULL;
	int rc = posix_memalign(&p, 128, 300); int l1 = __LINE__;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq((uintptr_t)p % 128, 0);
	ck_assert_site(l1, "posix_memalign", 1, 0, 300, usable(p), 0);
	ck_assert_str_eq(site_at(l1, "posix_memalign").op, "malloc");
	(free)(p);

	void *keep = &rc;
	p = keep;
	rc = posix_memalign(&p, 3, 300); int l2 = __LINE__;
	ck_assert_int_eq(rc, EINVAL);
	ck_assert_ptr_eq(p, keep);
	ck_assert_site(l2, "posix_memalign", 1, 1, 300, 0, 0);

	void *a = aligned_alloc(64, 128); int l3 = __LINE__;
	void *m = memalign(256, 10); int l4 = __LINE__;
	void *v = valloc(10); int l5 = __LINE__;
	void *pv = pvalloc(10); int l6 = __LINE__;
	ck_assert_uint_eq((uintptr_t)a % 64, 0);
	ck_assert_uint_eq((uintptr_t)m % 256, 0);
	ck_assert_site(l3, "aligned_alloc", 1, 0, 128, usable(a), 0);
	ck_assert_site(l4, "memalign", 1, 0, 10, usable(m), 0);
	ck_assert_site(l5, "valloc", 1, 0, 10, usable(v), 0);
	ck_assert_site(l6, "pvalloc", 1, 0, 10, usable(pv), 0);
	ck_assert_str_eq(site_at(l6, "pvalloc").op, "malloc");
	(free)(a); (free)(m); (free)(v); (free)(pv);
}
END_TEST

START_TEST(test_arguments_evaluated_once)
{
	size_t n = 10;
	char *ptrs[2];
	int i = 0;

	ptrs[i++] = malloc(n++); int l1 = __LINE__;
	ptrs[i++] = calloc(n++, 2); int l2 = __LINE__;
	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(i, 2);
	i = 0;
	free(ptrs[i++]);
	free(ptrs[i++]);
	ck_assert_int_eq(i, 2);
	ck_assert_site(l1, "malloc", 1, 0, 10, site_at(l1, "malloc").c.alloc_bytes, 0);
	ck_assert_uint_eq(site_at(l2, "calloc").c.bytes, 11 * 2);
}
END_TEST

static void *pass_through(void *p) { return p; }

START_TEST(test_usable_wherever_a_call_was)
{
	int yes = 1;
	char *p;

	if (yes) p = malloc(1); else p = calloc(1, 2); int l1 = __LINE__;
	free(p);
	p = yes ? malloc(3) : calloc(1, 3); int l2 = __LINE__;
	free(pass_through(p));
	free(malloc(4)); int l3 = __LINE__;  /* nested: must not shadow */
	p = (free(malloc(5)), strdup("x")); int l4 = __LINE__;
	(free)(p);

	ck_assert_uint_eq(site_at(l1, "malloc").c.calls, 1);
	ck_assert_uint_eq(site_at(l1, "calloc").c.calls, 0);
	ck_assert_uint_eq(site_at(l2, "malloc").c.calls, 1);
	ck_assert_uint_eq(site_at(l2, "calloc").c.calls, 0);
	ck_assert_uint_eq(site_at(l3, "malloc").c.bytes, 4);
	ck_assert_uint_eq(site_at(l3, "free").c.calls, 1);
	ck_assert_uint_eq(site_at(l4, "strdup").c.bytes, 2);
}
END_TEST

START_TEST(test_parenthesised_free_not_counted)
{
	void *p = (malloc)(8);

	(free)(p); int l = __LINE__;
	struct site_query q = { .file = __FILE__, .line = (unsigned)l, .api = "free" };
	memstats_foreach_site(site_query_fn, &q);
	ck_assert_int_eq(q.found, 0); /* no site at all: not a macro call */
}
END_TEST

START_TEST(test_loop_site_accumulates)
{
	void *keep[3];
	int l = 0;

	for (int i = 0; i < 3; i++) {
		keep[i] = malloc(sizeof(double) * 4); l = __LINE__;
	}
	ck_assert_uint_eq(site_at(l, "malloc").c.calls, 3);
	ck_assert_uint_eq(site_at(l, "malloc").c.bytes, 96);
	for (int i = 0; i < 3; i++)
		(free)(keep[i]);
}
END_TEST

/* After its first call a site counts inline in the caller (memstats.h):
 * every function, small and mapped blocks, failures and frees, repeated,
 * must give the same exact numbers as the out-of-line path. */
START_TEST(test_inline_path_exact)
{
	enum { N = 5 };
	volatile size_t huge = SIZE_MAX / 2;
	memstats_u64 um = 0, ub = 0, uc = 0, ur = 0, ur_old = 0, uf = 0, us = 0;
	int lm = 0, lb = 0, lc = 0, lo = 0, lr = 0, lf = 0, ls = 0, lx = 0;

	for (int i = 0; i < N; i++) {
		char *m = malloc(24); lm = __LINE__;
		char *big = malloc(64 << 20); lb = __LINE__; /* mapped on its own, always */
		char *c = calloc(3, 8); lc = __LINE__;
		void *o = calloc(huge, 4); lo = __LINE__;
		char *r = realloc(NULL, 10); lx = __LINE__;
		memstats_u64 u10 = usable(r);

		ck_assert_ptr_null(o);
		um += usable(m); ub += usable(big); uc += usable(c); ur_old += u10;
		r = realloc(r, 3000); lr = __LINE__;
		ur += usable(r);
		char *s = strdup("inline"); ls = __LINE__;
		us += usable(s);
		uf += usable(m) + usable(big) + usable(c) + usable(r) + usable(s);
		free(m); free(big); free(c); free(r); free(s); lf = __LINE__;
	}
	ck_assert_site(lm, "malloc", N, 0, N * 24, um, 0);
	ck_assert_site(lb, "malloc", N, 0, (memstats_u64)N << 26, ub, 0);
	ck_assert_site(lc, "calloc", N, 0, N * 24, uc, 0);
	ck_assert_site(lo, "calloc", N, N, 0, 0, 0);
	ck_assert_site(lx, "realloc", N, 0, N * 10, ur_old, 0);
	ck_assert_site(lr, "realloc", N, 0, N * 3000, ur, ur_old);
	ck_assert_site(ls, "strdup", N, 0, N * 7, us, 0);
	ck_assert_uint_eq(site_at(lf, "free").c.calls, 5 * N);
	ck_assert_uint_eq(site_at(lf, "free").c.free_bytes, uf);
#if defined(__GLIBC__) && !defined(SANITIZED_ALLOCATOR) && defined(__x86_64__)
	/* and the inline path is the one taken: this thread has slots to count in */
	ck_assert_uint_gt(memstats_tls_.limit, 0);
#endif
}
END_TEST

static int count_rows(const struct memstats_row *r, void *arg)
{
	(void)r;
	return ++*(int *)arg == 2;
}

START_TEST(test_reset_and_foreach)
{
	free(malloc(7)); int l = __LINE__;
	ck_assert_uint_eq(site_at(l, "malloc").c.calls, 1);
	memstats_reset();
	ck_assert_site(l, "malloc", 0, 0, 0, 0, 0);
	ck_assert_site(l, "free", 0, 0, 0, 0, 0);

	int seen = 0;
	ck_assert_uint_eq(memstats_foreach_site(count_rows, &seen), 2); /* stops when fn says so */
	ck_assert_int_eq(seen, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("basic");
	TCase *tc = tcase_create("counters");

	tcase_add_test(tc, test_malloc_free);
	tcase_add_test(tc, test_large_and_aligned_blocks_exact);
	tcase_add_test(tc, test_allocator_behaviour_unchanged);
	tcase_add_test(tc, test_free_null_not_counted);
	tcase_add_test(tc, test_failed_malloc);
	tcase_add_test(tc, test_calloc);
	tcase_add_test(tc, test_calloc_overflow_not_wrapped);
	tcase_add_test(tc, test_realloc);
	tcase_add_test(tc, test_realloc_zero_frees);
	tcase_add_test(tc, test_strdup_strndup);
	tcase_add_test(tc, test_memalign_family);
	tcase_add_test(tc, test_arguments_evaluated_once);
	tcase_add_test(tc, test_usable_wherever_a_call_was);
	tcase_add_test(tc, test_parenthesised_free_not_counted);
	tcase_add_test(tc, test_loop_site_accumulates);
	tcase_add_test(tc, test_inline_path_exact);
	tcase_add_test(tc, test_reset_and_foreach);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
