/* test_report.c - the report at exit and on memstats_dump(), shaped by the
 * MEMSTATS_* environment. The test runs this same program again as a child
 * ("child MODE") with an environment, and reads what the child wrote.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* The child's sites, one per line, each line's number in an enum on it. */
enum { L_MALLOC = __LINE__ }; static char *child_malloc(void) { return malloc(10); }
enum { L_STRNDUP = __LINE__ }; static void child_strndup(void) { free(strndup("abcdef", 3)); }
enum { L_FREENULL = __LINE__ }; static void child_free_null(void) { free(NULL); }

/* Freed by a destructor: the report at exit comes after it. */
static char *global;
enum { L_GLOBAL = __LINE__ }; static void child_global(void) { global = malloc(100); }
enum { L_DTOR = __LINE__ }; __attribute__((destructor)) static void child_dtor(void) { free(global); }

static int child_main(const char *mode)
{
	char *a;

	if (strcmp(mode, "daemon") == 0 && chdir("/") != 0) /* as daemons do */
		return 3;
	child_global();

	if (strcmp(mode, "quiet") != 0)
		printf("child output\n"); /* buffered when stdout is a file */
	a = child_malloc();
	for (int i = 0; i < 5; i++)
		child_strndup();
	child_free_null();
	if (strcmp(mode, "dump") == 0) {
		memstats_dump();
		memstats_dump();
	}
	for (int i = 0; strcmp(mode, "dumps") == 0 && i < 20; i++)
		memstats_dump();
	(free)(a);
	return 0;
}

struct run {
	char dir[256];
	char out_path[300], err_path[300];
	char *out, *err;
	int status;
};

/* Runs the child with env; its stdout and stderr are read into r. */
static void run(struct run *r, const char *mode, const char *const *env)
{
	make_tmpdir(r->dir, sizeof(r->dir));
	snprintf(r->out_path, sizeof(r->out_path), "%s/stdout", r->dir);
	snprintf(r->err_path, sizeof(r->err_path), "%s/stderr", r->dir);
	r->status = run_child(mode, env, r->dir, r->out_path, r->err_path);
	r->out = slurp(r->out_path);
	r->err = slurp(r->err_path);
	ck_assert_ptr_nonnull(r->out);
	ck_assert_ptr_nonnull(r->err);
	ck_assert_int_eq(r->status, 0);
}

static void done(struct run *r)
{
	(free)(r->out);
	(free)(r->err);
	rm_tree(r->dir);
}

/* "test_report.c:<line>" as the text report names a site */
static const char *site_name(int line)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "test_report.c:%d ", line);
	return buf;
}

START_TEST(test_text_on_stderr_by_default)
{
	struct run r;

	run(&r, "plain", NULL);
	ck_assert_int_eq(count_of(r.err, "memstats report: "), 1);
	ck_assert_ptr_nonnull(strstr(r.err, site_name(L_MALLOC)));
	ck_assert_ptr_nonnull(strstr(r.err, site_name(L_STRNDUP)));
	ck_assert_ptr_null(strstr(r.err, site_name(L_FREENULL))); /* no calls: no row */
	ck_assert_ptr_nonnull(strstr(r.err, "\nTOTAL "));
	ck_assert_ptr_nonnull(strstr(r.err, "\nBALANCE "));
	ck_assert_str_eq(r.out, "child output\n");
	done(&r);
}
END_TEST

