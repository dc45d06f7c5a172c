/* test_names.c - a program may use any name that is not memstats' public
 * API: the runtime's internal names are local to libmemstats, so a static
 * link against libmemstats.a sees none of them (built as static_names).
 * The names below are all ones the runtime uses, or once used, inside.
 */
#include <stdlib.h>

#include "itest.h"

int track_on = 7, config = 1, start = 2, site_id = 3, slots_mine = 4, registry_hold = 5;
long live_put = 6, w_put = 7, usable_init = 8, op_name = 9, warnf_fd = 10, report_text = 11;
char runtime_init[8] = "mine", output_to_path[8] = "mine", config_parse[8] = "mine";

START_TEST(test_own_names_and_counts)
{
	char *p = malloc(40); int l = __LINE__;

	ck_assert_int_eq(track_on + config + start + site_id + slots_mine + registry_hold, 22);
	ck_assert_int_eq(live_put + w_put + usable_init + op_name + warnf_fd + report_text, 51);
	ck_assert_str_eq(runtime_init, "mine");
	ck_assert_str_eq(output_to_path, "mine");
	ck_assert_str_eq(config_parse, "mine");
	ck_assert_uint_eq(site_at(l, "malloc").c.calls, 1);
	ck_assert_uint_eq(site_at(l, "malloc").c.bytes, 40);
	free(p);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");

	(void)argc;
	(void)argv;
	tcase_add_test(tc, test_own_names_and_counts);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
