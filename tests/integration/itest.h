/* itest.h - helpers for integration tests: programs built with
 * -include memstats.h that assert exact numbers about their own call sites.
 *
 * A site is named by the line of its call, taken with __LINE__ on that same
 * line, and its api: `p = malloc(10); int l = __LINE__;`.
 */
#ifndef ITEST_H
#define ITEST_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct site_query {
	const char *file;
	unsigned int line;
	const char *api;
	int found;
	struct memstats_row row;
	char func[256], type[256], object[4096]; /* a row's strings last as long as the callback */
};

static const char *keep(char *buf, size_t size, const char *s)
{
	if (!s)
		return NULL;
	snprintf(buf, size, "%s", s);
	return buf;
}

static int site_query_fn(const struct memstats_row *r, void *arg)
{
	struct site_query *q = arg;

	if (r->line == q->line && strcmp(r->api, q->api) == 0 && strcmp(r->file, q->file) == 0) {
		q->found++;
		q->row = *r;
		q->row.file = q->file;
		q->row.api = q->api;
		q->row.func = keep(q->func, sizeof(q->func), r->func);
		q->row.type = keep(q->type, sizeof(q->type), r->type);
		q->row.object = keep(q->object, sizeof(q->object), r->object);
	}
	return 0;
}

/* The one site of file at line with api; fails the test unless exactly one. */
static inline struct memstats_row site_in(const char *file, unsigned int line, const char *api)
{
	static struct site_query q; /* the returned row's strings live here */

	memset(&q, 0, sizeof(q));
	q.file = file;
	q.line = line;
	q.api = api;
	memstats_foreach_site(site_query_fn, &q);
	ck_assert_msg(q.found == 1, "%d sites at %s:%u api %s, expected 1", q.found, file, line, api);
	return q.row;
}

/* The same, in the calling file. */
#define site_at(line, api) site_in(__FILE__, (unsigned int)(line), (api))

/* Exact counters of one site. */
#define ck_assert_site(line, api, calls_, failed_, bytes_, alloc_, free_)                         \
	do {                                                                                       \
		struct memstats_row r_ = site_at((line), (api));                                   \
		ck_assert_uint_eq(r_.c.calls, (calls_));                                           \
		ck_assert_uint_eq(r_.c.failed, (failed_));                                         \
		ck_assert_uint_eq(r_.c.bytes, (bytes_));                                           \
		ck_assert_uint_eq(r_.c.alloc_bytes, (alloc_));                                     \
		ck_assert_uint_eq(r_.c.free_bytes, (free_));                                       \
	} while (0)

/* Every row at line of file (by its last component, as debug information
 * may name it otherwise) with op, summed (a compiler may make one line
 * several calls): what caller rows are checked with. The strings are the
 * first row's. */
struct rows_at {
	const char *file;
	unsigned int line;
	const char *op;
	int rows;
	memstats_u64 calls, bytes, alloc_bytes, free_bytes, live_blocks;
	char via[256], func[128], kind[16], api[64], object[1024];
};

static inline const char *last_component(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static inline int rows_at_fn(const struct memstats_row *r, void *arg)
{
	struct rows_at *q = arg;

	if (!r->file || strcmp(last_component(r->file), last_component(q->file)) != 0 || r->line != q->line ||
	    strcmp(r->op, q->op) != 0)
		return 0;
	if (!q->rows++) {
		size_t n = 0;

		for (int i = 0; i < MEMSTATS_VIA_MAX && r->via[i]; i++)
			n += (size_t)snprintf(q->via + n, sizeof(q->via) - n, "%s%s", i ? ">" : "", r->via[i]);
		snprintf(q->func, sizeof(q->func), "%s", r->func ? r->func : "?");
		snprintf(q->kind, sizeof(q->kind), "%s", r->kind ? r->kind : "site");
		snprintf(q->api, sizeof(q->api), "%s", r->api ? r->api : "?");
		snprintf(q->object, sizeof(q->object), "%s", r->object ? r->object : "?");
	}
	q->calls += r->c.calls;
	q->bytes += r->c.bytes;
	q->alloc_bytes += r->c.alloc_bytes;
	q->free_bytes += r->c.free_bytes;
	q->live_blocks += r->live.blocks;
	return 0;
}

static inline struct rows_at find_rows(const char *file, unsigned int line, const char *op)
{
	struct rows_at q = { .file = file, .line = line, .op = op };

	memstats_foreach_site(rows_at_fn, &q);
	return q;
}

/* The same in a test: at least one row, or the test fails. */
static inline struct rows_at rows_at(const char *file, unsigned int line, const char *op)
{
	struct rows_at q = find_rows(file, line, op);

	ck_assert_msg(q.rows > 0, "no row at %s:%u op %s", file, line, op);
	return q;
}

/* This program's path, as the report names the object holding its sites. */
static inline const char *self_path(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	path[n > 0 ? n : 0] = '\0';
	return path;
}

/* Reads a whole file into a NUL-terminated buffer the caller frees (uncounted). */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = (malloc)((size_t)n + 1);
	if (buf) {
		buf[fread(buf, 1, (size_t)n, f)] = '\0';
	}
	fclose(f);
	return buf;
}

