/* test_output.c - where a report goes: output_expand() and output_to_path(). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memstats-int.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- output_expand() ---------------------------------------------------- */

static const struct {
	const char *tmpl;
	long pid;
	const char *out;
} expand_cases[] = {
	{ "/tmp/app.%p.json", 4242, "/tmp/app.4242.json" },
	{ "%p-%p", 7, "7-7" },
	{ "100%%", 1, "100%" },
	{ "%%p", 1, "%p" },
	{ "a%xb%", 1, "a%xb%" },   /* an unknown or a trailing % is kept */
	{ "%", 1, "%" },
	{ "plain", 1, "plain" },
	{ "", 1, "" },
};

START_TEST(test_expand)
{
	char out[64];

	memset(out, 'z', sizeof(out));
	ck_assert_int_eq(output_expand(expand_cases[_i].tmpl, expand_cases[_i].pid, out, sizeof(out)), 0);
	ck_assert_str_eq(out, expand_cases[_i].out);
}
END_TEST

/* size counts the terminating NUL: an exact fit works, one byte less not. */
START_TEST(test_expand_too_long)
{
	char out[16];

	ck_assert_int_eq(output_expand("abcd", 1, out, 5), 0);
	ck_assert_str_eq(out, "abcd");
	errno = 0;
	ck_assert_int_eq(output_expand("abcd", 1, out, 4), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	ck_assert_int_eq(output_expand("r.%p", 12345, out, 8), 0);
	ck_assert_str_eq(out, "r.12345");
	errno = 0;
	ck_assert_int_eq(output_expand("r.%p", 12345, out, 7), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	ck_assert_int_eq(output_expand("%%", 1, out, 2), 0);
	ck_assert_str_eq(out, "%");
	errno = 0;
	ck_assert_int_eq(output_expand("%%", 1, out, 1), -1);
	out[0] = 'z';
	ck_assert_int_eq(output_expand("", 1, out, 0), -1); /* no room even for the NUL */
	ck_assert_int_eq(out[0], 'z');
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* ---- output_to_path() --------------------------------------------------- */

static char dir[64];

/* a fresh directory per test: the checked fixture */
static void make_dir(void)
{
	strcpy(dir, "/tmp/memstats-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes dir and what the tests put in it (files, empty directories). */
static void remove_dir(void)
{
	DIR *d;
	struct dirent *e;

	ck_assert_int_eq(chmod(dir, 0700), 0);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ck_assert_int_eq(unlinkat(dirfd(d), e->d_name, e->d_type == DT_DIR ? AT_REMOVEDIR : 0), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* Number of entries in dir; the name of the last one read into name. */
static int dir_entries(char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	name[0] = '\0';
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(name, size, "%s", e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static const char *in_dir(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static char *file_contents(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;

	ck_assert_int_ge(fd, 0);
	s = fd_contents(fd, NULL);
	close(fd);
	return s;
}

static const struct memstats_row sample_rows[] = {
	{ "src/app.c", 42, "load", "malloc", "malloc", NULL, "/bin/app", { 10, 0, 640, 720, 0 } },
	{ "src/app.c", 57, "unload", "free", "free", NULL, "/bin/app", { 4, 0, 0, 0, 288 } },
};

static void sample_report(struct report *rep)
{
	static struct memstats_row rows[NELEM(sample_rows)];
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };

	memcpy(rows, sample_rows, sizeof(rows));
	report_prepare(rep, rows, NELEM(sample_rows), &opt);
	rep->pid = 4242;
	rep->program = "app";
}

/* What report_write() gives for rep, to compare a file with. */
static char *expected(const struct report *rep)
{
	struct writer w;
	int fd = mem_fd();
	char *s;

	w_init(&w, fd);
	ck_assert_int_eq(report_write(rep, &w), 0);
	s = fd_contents(fd, NULL);
	close(fd);
	return s;
}

START_TEST(test_to_path_writes_report)
{
	struct report rep;
	char name[256], *got, *want;

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("report.json"), &rep), 0);

	ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
	ck_assert_str_eq(name, "report.json");
	got = file_contents(in_dir("report.json"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(got, "\"balance\": 432"));
	free(got);
	free(want);
}
END_TEST

/* A reader that opened the old report keeps reading all of it: the new one
 * is a different file renamed over it, not the old one rewritten. */
START_TEST(test_to_path_replaces_atomically)
{
	static const char old[] = "old report\n";
	struct report rep;
	struct stat before, after;
	char name[256], *got, *want, *still;
	int fd;

	fd = open(in_dir("report.json"), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, old, sizeof(old) - 1), (ssize_t)(sizeof(old) - 1));
	ck_assert_int_eq(fstat(fd, &before), 0);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("report.json"), &rep), 0);

	ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
	ck_assert_str_eq(name, "report.json");
	ck_assert_int_eq(stat(in_dir("report.json"), &after), 0);
	ck_assert_uint_ne(after.st_ino, before.st_ino);
	got = file_contents(in_dir("report.json"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	still = fd_contents(fd, NULL);
	ck_assert_str_eq(still, old);
	free(still);
	free(got);
	free(want);
	close(fd);
}
END_TEST

START_TEST(test_to_path_missing_dir)
{
	struct report rep;
	char name[256];

	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("missing/report.json"), &rep), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(dir_entries(name, sizeof(name)), 0);
}
END_TEST

/* Root ignores permissions, so as root the call is made as nobody. */
START_TEST(test_to_path_read_only_dir)
{
	int root = geteuid() == 0;
	struct report rep;
	char name[256];
	int rc, err;

	ck_assert_int_eq(chmod(dir, 0555), 0);
	if (root && seteuid(65534) != 0)
		return; /* cannot drop privileges here: nothing to check */
	sample_report(&rep);
	errno = 0;
	rc = output_to_path(in_dir("report.json"), &rep);
	err = errno;
	if (root)
		ck_assert_int_eq(seteuid(0), 0);

	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EACCES);
	ck_assert_int_eq(dir_entries(name, sizeof(name)), 0);
}
END_TEST

/* The rename is what fails here: the temporary file must go too. */
START_TEST(test_to_path_onto_directory)
{
	struct report rep;
	char name[256];

	ck_assert_int_eq(mkdir(in_dir("sub"), 0700), 0);
	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("sub"), &rep), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
	ck_assert_str_eq(name, "sub");
}
END_TEST

Suite *suite_output(void)
{
	Suite *s = suite_create("output");
	TCase *expand = tcase_create("expand");
	TCase *path = tcase_create("to_path");

	tcase_add_loop_test(expand, test_expand, 0, (int)NELEM(expand_cases));
	tcase_add_test(expand, test_expand_too_long);
	suite_add_tcase(s, expand);

	tcase_add_checked_fixture(path, make_dir, remove_dir);
	tcase_add_test(path, test_to_path_writes_report);
	tcase_add_test(path, test_to_path_replaces_atomically);
	tcase_add_test(path, test_to_path_missing_dir);
	tcase_add_test(path, test_to_path_read_only_dir);
	tcase_add_test(path, test_to_path_onto_directory);
	suite_add_tcase(s, path);
	return s;
}
