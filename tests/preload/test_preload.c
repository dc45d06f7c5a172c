/* test_preload.c - libmemstats-preload.so: code built without the header
 * (this file: memstats.h for the API only, -DMEMSTATS_DISABLE, no macros)
 * counted by return address, exact, at its lines: the C library's
 * functions, threads, fork, libc's own allocations, tracking, wrappers,
 * C++ new and delete (news.cc), a plugin unloaded and deleted (plug.c), a
 * program without debug information (nodebug.c), memstats run. The program
 * runs itself again under the preload library. BUILD is the build
 * directory (from make).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <memstats.h>

#include "../integration/itest.h"

#define PRELOAD BUILD "/libmemstats-preload.so"

#define ck_assert_caller(line, op, api_, calls_, bytes_)                                  \
	do {                                                                              \
		struct rows_at c_ = rows_at(__FILE__, (line), (op));                      \
		ck_assert_str_eq(c_.kind, "caller");                                      \
		ck_assert_str_eq(c_.api, (api_));                                         \
		ck_assert_uint_eq(c_.calls, (calls_));                                    \
		ck_assert_uint_eq(c_.bytes, (bytes_));                                    \
	} while (0)

static void *volatile hold[64];
static void *volatile null;

START_TEST(test_c_library_functions_at_their_lines)
{
	void *p;

	hold[0] = malloc(100); enum { L1 = __LINE__ };
	hold[1] = calloc(3, 8); enum { L2 = __LINE__ };
	hold[2] = realloc(null, 50); enum { L3 = __LINE__ };
	hold[3] = strdup("hello"); enum { L4 = __LINE__ };
	hold[4] = strndup("hello", 2); enum { L5 = __LINE__ };
	ck_assert_int_eq(posix_memalign(&p, 64, 10), 0); enum { L6 = __LINE__ };
	hold[5] = p;
	hold[6] = aligned_alloc(64, 128); enum { L7 = __LINE__ };
	hold[7] = memalign(64, 20); enum { L8 = __LINE__ };
	hold[8] = valloc(30); enum { L9 = __LINE__ };
	hold[9] = pvalloc(40); enum { L10 = __LINE__ };
	size_t freed = malloc_usable_size(hold[0]);
	free(hold[0]); enum { LF = __LINE__ };
	ck_assert_caller(L1, "malloc", "malloc", 1, 100);
	ck_assert_caller(L2, "calloc", "calloc", 1, 24);
	ck_assert_caller(L3, "realloc", "realloc", 1, 50);
	ck_assert_caller(L4, "strdup", "strdup", 1, 6);
	ck_assert_caller(L5, "strndup", "strndup", 1, 3);
	ck_assert_caller(L6, "malloc", "posix_memalign", 1, 10);
	ck_assert_caller(L7, "malloc", "aligned_alloc", 1, 128);
	ck_assert_caller(L8, "malloc", "memalign", 1, 20);
	ck_assert_caller(L9, "malloc", "valloc", 1, 30);
	ck_assert_caller(L10, "malloc", "pvalloc", 1, 40);
	ck_assert_caller(LF, "free", "free", 1, 0);
	ck_assert_str_eq(rows_at(__FILE__, L1, "malloc").func, "test_c_library_functions_at_their_lines_fn");
	ck_assert_uint_eq(rows_at(__FILE__, LF, "free").free_bytes, freed);
	free(NULL); /* not a call */
}
END_TEST

static void *worker(void *arg)
{
	for (int i = 0; i < 10000; i++) {
		void *p = malloc(24); enum { LT = __LINE__ };
		*(volatile char *)p = 1;
		free(p);
		*(int *)arg = LT;
	}
	return NULL;
}

