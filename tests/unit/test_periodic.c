/* test_periodic.c - the periodic thread's stop across fork(), driven
 * directly: a stop that comes while the thread is taking a signal's posts
 * is not lost (fork() once waited forever for it). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_stop_while_taking_posts)
{
	struct config cfg;
	double t0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.signal = SIGUSR2;
	cfg.output = OUTPUT_PATH;        /* the thread runs... */
	config.output = OUTPUT_OFF;      /* ...and its reports go nowhere */
	periodic_drain_delay_us = 300000;
	periodic_start(&cfg);
	kill(getpid(), SIGUSR2);         /* woken: it waits, then takes the posts */
	usleep(100000);
	t0 = seconds();
	periodic_fork_prepare();         /* the stop's post is among those it takes */
	ck_assert_msg(seconds() - t0 < 2.0, "the stop took %.1f s", seconds() - t0);
	periodic_fork_parent();          /* and it starts again */
	periodic_fork_prepare();
}
END_TEST

Suite *suite_periodic(void)
{
	Suite *s = suite_create("periodic");
	TCase *tc = tcase_create("stop");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stop_while_taking_posts);
	suite_add_tcase(s, tc);
	return s;
}
