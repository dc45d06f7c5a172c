/* test_threads.c - counters stay exact when threads share call sites. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define THREADS 4
#define ROUNDS 50000

static int line_malloc, line_free, line_strdup;

/* Every thread records the same line: atomically, to keep TSan quiet. */
#define record_line(var) __atomic_store_n(&(var), __LINE__, __ATOMIC_RELAXED)

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		char *p = malloc(24); record_line(line_malloc);
		p[0] = (char)i;
		free(p); record_line(line_free);
		char *s = strdup("abc"); record_line(line_strdup);
		(free)(s);
	}
	return arg;
}

START_TEST(test_shared_sites_exact)
{
	pthread_t th[THREADS];
	void *probe = (malloc)(24);
	memstats_u64 u = malloc_usable_size(probe);

	(free)(probe);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_site(line_malloc, "malloc", THREADS * ROUNDS, 0, THREADS * ROUNDS * 24, THREADS * ROUNDS * u, 0);
	ck_assert_site(line_free, "free", THREADS * ROUNDS, 0, 0, 0, THREADS * ROUNDS * u);
	ck_assert_uint_eq(site_at(line_strdup, "strdup").c.bytes, THREADS * ROUNDS * 4);
}
END_TEST

/* A thread's counts outlive the thread. */
static void *one_alloc(void *arg)
{
	*(int *)arg = __LINE__ + 1;
	(free)(malloc(33));
	return NULL;
}

START_TEST(test_counts_survive_thread_exit)
{
	pthread_t th;
	int line = 0;

	pthread_create(&th, NULL, one_alloc, &line);
	pthread_join(th, NULL);
	ck_assert_site(line, "malloc", 1, 0, 33, site_at(line, "malloc").c.alloc_bytes, 0);
}
END_TEST

/* Reports taken while threads allocate are whole and never crash. */
static volatile int stop;

static void *churn(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		free(malloc(16));
	return arg;
}

START_TEST(test_dump_while_allocating)
{
	pthread_t th[2];
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON, .all = 1 };
	FILE *f = tmpfile();

	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, churn, NULL);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(memstats_dump_fd(fileno(f), &opt), 0);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	fflush(f);
	ck_assert_int_gt(ftell(f), 0);
	fclose(f);
}
END_TEST

/* fork() while another thread holds the registry for a report: the child
 * must still be able to count, report and exit (it inherits the lock). */
static void *dump_forever(void *arg)
{
	int fd = *(int *)arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		memstats_dump_fd(fd, NULL);
	return NULL;
}

START_TEST(test_fork_while_dumping)
{
	int fd = open("/dev/null", O_WRONLY);
	pthread_t th;

	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, dump_forever, &fd);
	for (int i = 0; i < 50; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			free(malloc(1));
			memstats_dump_fd(fd, NULL);
			exit(7); /* and the report at exit */
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	close(fd);
}
END_TEST


/* A program that took every thread key before its first counted call loses
 * none of its keys' values to memstats (which has none for itself: a
 * thread's counts are then read from its state, kept after it exits). */
#define KEYS 2048
static pthread_key_t keys[KEYS];
static int nkeys;

static void *alloc_and_look(void *arg)
{
	int *line = arg;

	for (int i = 0; i < nkeys; i++)
		pthread_setspecific(keys[i], &keys[i]);
	free(malloc(45)); *line = __LINE__;
	for (int i = 0; i < nkeys; i++)
		if (pthread_getspecific(keys[i]) != &keys[i])
			return (void *)1;
	return NULL;
}

START_TEST(test_no_thread_key_left)
{
	pthread_t th;
	void *bad = (void *)2;
	int line = 0;

	while (nkeys < KEYS && pthread_key_create(&keys[nkeys], NULL) == 0)
		nkeys++;
	ck_assert_int_lt(nkeys, KEYS);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_create(&th, NULL, alloc_and_look, &line), 0);
		pthread_join(th, &bad);
		ck_assert_ptr_null(bad);
	}
	free(malloc(45)); /* and this thread */
	ck_assert_site(line, "malloc", 3, 0, 3 * 45, site_at(line, "malloc").c.alloc_bytes, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shared_sites_exact);
	tcase_add_test(tc, test_counts_survive_thread_exit);
	tcase_add_test(tc, test_dump_while_allocating);
	tcase_add_test(tc, test_fork_while_dumping);
	tcase_add_test(tc, test_no_thread_key_left);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
