/* test_fork.c - fork() and the program's own fork handlers: one registered
 * before memstats started (an early constructor's) may allocate, at a site
 * never called before, in its prepare handler: memstats' handlers take
 * their locks after it has run (it once deadlocked on them). The child runs
 * as a program of its own, bounded by alarm(). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "itest.h"

static void *early;

static void prepare(void)
{
	free(malloc(5)); enum { L_PREPARE = __LINE__ };
	(void)L_PREPARE;
}

static void child_after(void)
{
	early = malloc(7);
}

__attribute__((constructor(101))) static void register_early(void)
{
	pthread_atfork(prepare, NULL, child_after);
}

static int fork_child(void)
{
	int status;
	pid_t pid;

	alarm(10);
	pid = fork();
	if (pid == 0)
		_exit(early ? 0 : 3);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}

START_TEST(test_early_handler_allocates)
{
	static const char *const envs[][3] = {
		{ "MEMSTATS_OUTPUT=off", NULL },
		{ "MEMSTATS_OUTPUT=off", "MEMSTATS_TRACK=1", NULL },
	};
	char dir[256], out[300], err[300];

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	for (size_t i = 0; i < 2; i++)
		ck_assert_int_eq(run_child("fork", envs[i], NULL, out, err), 0);
	rm_tree(dir);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return fork_child();

	Suite *s = suite_create("fork");
	TCase *tc = tcase_create("fork");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_early_handler_allocates);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
