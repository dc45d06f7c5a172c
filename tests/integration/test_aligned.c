/* test_aligned.c - the ha_aligned_* family: its rules (alignment, zero fill,
 * errno) and its exact per-line rows, typed ones naming their type.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

struct pkt {
	char hdr[24];
	double d;
} __attribute__((aligned(64)));

#define usable(p) ((memstats_u64)malloc_usable_size(p))

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

START_TEST(test_alignments_honoured)
{
	memstats_u64 bytes = 0, got = 0, freed = 0;
	int la = 0, lf = 0, n = 0;

	for (size_t a = 8; a <= 4096; a *= 2, n++) {
		char *p = ha_aligned_alloc(a, 100); la = __LINE__;
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % a, 0);
		memset(p, 0xa5, 100);
		bytes += 100;
		got += usable(p);
		freed += usable(p);
		ha_aligned_free(p); lf = __LINE__;
	}
	ck_assert_int_eq(n, 10);
	ck_assert_site(la, "ha_aligned_alloc", 10, 0, bytes, got, 0);
	ck_assert_site(lf, "ha_aligned_free", 10, 0, 0, 0, freed);
	ck_assert_str_eq(site_at(la, "ha_aligned_alloc").op, "malloc");
	ck_assert_str_eq(site_at(lf, "ha_aligned_free").op, "free");
	ck_assert_ptr_null(site_at(la, "ha_aligned_alloc").type);
}
END_TEST

START_TEST(test_zalloc_zeroes)
{
	/* dirty a block first, so that a zalloc reusing it must clear it */
	unsigned char *d = (malloc)(1000);
	memset(d, 0xff, 1000);
	(free)(d);

	unsigned char *z = ha_aligned_zalloc(256, 1000); int lz = __LINE__;
	ck_assert_uint_eq((uintptr_t)z % 256, 0);
	ck_assert(all_zero(z, 1000));
	ck_assert_site(lz, "ha_aligned_zalloc", 1, 0, 1000, usable(z), 0);
	ck_assert_str_eq(site_at(lz, "ha_aligned_zalloc").op, "calloc");
	memstats_u64 u = usable(z);
	ha_aligned_free_size(z, 1000); int lf = __LINE__;
	ck_assert_site(lf, "ha_aligned_free_size", 1, 0, 0, 0, u);
}
END_TEST

