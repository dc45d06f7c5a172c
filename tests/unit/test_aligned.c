/* test_aligned.c - aligned_round(): how the _safe variants pick an alignment. */
#include <stdint.h>

#include "internal.h"
#include "unit.h"

static const struct {
	size_t asked, want;
} round_cases[] = {
	{ 0, sizeof(void *) },
	{ 1, sizeof(void *) },
	{ sizeof(void *) - 1, sizeof(void *) },
	{ sizeof(void *), sizeof(void *) },
	{ sizeof(void *) + 1, 2 * sizeof(void *) },
	{ 24, 32 },
	{ 4096, 4096 },
	{ 4097, 8192 },
	{ SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1 },
	{ SIZE_MAX / 2 + 2, 0 }, /* no power of two that large */
	{ SIZE_MAX, 0 },
};

START_TEST(test_round)
{
	ck_assert_uint_eq(aligned_round(round_cases[_i].asked), round_cases[_i].want);
}
END_TEST

Suite *suite_aligned(void)
{
	Suite *s = suite_create("aligned");
	TCase *tc = tcase_create("round");

	tcase_add_loop_test(tc, test_round, 0, sizeof(round_cases) / sizeof(round_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