START_TEST(test_threads_exact)
{
	pthread_t t[4];
	int line[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, &line[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_caller(line[0], "malloc", "malloc", 40000, 40000 * 24);
	ck_assert_uint_eq(rows_at(__FILE__, line[0] + 2, "free").calls, 40000);
}
END_TEST

/* What the C library allocates for the program (getline, fopen) is in its
 * rows; what memstats allocates for itself, and strdup's own malloc, never. */
struct libc_rows {
	memstats_u64 libc_calls, own_callers, libc_strdup;
};

static int libc_fn(const struct memstats_row *r, void *arg)
{
	struct libc_rows *l = arg;
	int libc = r->object && strstr(r->object, "libc.so");

	if (libc)
		l->libc_calls += r->c.calls;
	if (r->kind && strcmp(r->kind, "caller") == 0 && r->object &&
	    strncmp(last_component(r->object), "libmemstats", 11) == 0)
		l->own_callers += r->c.calls;
	if (libc && r->func && strstr(r->func, "strdup"))
		l->libc_strdup += r->c.calls;
	return 0;
}

START_TEST(test_libc_rows_and_none_of_our_own)
{
	struct libc_rows l = { 0 };
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(getline(&line, &cap, f), 0);
	fclose(f);
	free(line);
	free(strdup("x"));
	ck_assert_int_eq(memstats_dump_fd(open("/dev/null", O_WRONLY), NULL), 0); /* the runtime allocates */
	memstats_foreach_site(libc_fn, &l);
	ck_assert_uint_gt(l.libc_calls, 0);
	ck_assert_uint_eq(l.own_callers, 0);
	ck_assert_uint_eq(l.libc_strdup, 0);
}
END_TEST

START_TEST(test_fork_child_counts_its_own)
{
	int status;
	pid_t pid;

	hold[20] = malloc(7); enum { LP = __LINE__ };
	pid = fork();
	if (pid == 0) {
		enum { LC = __LINE__ + 2 };
		for (int i = 0; i < 5; i++)
			hold[21 + i] = malloc(64);
		_exit(find_rows(__FILE__, LC, "malloc").calls == 5 && find_rows(__FILE__, LP, "malloc").calls == 1 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(rows_at(__FILE__, LP, "malloc").calls, 1);
}
END_TEST

/* Declared wrappers in code built without the header: counted at their
 * callers (the preload library sees the call in xmalloc, walks to its
 * caller). */
__attribute__((noinline)) static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

START_TEST(test_wrappers_in_plain_code)
{
	enum { L = __LINE__ + 2 };
	for (int i = 0; i < 3; i++)
		hold[30 + i] = xmalloc(12);
	struct rows_at r = rows_at(__FILE__, L, "malloc");

	ck_assert_uint_eq(r.calls, 3);
	ck_assert_str_eq(r.via, "xmalloc");
	ck_assert_str_eq(r.func, "test_wrappers_in_plain_code_fn");
}
END_TEST

/* A plugin without the header, unloaded and deleted before the report:
 * resolved at its dlclose. */
START_TEST(test_plugin_unloaded_and_deleted)
{
	char path[] = "/tmp/memstats-plug.XXXXXX.so", cmd[256];
	int fd = mkstemps(path, 3), line;
	void *h;

	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp " BUILD "/tests/libplug.so %s", path);
	ck_assert_int_eq(system(cmd), 0);
	h = dlopen(path, RTLD_NOW);
	ck_assert_ptr_nonnull(h);
	line = ((int (*)(void))dlsym(h, "plug_line"))();
	((void (*)(void))dlsym(h, "plug"))();
	dlclose(h);
	unlink(path);
	struct rows_at r = rows_at("plug.c", (unsigned)line, "malloc");
	ck_assert_uint_eq(r.calls, 7);
	ck_assert_ptr_nonnull(strstr(r.object, "memstats-plug."));
}
END_TEST

/* Another object loaded where an unloaded one was, its calls at the same
 * addresses: counted at its own lines, not at the first one's. */
static uintptr_t plug_run(const char *path, int *line)
{
	void *h = dlopen(path, RTLD_NOW);
	void (*plug)(void);
	Dl_info info;

	ck_assert_ptr_nonnull(h);
	*line = ((int (*)(void))dlsym(h, "plug_line"))();
	plug = (void (*)(void))dlsym(h, "plug");
	plug();
	ck_assert_int_ne(dladdr((void *)plug, &info), 0);
	dlclose(h);
	return (uintptr_t)info.dli_fbase;
}

START_TEST(test_object_loaded_where_another_was)
{
	int line, other_line;
	uintptr_t first = plug_run(BUILD "/tests/libplug.so", &line);
	uintptr_t second = plug_run(BUILD "/tests/libplug-other.so", &other_line);

	ck_assert_msg(first == second, "the second plugin was not loaded where the first was: nothing to test");
	ck_assert_uint_eq(rows_at("plug.c", (unsigned)line, "malloc").calls, 7);
	ck_assert_uint_eq(rows_at("plug-other.c", (unsigned)other_line, "malloc").calls, 7);
}
END_TEST

/* ---- programs run under the preload library: their CSV reports ----------- */

/* Runs argv with the preload library (or with memstats run when run is
 * set), the report as CSV to a file; the report read back. */
static char *csv_of(char *const argv[], const char *const *env)
{
	char dir[256], out[300], report[300];
	int status, fd;
	pid_t pid;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(report, sizeof(report), "%s/r.csv", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		setenv("MEMSTATS_FORMAT", "csv", 1);
		setenv("MEMSTATS_OUTPUT", report, 1);
		setenv("LD_PRELOAD", PRELOAD, 1);
		for (; env && *env; env++)
			putenv((char *)*env);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d", argv[0], status);
	char *csv = slurp(report);
	ck_assert_ptr_nonnull(csv);
	rm_tree(dir);
	return csv;
}

/* Splits a CSV line (fields quoted when they hold a comma) in place: at
 * most max fields, NUL-terminated, unquoted. Returns how many. */
static int csv_fields(char *line, char **field, int max)
{
	int n = 0;

	while (n < max) {
		char *w = line;

		field[n++] = line;
		if (*line == '"') {
			for (line++; *line && !(*line == '"' && line[1] != '"'); line++)
				*w++ = *line == '"' ? *++line : *line;
			if (*line)
				line++;
		} else {
			while (*line && *line != ',')
				*w++ = *line++;
		}
		if (*line != ',') {
			*w = '\0';
			break;
		}
		*w = '\0';
		line++;
	}
	return n;
}

static int ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && strcmp(s + a - b, end) == 0;
}

/* The calls of the CSV rows with this api at file:line (line 0: rows
 * without a line, in an object whose path ends in obj). The columns are
 * file,line,func,op,api,type,object,kind,offset,via,calls,... */
static memstats_u64 csv_calls(const char *csv, const char *file, int line, const char *api, const char *obj)
{
	char *copy = strdup(csv), *l, *save = NULL, *f[16];
	memstats_u64 calls = 0;

	(void)strtok_r(copy, "\n", &save); /* the header */
	while ((l = strtok_r(NULL, "\n", &save))) {
		if (csv_fields(l, f, 16) < 11 || strcmp(f[4], api) != 0)
			continue;
		if (line ? (strcmp(last_component(f[0]), file) == 0 && atoi(f[1]) == line) : (!f[0][0] && ends_with(f[6], obj)))
			calls += strtoull(f[10], NULL, 10);
	}
	(free)(copy);
	return calls;
}

/* Runs argv without the preload library, its stdout to out. */
static int run_plain(char *const argv[], const char *out)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), status;
	pid_t pid = fork();

	if (pid == 0) {
		dup2(fd, 1);
		unsetenv("LD_PRELOAD");
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_no_debug_information)
{
	char *const argv[] = { BUILD "/tests/preload_nodebug", NULL };
	char *csv = csv_of(argv, NULL);

	ck_assert_uint_eq(csv_calls(csv, NULL, 0, "malloc", "/preload_nodebug"), 4);
	ck_assert_msg(strstr(csv, ",main,malloc,malloc,,") && strstr(csv, "/preload_nodebug,caller,0x"), "%s", csv);
	(free)(csv);
}
END_TEST

START_TEST(test_cxx_new_and_delete)
{
	static const char *const forms[][2] = {
		{ "new", "operator new" }, { "delete(size)", "operator delete(size)" },
		{ "new[]", "operator new[]" }, { "delete[]", "operator delete[]" },
		{ "new(nothrow)", "operator new(nothrow)" }, { "delete", "operator delete" },
		{ "new(align)", "operator new(align)" }, { "delete(size, align)", "operator delete(size, align)" },
		{ "new[](align)", "operator new[](align)" }, { "delete[](align)", "operator delete[](align)" },
	};
	char *const argv[] = { BUILD "/tests/preload_news", NULL };
	char dir[256], out[300];
	char *csv, *lines;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/lines", dir);
	ck_assert_int_eq(run_plain(argv, out), 0);
	lines = slurp(out);
	csv = csv_of(argv, NULL);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char key[64];
		const char *at;
		int line;

		snprintf(key, sizeof(key), "%s ", forms[i][0]);
		at = strstr(lines, key);
		ck_assert_msg(at && sscanf(at + strlen(key), "%d", &line) == 1, "%s", lines);
		ck_assert_msg(csv_calls(csv, "news.cc", line, forms[i][1], NULL) == 1, "%s at line %d: %s", forms[i][1],
			      line, csv);
	}
	(free)(csv);
	(free)(lines);
	rm_tree(dir);
}
END_TEST

/* memstats run: the same, no preload set by hand; bad usage and a missing
 * program. */
START_TEST(test_memstats_run)
{
	char dir[256], report[300], cmd[1024], *csv;

	make_tmpdir(dir, sizeof(dir));
	snprintf(report, sizeof(report), "%s/run.csv", dir);
	snprintf(cmd, sizeof(cmd), "env -u LD_PRELOAD %s/memstats run --format csv -o %s -- %s/tests/preload_nodebug",
		 BUILD, report, BUILD);
	ck_assert_int_eq(system(cmd), 0);
	csv = slurp(report);
	ck_assert_ptr_nonnull(csv);
	ck_assert_uint_eq(csv_calls(csv, NULL, 0, "malloc", "/preload_nodebug"), 4);
	(free)(csv);
	snprintf(cmd, sizeof(cmd), "%s/memstats run --bogus -- true 2>/dev/null", BUILD);
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s/memstats run -- %s/no-such-program 2>/dev/null", BUILD, dir);
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 127);
	snprintf(cmd, sizeof(cmd), "%s/memstats nosuchcommand 2>/dev/null", BUILD);
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s/memstats help run | grep -q -- --track", BUILD);
	ck_assert_int_eq(system(cmd), 0);
	rm_tree(dir);
}
END_TEST

/* ---- tracking (a child of its own, with MEMSTATS_TRACK=1) ------------------ */

static int tracked_child(void)
{
	char *line = NULL, json[1 << 16] = "";
	size_t cap = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	int fd = memfd_create("r", 0);

	hold[40] = calloc(2, 8); enum { LK = __LINE__ };
	free(malloc(5)); enum { LM = __LINE__ };
	if (!f || getline(&line, &cap, f) < 0)
		return 3;
	fclose(f);
	free(line); /* libc's block, tracked: not a foreign free */
	if (find_rows(__FILE__, LK, "calloc").live_blocks != 1 || find_rows(__FILE__, LM, "malloc").live_blocks != 0)
		return 1;
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };
	memstats_dump_fd(fd, &opt);
	if (pread(fd, json, sizeof(json) - 1, 0) <= 0 || !strstr(json, "\"foreign_frees\": 0"))
		return 2;
	return 0;
}