START_TEST(test_json_to_path_with_pid)
{
	struct run r;
	char env_out[400], file[600];
	const char *env[] = { env_out, "MEMSTATS_FORMAT=json", NULL };
	struct dirent *e;
	int reports = 0, others = 0;
	long pid = 0;

	make_tmpdir(r.dir, sizeof(r.dir)); /* the reports' own directory */
	char dir[256];
	strcpy(dir, r.dir);
	snprintf(env_out, sizeof(env_out), "MEMSTATS_OUTPUT=%s/r.%%p.json", dir);
	run(&r, "plain", env);
	ck_assert_str_eq(r.err, "");

	DIR *d = opendir(dir);
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "r.%ld.json", &pid) == 1) {
			reports++;
			snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		} else if (e->d_name[0] != '.') {
			others++; /* a temporary file left behind */
		}
	}
	closedir(d);
	ck_assert_int_eq(reports, 1);
	ck_assert_int_eq(others, 0);

	char *json = slurp(file), want[4600];
	const char *self = getenv("ITEST_SELF"), *prog = strrchr(self, '/');
	snprintf(want, sizeof(want), "{\"version\": 1, \"pid\": %ld, \"program\": \"%s\",", pid, prog ? prog + 1 : self);
	ck_assert_ptr_eq(strstr(json, want), json);
	snprintf(want, sizeof(want), "\"line\": %d, \"func\": \"child_strndup\", \"op\": \"strndup\", \"api\": \"strndup\", "
		 "\"type\": null, \"object\": \"%s\", \"offset\": null, \"via\": null, \"calls\": 5, \"failed\": 0, "
		 "\"bytes\": 20,", L_STRNDUP, self_path());
	ck_assert_ptr_nonnull(strstr(json, want));
	(free)(json);
	done(&r);
	rm_tree(dir);
}
END_TEST

START_TEST(test_bad_value_warns_once_and_defaults)
{
	struct run r;
	const char *env[] = { "MEMSTATS_FORMAT=yaml", "MEMSTATS_TOP=-3", NULL };

	run(&r, "plain", env);
	ck_assert_int_eq(count_of(r.err, "MEMSTATS_FORMAT"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "MEMSTATS_FORMAT=\"yaml\""));
	ck_assert_ptr_nonnull(strstr(r.err, "MEMSTATS_TOP=\"-3\""));
	ck_assert_ptr_eq(strstr(r.err, "memstats: ignoring MEMSTATS_"), r.err); /* at start-up, first */
	ck_assert_ptr_nonnull(strstr(r.err, site_name(L_MALLOC))); /* text, all rows */
	done(&r);
}
END_TEST

START_TEST(test_output_off)
{
	struct run r;
	const char *env[] = { "MEMSTATS_OUTPUT=off", NULL };

	run(&r, "dump", env);
	ck_assert_str_eq(r.err, "");
	done(&r);
}
END_TEST

START_TEST(test_output_stdout_after_program_output)
{
	struct run r;
	const char *env[] = { "MEMSTATS_OUTPUT=stdout", NULL };

	run(&r, "plain", env);
	ck_assert_ptr_eq(strstr(r.out, "child output\nmemstats report: "), r.out);
	ck_assert_str_eq(r.err, "");
	done(&r);
}
END_TEST

/* A path that names the file the program's stdout is open on, however it
 * gets there, takes the report through that descriptor: after the output
 * stdio held, and never replacing the file (prog > log). */
START_TEST(test_output_through_stdout_descriptor)
{
	static const char *const paths[] = { "/dev/stdout", "/proc/self/fd/1", "link-to-stdout" };
	char var[64], dir[256], out[300], err[300], link[300];
	const char *env[] = { var, NULL };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *o, *e;

		snprintf(var, sizeof(var), "MEMSTATS_OUTPUT=%s", paths[i]);
		make_tmpdir(dir, sizeof(dir));
		snprintf(out, sizeof(out), "%s/stdout", dir);
		snprintf(err, sizeof(err), "%s/stderr", dir);
		snprintf(link, sizeof(link), "%s/link-to-stdout", dir);
		ck_assert_int_eq(symlink("./stdout", link), 0); /* relative, to the child's stdout file */
		ck_assert_int_eq(run_child("plain", env, dir, out, err), 0);
		o = slurp(out);
		e = slurp(err);
		ck_assert_msg(o && strstr(o, "child output\nmemstats report: ") == o, "%s: %s", paths[i], o);
		ck_assert_ptr_nonnull(strstr(o, "\nBALANCE "));
		ck_assert_str_eq(e, "");
		(free)(o);
		(free)(e);
		rm_tree(dir);
	}
}
END_TEST

START_TEST(test_csv)
{
	struct run r;
	char row[4400];
	const char *env[] = { "MEMSTATS_FORMAT=csv", "MEMSTATS_SORT=site", NULL };

	run(&r, "plain", env);
	ck_assert_ptr_eq(strstr(r.err, "file,line,func,op,api,type,object,kind,offset,via,calls,failed,bytes,alloc_bytes,free_bytes,injected\n"), r.err);
	snprintf(row, sizeof(row), "\n%s,%d,child_strndup,strndup,strndup,,%s,site,,,5,0,20,", __FILE__, L_STRNDUP, self_path());
	ck_assert_ptr_nonnull(strstr(r.err, row));
	done(&r);
}
END_TEST