START_TEST(test_bad_alignment_einval)
{
	static const size_t bad[] = { 0, 1, 2, 4, 24, 100, 4097 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		void *p = ha_aligned_alloc(bad[i], 100); int l = __LINE__;
		ck_assert_ptr_null(p);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_eq(site_at(l, "ha_aligned_alloc").c.failed, i + 1);
		errno = 0;
		ck_assert_ptr_null(ha_aligned_zalloc(bad[i], 100));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_out_of_memory_enomem)
{
	errno = 0;
	void *p = ha_aligned_alloc(64, SIZE_MAX / 2); int l = __LINE__;
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_site(l, "ha_aligned_alloc", 1, 1, SIZE_MAX / 2, 0, 0);
}
END_TEST

START_TEST(test_safe_rounds_alignment_up)
{
	static const struct { size_t asked, got; } cases[] = {
		{ 0, sizeof(void *) }, { 1, sizeof(void *) }, { 3, sizeof(void *) }, { 24, 32 }, { 64, 64 }, { 1000, 1024 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = ha_aligned_alloc_safe(cases[i].asked, 10); int l = __LINE__;
		char *z = ha_aligned_zalloc_safe(cases[i].asked, 64); int lz = __LINE__;
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % cases[i].got, 0);
		ck_assert_uint_eq((uintptr_t)z % cases[i].got, 0);
		ck_assert(all_zero((unsigned char *)z, 64));
		ck_assert_uint_eq(site_at(l, "ha_aligned_alloc_safe").c.calls, i + 1);
		ck_assert_str_eq(site_at(l, "ha_aligned_alloc_safe").op, "malloc");
		ck_assert_str_eq(site_at(lz, "ha_aligned_zalloc_safe").op, "calloc");
		ha_aligned_free(p);
		ha_aligned_free(z);
	}
	errno = 0;
	ck_assert_ptr_null(ha_aligned_alloc_safe(SIZE_MAX, 10)); /* no power of two is that big */
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_typed)
{
	struct pkt *t = ha_aligned_alloc_typed(3, struct pkt); int lt = __LINE__;
	struct pkt *z = ha_aligned_zalloc_typed(2, struct pkt); int lz = __LINE__;
	char *c = ha_aligned_alloc_typed(5, char); int lc = __LINE__;

	ck_assert_uint_eq((uintptr_t)t % 64, 0);
	ck_assert_uint_eq((uintptr_t)z % 64, 0);
	ck_assert(z[1].d == 0.0 && all_zero((unsigned char *)z, 2 * sizeof(*z)));
	ck_assert_uint_eq((uintptr_t)c % sizeof(void *), 0); /* never below a word */
	ck_assert_site(lt, "ha_aligned_alloc_typed", 1, 0, 3 * 64, usable(t), 0);
	ck_assert_site(lz, "ha_aligned_zalloc_typed", 1, 0, 2 * 64, usable(z), 0);
	ck_assert_str_eq(site_at(lt, "ha_aligned_alloc_typed").type, "struct pkt");
	ck_assert_str_eq(site_at(lt, "ha_aligned_alloc_typed").op, "malloc");
	ck_assert_str_eq(site_at(lz, "ha_aligned_zalloc_typed").type, "struct pkt");
	ck_assert_str_eq(site_at(lz, "ha_aligned_zalloc_typed").op, "calloc");
	ck_assert_str_eq(site_at(lc, "ha_aligned_alloc_typed").type, "char");
	ha_aligned_free(t);
	ha_aligned_free(z);
	ha_aligned_free(c);
}
END_TEST

START_TEST(test_typed_overflow_enomem)
{
	int n = -1;

	errno = 0;
	struct pkt *p = ha_aligned_alloc_typed(SIZE_MAX / 8, struct pkt); int l = __LINE__;
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_site(l, "ha_aligned_alloc_typed", 1, 1, 0, 0, 0); /* no wrapped byte count */
	errno = 0;
	ck_assert_ptr_null(ha_aligned_zalloc_typed(n, struct pkt)); int ln = __LINE__; /* a negative count */
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_site(ln, "ha_aligned_zalloc_typed", 1, 1, 0, 0, 0);
	/* a negative count of 1-byte objects wraps to no overflow of the
	 * product, yet asks for more than any object can be: an overflow too */
	errno = 0;
	ck_assert_ptr_null(ha_aligned_alloc_typed(n, char)); int lc = __LINE__;
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_site(lc, "ha_aligned_alloc_typed", 1, 1, 0, 0, 0);
	errno = 0;
	ck_assert_ptr_null(ha_aligned_zalloc_typed((size_t)PTRDIFF_MAX + 1, char)); int lp = __LINE__;
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_site(lp, "ha_aligned_zalloc_typed", 1, 1, 0, 0, 0);
}
END_TEST

START_TEST(test_free_null_not_counted)
{
	ha_aligned_free(NULL); int l1 = __LINE__;
	ha_aligned_free_size(NULL, 10); int l2 = __LINE__;
	ck_assert_site(l1, "ha_aligned_free", 0, 0, 0, 0, 0);
	ck_assert_site(l2, "ha_aligned_free_size", 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_arguments_evaluated_once)
{
	size_t a = 64, n = 10;
	int count = 2;

	void *p = ha_aligned_alloc(a++, n++);
	struct pkt *t = ha_aligned_alloc_typed(count++, struct pkt);
	ck_assert_uint_eq(a, 65);
	ck_assert_uint_eq(n, 11);
	ck_assert_int_eq(count, 3);
	void *ptrs[] = { p, t };
	int i = 0;
	ha_aligned_free(ptrs[i++]);
	ha_aligned_free_size(ptrs[i++], n++);
	ck_assert_int_eq(i, 2);
	ck_assert_uint_eq(n, 12);
}
END_TEST

START_TEST(test_match_on_type)
{
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_CSV, .match = "struct pkt" };
	FILE *f = tmpfile();
	char buf[4096];
	size_t len;

	ha_aligned_free(ha_aligned_alloc_typed(1, struct pkt)); int l = __LINE__;
	ck_assert_int_eq(memstats_dump_fd(fileno(f), &opt), 0);
	rewind(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	fclose(f);
	/* the header and the typed row; the free beside it names no type */
	ck_assert_int_eq(count_of(buf, "\n"), 2);
	char row[4400];
	snprintf(row, sizeof(row), "%s,%d,test_match_on_type_fn,malloc,ha_aligned_alloc_typed,struct pkt,%s,site,,,1,0,64,",
		 __FILE__, l, self_path());
	ck_assert_ptr_nonnull(strstr(buf, row));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("aligned");
	TCase *tc = tcase_create("ha_aligned");

	tcase_add_test(tc, test_alignments_honoured);
	tcase_add_test(tc, test_zalloc_zeroes);
	tcase_add_test(tc, test_bad_alignment_einval);
	tcase_add_test(tc, test_out_of_memory_enomem);
	tcase_add_test(tc, test_safe_rounds_alignment_up);
	tcase_add_test(tc, test_typed);
	tcase_add_test(tc, test_typed_overflow_enomem);
	tcase_add_test(tc, test_free_null_not_counted);
	tcase_add_test(tc, test_arguments_evaluated_once);
	tcase_add_test(tc, test_match_on_type);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