/* Occurrences of needle in haystack. */
static inline int count_of(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Starts this very program again as "prog child MODE" in the directory cwd
 * (NULL: this one) with the extra environment env (NULL-terminated
 * "NAME=value" strings), stdout and stderr on the descriptors out and err.
 * Returns its pid. */
static inline pid_t spawn_child(const char *mode, const char *const *env, const char *cwd, int out, int err)
{
	const char *self = getenv("ITEST_SELF");
	char path[4096];
	pid_t pid;

	ck_assert_msg(self != NULL, "ITEST_SELF must name this test binary (the Makefile sets it)");
	self = realpath(self, path); /* still right after the child's chdir */
	pid = fork();
	if (pid == 0) {
		static const char *const vars[] = { "MEMSTATS_OUTPUT", "MEMSTATS_FORMAT", "MEMSTATS_SORT",
						     "MEMSTATS_TOP", "MEMSTATS_MATCH", "MEMSTATS_ALL",
						     "MEMSTATS_TRACK", "MEMSTATS_INTERVAL", "MEMSTATS_SIGNAL" };
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			unsetenv(vars[i]); /* the child sees only what the test gives it */
		for (; env && *env; env++)
			putenv((char *)*env);
		if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		if (cwd && chdir(cwd) != 0)
			_exit(125);
		execl(self, self, "child", mode, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* The exit status of child pid, or 128 + the signal that ended it. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* spawn_child() with stdout and stderr to the files out_path and err_path,
 * waited for. Returns the exit status, or -1. */
static inline int run_child(const char *mode, const char *const *env, const char *cwd, const char *out_path,
			    const char *err_path)
{
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid;

	ck_assert_int_ge(out, 0);
	ck_assert_int_ge(err, 0);
	pid = spawn_child(mode, env, cwd, out, err);
	close(out);
	close(err);
	return wait_child(pid);
}

/* A fresh directory for one test's files; removed by rm_tree(). */
static inline void make_tmpdir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/memstats-itest.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static inline void rm_tree(const char *dir)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* run_child() with its output in a directory of its own, removed after:
 * for a child that checks itself. Returns its exit status. */
static inline int run_child_checking_itself(const char *mode, const char *const *env)
{
	char dir[256], out[300], err[300];
	int status;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	status = run_child(mode, env, NULL, out, err);
	rm_tree(dir);
	return status;
}

/* Settings read at start-up: unless each NAME=VALUE of env (NULL-ended) is
 * so already, runs this program again with them (ITEST_SELF, which make
 * check sets, or /proc/self/exe). */
static inline void run_again_with(char **argv, const char *const *env)
{
	const char *self = getenv("ITEST_SELF");
	int again = 0;

	for (; *env; env++) {
		const char *eq = strchr(*env, '='), *now;
		size_t len = (size_t)(eq - *env);
		char name[64];

		if (len >= sizeof(name)) { /* before the suite: no ck_assert yet */
			fprintf(stderr, "run_again_with: %s: name too long\n", *env);
			exit(2);
		}
		memcpy(name, *env, len);
		name[len] = '\0';
		now = getenv(name);
		if (!now || strcmp(now, eq + 1) != 0) {
			setenv(name, eq + 1, 1);
			again = 1;
		}
	}
	if (!again)
		return;
	execv(self ? self : "/proc/self/exe", argv);
	perror("execv");
	exit(127);
}

/* Runs the suite; non-zero exit on any failure. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif /* ITEST_H */