START_TEST(test_top_sort_match_all)
{
	struct run r;
	const char *top[] = { "MEMSTATS_TOP=2", "MEMSTATS_SORT=calls", "MEMSTATS_FORMAT=csv", NULL };
	const char *match[] = { "MEMSTATS_MATCH=child_strndup", "MEMSTATS_FORMAT=json", NULL };
	const char *all[] = { "MEMSTATS_ALL=1", NULL };
	char want[64];

	/* the strndup and free sites (5 calls each) come before malloc (1) */
	run(&r, "plain", top);
	ck_assert_int_eq(count_of(r.err, "\n"), 3);
	ck_assert_int_eq(count_of(r.err, ",child_strndup,"), 2);
	done(&r);

	run(&r, "plain", match);
	/* matched by func: the strndup site and the free site around it */
	ck_assert_int_eq(count_of(r.err, "\"file\":"), 2);
	ck_assert_ptr_nonnull(strstr(r.err, "\"totals\": {\"calls\": 10, \"failed\": 0, \"bytes\": 20,"));
	done(&r);

	run(&r, "plain", all);
	snprintf(want, sizeof(want), "%s", site_name(L_FREENULL));
	ck_assert_ptr_nonnull(strstr(r.err, want));
	done(&r);
}
END_TEST

START_TEST(test_dump_writes_like_exit)
{
	struct run r;

	run(&r, "dump", NULL);
	ck_assert_int_eq(count_of(r.err, "memstats report: "), 3); /* two dumps, then exit */
	ck_assert_int_eq(count_of(r.err, site_name(L_STRNDUP)), 6); /* strndup and free rows */
	done(&r);
}
END_TEST

START_TEST(test_destructors_run_before_the_report)
{
	struct run r;
	const char *env[] = { "MEMSTATS_FORMAT=csv", NULL };
	char row[4400];

	run(&r, "plain", env);
	snprintf(row, sizeof(row), "\n%s,%d,child_dtor,free,free,,%s,site,,,1,0,0,0,", __FILE__, L_DTOR, self_path());
	ck_assert_ptr_nonnull(strstr(r.err, row));
	done(&r);
}
END_TEST

/* A relative MEMSTATS_OUTPUT is where the program started, whatever
 * directory it is in when it exits. */
START_TEST(test_relative_output_after_chdir)
{
	const char *env[] = { "MEMSTATS_OUTPUT=sub/r.json", "MEMSTATS_FORMAT=json", NULL };
	char dir[256], sub[300], out[300], err[300], report[300];
	char *json;

	make_tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	snprintf(report, sizeof(report), "%s/sub/r.json", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(run_child("daemon", env, dir, out, err), 0);
	json = slurp(report);
	ck_assert_ptr_nonnull(json);
	ck_assert_ptr_nonnull(strstr(json, "\"func\": \"child_strndup\""));
	(free)(json);
	rm_tree(dir);
}
END_TEST

START_TEST(test_unwritable_path_warns)
{
	struct run r;
	const char *env[] = { "MEMSTATS_OUTPUT=/nonexistent-dir/r.json", NULL };

	run(&r, "plain", env);
	ck_assert_int_eq(count_of(r.err, "\n"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "memstats: cannot write the report to /nonexistent-dir/r.json: "));
	done(&r);
}
END_TEST

/* Root reporting to a shared directory where another user planted a link
 * to a file of root's: one line says why nothing is written, the file is
 * untouched, the program's exit status is its own. */
START_TEST(test_planted_link_refused)
{
	char dir[256], secret[300], link[300], var[400], *got;
	const char *env[] = { var, NULL };
	struct run r;
	int fd;

	if (geteuid() != 0)
		return; /* only root can plant a link owned by another user */
	make_tmpdir(dir, sizeof(dir));
	ck_assert_int_eq(chmod(dir, 01777), 0);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(link, sizeof(link), "%s/app.report", dir);
	fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, "root's\n", 7), 7);
	close(fd);
	ck_assert_int_eq(symlink(secret, link), 0);
	ck_assert_int_eq(lchown(link, 65534, 65534), 0);
	snprintf(var, sizeof(var), "MEMSTATS_OUTPUT=%s", link);
	run(&r, "plain", env);
	ck_assert_int_eq(count_of(r.err, "\n"), 1);
	ck_assert_msg(strstr(r.err, "memstats: cannot write the report to ") && strstr(r.err, "protected_symlinks"),
		      "%s", r.err);
	got = slurp(secret);
	ck_assert_str_eq(got, "root's\n");
	(free)(got);
	done(&r);
	rm_tree(dir);
}
END_TEST

