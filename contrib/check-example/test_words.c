/* test_words.c - Check tests that guard memory with memstats: a function
 * that must not allocate, and one that must give back all it takes.
 *   make CC=memstats-cc check
 */
#include <check.h>
#include <stdlib.h>

#include "words.h"

static void count_once(void *arg)
{
	ck_assert_uint_eq(words_count(arg), 3);
}

START_TEST(test_count_allocates_nothing)
{
	/* after one warm-up call, the average allocation calls a call makes */
	ck_assert_double_eq(memstats_allocs_per_run(count_once, "one two three", 100), 0);
}
END_TEST

START_TEST(test_split_frees_what_it_allocates)
{
	struct memstats_scope s;
	char **w;

	memstats_scope_begin(&s);
	w = words_split("one two three");
	ck_assert_str_eq(w[1], "two");
	words_free(w);
	memstats_scope_end(&s);
	ck_assert_uint_eq(s.alloc_calls, 4);   /* the array and three words */
	ck_assert_uint_eq(s.live_blocks, 0);   /* and none of them left */
	ck_assert_uint_eq(s.alloc_bytes, s.free_bytes);
}
END_TEST

/* Every allocation of words_split failing in turn: NULL, and no leak. */
START_TEST(test_split_survives_each_failure)
{
	for (int k = 1; k <= 4; k++) {
		char spec[32];
		struct memstats_scope s;

		snprintf(spec, sizeof(spec), "nth=%d", k);
		memstats_scope_begin(&s);
		memstats_fail_set(spec);
		ck_assert_ptr_null(words_split("one two three"));
		memstats_fail_set(NULL);
		memstats_scope_end(&s);
		ck_assert_uint_eq(s.live_blocks, 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("words");
	TCase *tc = tcase_create("memory");
	SRunner *r;
	int failed;

	tcase_add_test(tc, test_count_allocates_nothing);
	tcase_add_test(tc, test_split_frees_what_it_allocates);
	tcase_add_test(tc, test_split_survives_each_failure);
	suite_add_tcase(s, tc);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
