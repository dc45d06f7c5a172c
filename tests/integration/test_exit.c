/* test_exit.c - what the runtime does at exit, seen from the program: the
 * executable is never unloaded, so its sites are reported where they are,
 * with no copy made of them (a copy at exit allocated every site again and
 * made glibc consolidate its whole heap), even when the program changed
 * its argv[0] (the executable is known by address, not by name). A copy
 * duplicates each site's strings: this program interposes strdup and
 * reports any call that comes once the program is exiting.
 */
#include <stdlib.h>

#include "itest.h"

static volatile int exiting;

char *(strdup)(const char *s) /* the function, not memstats' macro */
{
	size_t n = strlen(s) + 1;
	char *p = (malloc)(n);

	if (exiting)
		(void)!write(2, "strdup at exit\n", 15);
	return p ? memcpy(p, s, n) : NULL;
}

static void now_exiting(void)
{
	exiting = 1;
}

static int child_main(char **argv)
{
	void *p = malloc(100);

	if (strcmp(argv[2], "renamed") == 0)
		argv[0] = "x"; /* what ld.so's dladdr names the executable by */
	atexit(now_exiting); /* runs before any destructor */
	free(p);
	return 0;
}

START_TEST(test_no_copy_of_the_executable_at_exit)
{
	const char *env[] = { "MEMSTATS_OUTPUT=stdout", NULL };
	char dir[256], out[300], err[300], *o, *e;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	ck_assert_int_eq(run_child(_i ? "renamed" : "plain", env, dir, out, err), 0);
	o = slurp(out);
	e = slurp(err);
	ck_assert_msg(strstr(o, "test_exit.c:") != NULL, "%s", o); /* its sites are in the report */
	ck_assert_str_eq(e, "");
	(free)(o);
	(free)(e);
	rm_tree(dir);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv);

	Suite *s = suite_create("exit");
	TCase *tc = tcase_create("exit");

	tcase_add_loop_test(tc, test_no_copy_of_the_executable_at_exit, 0, 2);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
