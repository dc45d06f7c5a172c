/* unit-main.c - runs every unit suite; exits non-zero if any test failed. */
#include <stdlib.h>

#include "unit.h"

int main(void)
{
	SRunner *sr = srunner_create(suite_options());
	int failed;

	srunner_add_suite(sr, suite_report());
	srunner_add_suite(sr, suite_format());
	srunner_add_suite(sr, suite_output());
	srunner_add_suite(sr, suite_aligned());
	srunner_add_suite(sr, suite_track());
	srunner_add_suite(sr, suite_callers());
	srunner_add_suite(sr, suite_periodic());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