/* `./app 2>&1 | less`: the program's output, then the report. */
START_TEST(test_stderr_report_after_program_output)
{
	char dir[256], path[300], *both;
	int fd;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/both", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(wait_child(spawn_child("plain", NULL, dir, fd, fd)), 0);
	close(fd);
	both = slurp(path);
	ck_assert_msg(strstr(both, "child output\nmemstats report: ") == both, "%s", both);
	(free)(both);
	rm_tree(dir);
}
END_TEST

/* `./app | head -1`: the reader is gone before the report at exit. The
 * program's exit status stays its own (no SIGPIPE), and one line on stderr
 * says the report was not written. */
START_TEST(test_broken_pipe_keeps_exit_status)
{
	const char *env[] = { "MEMSTATS_OUTPUT=stdout", NULL };
	char dir[256], err_path[300], *err;
	int p[2], efd;

	make_tmpdir(dir, sizeof(dir));
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
	efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	ck_assert_int_eq(wait_child(spawn_child("quiet", env, dir, p[1], efd)), 0);
	close(p[1]);
	close(efd);
	err = slurp(err_path);
	ck_assert_int_eq(count_of(err, "\n"), 1);
	ck_assert_msg(strstr(err, "memstats: cannot write the report to stdout: Broken pipe\n"), "%s", err);
	(free)(err);
	/* the same with the report on stderr, the broken pipe itself */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	env[0] = "MEMSTATS_OUTPUT=stderr";
	ck_assert_int_eq(wait_child(spawn_child("quiet", env, dir, p[1], p[1])), 0);
	close(p[1]);
	rm_tree(dir);
}
END_TEST

/* stderr non-blocking (a file description shared with an event loop) and
 * its reader a second late: every report arrives whole. The pipe holds one
 * page, far less than the 21 reports. */
START_TEST(test_nonblocking_stderr_slow_reader)
{
	const char *env[] = { "MEMSTATS_OUTPUT=stderr", NULL };
	char *got = (malloc)(1 << 20);
	size_t n = 0;
	ssize_t k;
	int p[2], out = open("/dev/null", O_WRONLY);
	pid_t pid;

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	pid = spawn_child("dumps", env, NULL, out, p[1]);
	close(p[1]);
	close(out);
	sleep(1);
	while ((k = read(p[0], got + n, (1 << 20) - 1 - n)) > 0)
		n += (size_t)k;
	got[n] = '\0';
	close(p[0]);
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_uint_gt(n, 3 * 4096);
	ck_assert_int_eq(count_of(got, "memstats report: "), 21);
	ck_assert_int_eq(count_of(got, "\nBALANCE "), 21);
	ck_assert_ptr_null(strstr(got, "cannot write"));
	(free)(got);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2]);

	Suite *s = suite_create("report");
	TCase *tc = tcase_create("environment");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_text_on_stderr_by_default);
	tcase_add_test(tc, test_json_to_path_with_pid);
	tcase_add_test(tc, test_bad_value_warns_once_and_defaults);
	tcase_add_test(tc, test_output_off);
	tcase_add_test(tc, test_output_stdout_after_program_output);
	tcase_add_test(tc, test_output_through_stdout_descriptor);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_top_sort_match_all);
	tcase_add_test(tc, test_dump_writes_like_exit);
	tcase_add_test(tc, test_destructors_run_before_the_report);
	tcase_add_test(tc, test_relative_output_after_chdir);
	tcase_add_test(tc, test_unwritable_path_warns);
	tcase_add_test(tc, test_planted_link_refused);
	tcase_add_test(tc, test_stderr_report_after_program_output);
	tcase_add_test(tc, test_broken_pipe_keeps_exit_status);
	tcase_add_test(tc, test_nonblocking_stderr_slow_reader);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
