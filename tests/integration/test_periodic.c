/* test_periodic.c - reports while the program runs: every MEMSTATS_INTERVAL
 * seconds and on MEMSTATS_SIGNAL, numbered by %n, the one at exit last. The
 * test runs this same program again as a child ("child MODE") and reads the
 * reports it wrote.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

enum { L_EARLY = __LINE__ }; static void *child_early(void) { return malloc(10); }
enum { L_LAST = __LINE__ }; static void *child_last(void) { return malloc(77); }

/* Waits up to 5 s for the report numbered n in the current directory. */
static int report_appears(int n)
{
	char name[64];

	snprintf(name, sizeof(name), "r.%d.json", n);
	for (int i = 0; i < 500; i++) {
		if (access(name, F_OK) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static int helper_running, stop_helper;

static void *helper(void *arg)
{
	usleep(1000); /* TSan sets up its signal state in the first call */
	__atomic_store_n(&helper_running, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&stop_helper, __ATOMIC_RELAXED))
		usleep(1000);
	return arg;
}

/* Two signals to the process: one the main thread takes, one another
 * thread of the program takes (the main thread blocks it then). */
static int child_signal(void)
{
	sigset_t usr2;
	pthread_t t;
	int seen = 0;

	kill(getpid(), SIGUSR2);
	seen += report_appears(0);
	pthread_create(&t, NULL, helper, NULL); /* before the block: it inherits the mask */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	/* TSan loses a signal that comes while a thread starts */
	while (!__atomic_load_n(&helper_running, __ATOMIC_RELAXED))
		usleep(1000);
	kill(getpid(), SIGUSR2);
	seen += report_appears(1);
	__atomic_store_n(&stop_helper, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	printf("reports while running: %d\n", seen);
	return 0;
}

/* A daemon's start-up: every descriptor but 0-2 closed, or something else
 * dup2()ed onto them; then five signals, each waited for. */
static int child_descriptors(int dup_onto)
{
	int seen = 0, null = open("/dev/null", O_RDONLY);

	for (int fd = 3; fd < 1024; fd++) {
		if (fd == null)
			continue;
		if (dup_onto)
			dup2(null, fd);
		else
			close(fd);
	}
	if (!dup_onto)
		close(null);
	for (int i = 0; i < 5; i++) {
		kill(getpid(), SIGUSR2);
		seen += report_appears(i);
	}
	printf("reports while running: %d\n", seen);
	return 0;
}

static int child_main(const char *mode)
{
	void *early = child_early(), *last;

	if (strcmp(mode, "sleep") == 0) {
		unsigned int left = sleep(2);
		int rc = usleep(700000);

		printf("sleep: %u, usleep: %d\n", left, rc);
	} else if (strcmp(mode, "signal") == 0) {
		child_signal();
	} else if (strcmp(mode, "closefds") == 0 || strcmp(mode, "dup2fds") == 0) {
		child_descriptors(mode[0] == 'd');
	} else if (strcmp(mode, "fork") == 0 || strcmp(mode, "fork-idle") == 0) {
		pid_t pid = fork();

		if (pid == 0) {
			if (strcmp(mode, "fork") == 0)
				free(malloc(1)); /* its first call: its reporter starts */
			usleep(1500000);
			(free)(early);
			return 0;
		}
		printf("%ld\n", (long)pid);
		waitpid(pid, NULL, 0);
	}
	last = child_last();
	(free)(early);
	(free)(last);
	return 0;
}

struct reports {
	char dir[256];
	int n;                  /* reports r.0.json .. r.<n-1>.json, no gap */
	int others;             /* any other file: a gap, a temporary file */
};

/* The reports "<prefix>N.json" in r->dir. */
static void list_reports(struct reports *r, const char *prefix)
{
	char seen[64] = { 0 };
	DIR *d = opendir(r->dir);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	r->n = 0;
	while ((e = readdir(d))) {
		unsigned int n;
		int end = 0;
		size_t len = strlen(prefix);

		if (strncmp(e->d_name, prefix, len) == 0 && sscanf(e->d_name + len, "%u.json%n", &n, &end) == 1 &&
		    e->d_name[len + (size_t)end] == '\0' && n < sizeof(seen))
			seen[n] = 1;
		else if (strncmp(e->d_name, "r.", 2) == 0)
			r->others++;
	}
	closedir(d);
	while (r->n < (int)sizeof(seen) && seen[r->n])
		r->n++;
	for (int i = r->n; i < (int)sizeof(seen); i++)
		r->others += seen[i];
}

static char *report_text(const struct reports *r, const char *prefix, int n)
{
	char path[400];
	char *text;

	snprintf(path, sizeof(path), "%s/%s%d.json", r->dir, prefix, n);
	text = slurp(path);
	ck_assert_msg(text != NULL, "%s", path);
	return text;
}

static int has_site(const char *json, int line)
{
	char want[64];

	snprintf(want, sizeof(want), "\"line\": %d, ", line);
	return strstr(json, want) != NULL;
}

/* Runs the child in a fresh directory with env; its stdout in *out. */
static int run_in(struct reports *r, const char *mode, const char *const *env, char **out, char **err)
{
	char out_path[300], err_path[300];
	int status;

	make_tmpdir(r->dir, sizeof(r->dir));
	snprintf(out_path, sizeof(out_path), "%s/stdout", r->dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", r->dir);
	status = run_child(mode, env, r->dir, out_path, err_path);
	*out = slurp(out_path);
	*err = slurp(err_path);
	ck_assert_ptr_nonnull(*out);
	ck_assert_ptr_nonnull(*err);
	return status;
}

/* Every second while the program sleeps, then the one at exit: numbered
 * 0, 1, ... with no gap, the last one last and holding the last counts. */
START_TEST(test_interval_numbered_reports)
{
	const char *env[] = { "MEMSTATS_INTERVAL=1", "MEMSTATS_FORMAT=json", "MEMSTATS_OUTPUT=r.%n.json", NULL };
	struct reports r = { .others = 0 };
	char *out, *err, *json;

	ck_assert_int_eq(run_in(&r, "sleep", env, &out, &err), 0);
	ck_assert_str_eq(out, "sleep: 0, usleep: 0\n"); /* not cut short */
	ck_assert_str_eq(err, "");
	list_reports(&r, "r.");
	ck_assert_int_eq(r.others, 0);
	ck_assert_int_ge(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		json = report_text(&r, "r.", i);
		ck_assert_ptr_eq(strstr(json, "{\"version\": 1, "), json);
		ck_assert_msg(has_site(json, L_EARLY), "report %d", i);
		ck_assert_msg(has_site(json, L_LAST) == (i == r.n - 1), "report %d of %d", i, r.n);
		(free)(json);
	}
	(free)(out);
	(free)(err);
	rm_tree(r.dir);
}
END_TEST

/* kill(getpid(), SIGUSR2): a report while the program runs, whichever of
 * its threads takes the signal, and the process goes on. */
START_TEST(test_signal_report_and_go_on)
{
	const char *env[] = { "MEMSTATS_SIGNAL=USR2", "MEMSTATS_FORMAT=json", "MEMSTATS_OUTPUT=r.%n.json", NULL };
	struct reports r = { .others = 0 };
	char *out, *err, *json;

	ck_assert_int_eq(run_in(&r, "signal", env, &out, &err), 0);
	ck_assert_str_eq(out, "reports while running: 2\n");
	ck_assert_str_eq(err, "");
	list_reports(&r, "r.");
	ck_assert_int_eq(r.others, 0);
	ck_assert_int_eq(r.n, 3);
	json = report_text(&r, "r.", 0);
	ck_assert(has_site(json, L_EARLY) && !has_site(json, L_LAST));
	(free)(json);
	json = report_text(&r, "r.", 2);
	ck_assert(has_site(json, L_LAST));
	(free)(json);
	(free)(out);
	(free)(err);
	rm_tree(r.dir);
}
END_TEST

/* A forked child has its own reporter thread and numbers its reports from
 * 0 under its own pid. */
START_TEST(test_forked_child_reports_on_its_own)
{
	const char *env[] = { "MEMSTATS_INTERVAL=1", "MEMSTATS_FORMAT=json", "MEMSTATS_OUTPUT=r.%p.%n.json", NULL };
	struct reports r = { .others = 0 };
	char *out, *err, prefix[64];
	long pid;

	ck_assert_int_eq(run_in(&r, "fork", env, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(sscanf(out, "%ld", &pid), 1);
	snprintf(prefix, sizeof(prefix), "r.%ld.", pid);
	list_reports(&r, prefix);
	ck_assert_int_ge(r.n, 2); /* one from its thread, one at exit */
	ck_assert_int_ge(r.others, 1); /* the parent's */
	(free)(out);
	(free)(err);
	rm_tree(r.dir);
}
END_TEST

/* A child that makes no call into the runtime starts no thread of ours (it
 * may be about to exec): its report at exit is its only one. */
START_TEST(test_idle_forked_child_starts_no_thread)
{
	const char *env[] = { "MEMSTATS_INTERVAL=1", "MEMSTATS_FORMAT=json", "MEMSTATS_OUTPUT=r.%p.%n.json", NULL };
	struct reports r = { .others = 0 };
	char *out, *err, prefix[64];
	long pid;

	ck_assert_int_eq(run_in(&r, "fork-idle", env, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(sscanf(out, "%ld", &pid), 1);
	snprintf(prefix, sizeof(prefix), "r.%ld.", pid);
	list_reports(&r, prefix);
	ck_assert_int_eq(r.n, 1); /* at exit only */
	(free)(out);
	(free)(err);
	rm_tree(r.dir);
}
END_TEST

/* The signal still asks for reports once the program closed every
 * descriptor it did not open, or dup2()ed others onto them. */
START_TEST(test_signal_survives_closed_descriptors)
{
	static const char *const modes[] = { "closefds", "dup2fds" };
	const char *env[] = { "MEMSTATS_SIGNAL=USR2", "MEMSTATS_FORMAT=json", "MEMSTATS_OUTPUT=r.%n.json", NULL };

	for (int m = 0; m < 2; m++) {
		struct reports r = { .others = 0 };
		char *out, *err;

		ck_assert_int_eq(run_in(&r, modes[m], env, &out, &err), 0);
		ck_assert_msg(strcmp(out, "reports while running: 5\n") == 0, "%s: %s", modes[m], out);
		ck_assert_str_eq(err, "");
		list_reports(&r, "r.");
		ck_assert_int_eq(r.n, 6); /* and the one at exit */
		(free)(out);
		(free)(err);
		rm_tree(r.dir);
	}
}
END_TEST

START_TEST(test_bad_values_warn_once)
{
	const char *env[] = { "MEMSTATS_INTERVAL=0", "MEMSTATS_SIGNAL=KILL", NULL };
	struct reports r;
	char *out, *err;

	ck_assert_int_eq(run_in(&r, "plain", env, &out, &err), 0);
	ck_assert_int_eq(count_of(err, "MEMSTATS_INTERVAL"), 1);
	ck_assert_ptr_eq(strstr(err, "memstats: ignoring MEMSTATS_INTERVAL=\"0\": expected "), err);
	ck_assert_int_eq(count_of(err, "MEMSTATS_SIGNAL"), 1);
	ck_assert_ptr_nonnull(strstr(err, "\nmemstats: ignoring MEMSTATS_SIGNAL=\"KILL\": expected "));
	ck_assert_int_eq(count_of(err, "memstats report: "), 1);
	(free)(out);
	(free)(err);
	rm_tree(r.dir);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2]);

	Suite *s = suite_create("periodic");
	TCase *tc = tcase_create("while running");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_interval_numbered_reports);
	tcase_add_test(tc, test_signal_report_and_go_on);
	tcase_add_test(tc, test_forked_child_reports_on_its_own);
	tcase_add_test(tc, test_idle_forked_child_starts_no_thread);
	tcase_add_test(tc, test_signal_survives_closed_descriptors);
	tcase_add_test(tc, test_bad_values_warn_once);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