START_TEST(test_tracking)
{
	static const char *const env[] = { "MEMSTATS_TRACK=1", "MEMSTATS_OUTPUT=off", NULL };

	ck_assert_int_eq(run_child_checking_itself("track", env), 0);
}
END_TEST

int main(int argc, char **argv)
{
	const char *self = getenv("ITEST_SELF"), *pre = getenv("LD_PRELOAD");

	if (!pre || !strstr(pre, "libmemstats-preload.so")) { /* run again under it */
		setenv("LD_PRELOAD", PRELOAD, 1);
		setenv("MEMSTATS_WRAPPERS", "xmalloc", 1);
		execv(self ? self : argv[0], argv);
		return 127;
	}
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return tracked_child();

	Suite *s = suite_create("preload");
	TCase *tc = tcase_create("preload");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_c_library_functions_at_their_lines);
	tcase_add_test(tc, test_threads_exact);
	tcase_add_test(tc, test_libc_rows_and_none_of_our_own);
	tcase_add_test(tc, test_fork_child_counts_its_own);
	tcase_add_test(tc, test_wrappers_in_plain_code);
	tcase_add_test(tc, test_plugin_unloaded_and_deleted);
	tcase_add_test(tc, test_object_loaded_where_another_was);
	tcase_add_test(tc, test_no_debug_information);
	tcase_add_test(tc, test_cxx_new_and_delete);
	tcase_add_test(tc, test_memstats_run);
	tcase_add_test(tc, test_tracking);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
