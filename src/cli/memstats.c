/* memstats.c - the memstats command: one program, a subcommand each, and
 * where memstats is (the other files' cli_dirs).
 *
 *   memstats top|diff|merge|pprof|folded|html|metrics REPORT...  (a file each:
 *            top.c, ...; the report read by report.c, written by out.c)
 *   memstats run [--track] [--format F] [-o PATH] -- PROGRAM ARGS...
 *   memstats cc ARGS... / memstats c++ ARGS...   (cc.c; also installed as
 *                                                memstats-cc, memstats-c++)
 *
 * run: PROGRAM with libmemstats-preload.so, its report as the options say
 * (they set the MEMSTATS_* variables of the same names), no rebuild.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef MEMSTATS_LIBDIR
#define MEMSTATS_LIBDIR "/usr/local/lib"
#endif
#ifndef MEMSTATS_INCLUDEDIR
#define MEMSTATS_INCLUDEDIR "/usr/local/include"
#endif

#define PRELOAD_NAME "libmemstats-preload.so"

static const char usage_run[] =
	"usage: memstats run [--track] [--format text|json|csv] [-o PATH] -- PROGRAM ARGS...\n"
	"  Runs PROGRAM with " PRELOAD_NAME ": every allocation of code built without\n"
	"  memstats.h (the program, its libraries, C++ new and delete) is counted at\n"
	"  the line that made it. The report goes where MEMSTATS_OUTPUT says (stderr),\n"
	"  or to PATH (%p: the pid).\n"
	"  --track     live tracking (MEMSTATS_TRACK=1): leaks, peaks, ages\n"
	"  --format F  text, json or csv (MEMSTATS_FORMAT)\n"
	"  -o PATH     MEMSTATS_OUTPUT\n";

static const char usage_all[] =
	"usage: memstats COMMAND ARGS...\n"
	"commands (REPORT: a JSON report, version 1 or 2; - reads stdin):\n"
	"  top     REPORT: the rows as a table, regrouped and sorted\n"
	"  diff    OLD NEW: what changed per row, biggest growth first\n"
	"  merge   REPORT...: one report summing the same sites\n"
	"  pprof   REPORT -o PATH: a gzipped pprof profile (go tool pprof, Pyroscope, Parca)\n"
	"  folded  REPORT: folded stacks for flame graphs\n"
	"  html    REPORT -o PATH: one self-contained page\n"
	"  metrics REPORT: OpenMetrics text (Prometheus)\n"
	"  torture -- PROGRAM ARGS: run it failing each allocation call in turn\n"
	"  run     run a program, counting what it allocates without a rebuild\n"
	"  cc      compile and link C with memstats (as memstats-cc: CC=memstats-cc)\n"
	"  c++     the same for C++ (memstats-c++)\n"
	"  help    memstats help COMMAND: what a command does\n";

/* A file that exists: dir/name into out. */
static int found(char *out, size_t size, const char *dir, const char *name)
{
	return (size_t)snprintf(out, size, "%s/%s", dir, name) < size && access(out, R_OK) == 0;
}

/* The directory this program is in, into dir. */
static int self_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n <= 0)
		return -1;
	dir[n] = '\0';
	if (!(slash = strrchr(dir, '/')))
		return -1;
	*slash = '\0';
	return 0;
}

/* inc and lib hold memstats.h and libmemstats.so. */
static int dirs_hold(const char *inc, const char *lib)
{
	char f[PATH_MAX];

	return found(f, sizeof(f), inc, "memstats.h") && found(f, sizeof(f), lib, "libmemstats.so");
}

/* inc and lib: i and l without "..", if they hold memstats. */
static int set_dirs(char *inc, size_t inc_size, char *lib, size_t lib_size, const char *i, const char *l)
{
	char ri[PATH_MAX], rl[PATH_MAX];

	if (!dirs_hold(i, l) || !realpath(i, ri) || !realpath(l, rl))
		return -1;
	if ((size_t)snprintf(inc, inc_size, "%s", ri) >= inc_size || (size_t)snprintf(lib, lib_size, "%s", rl) >= lib_size)
		return -1;
	return 0;
}

int cli_dirs(char *inc, size_t inc_size, char *lib, size_t lib_size)
{
	char self[PATH_MAX], up[PATH_MAX + 16], uplib[PATH_MAX + 16];

	if (self_dir(self, sizeof(self)) == 0) { /* the build tree: build/memstats, include/ */
		snprintf(up, sizeof(up), "%s/../include", self);
		if (set_dirs(inc, inc_size, lib, lib_size, up, self) == 0)
			return 0;
	}
	if (set_dirs(inc, inc_size, lib, lib_size, MEMSTATS_INCLUDEDIR, MEMSTATS_LIBDIR) == 0)
		return 0;
	if (self_dir(self, sizeof(self)) < 0)
		return -1;
	snprintf(up, sizeof(up), "%s/../include", self);
	snprintf(uplib, sizeof(uplib), "%s/../lib", self);
	return set_dirs(inc, inc_size, lib, lib_size, up, uplib);
}

/* The preload library: beside this program's lib directory (an installed
 * or relocated tree), beside the program (the build tree), or where it was
 * installed. */
static int preload_path(char *out, size_t size)
{
	char self[PATH_MAX], dir[PATH_MAX + 8];

	if (self_dir(self, sizeof(self)) == 0) {
		snprintf(dir, sizeof(dir), "%s/../lib", self);
		if (found(out, size, dir, PRELOAD_NAME) || found(out, size, self, PRELOAD_NAME))
			return 0;
	}
	return found(out, size, MEMSTATS_LIBDIR, PRELOAD_NAME) ? 0 : -1;
}

int cli_usage(const char *what, const char *usage)
{
	fprintf(stderr, "memstats: %s\n%s", what, usage);
	return 2;
}

int cli_is_report(const char *a)
{
	return a[0] != '-' || strcmp(a, "-") == 0;
}

int cli_report_and_output(int argc, char **argv, const char **in, const char **path, const char *name,
			  const char *usage)
{
	char what[128];

	*in = *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			*path = argv[++i];
		} else if (!*in && cli_is_report(argv[i])) {
			*in = argv[i];
		} else {
			snprintf(what, sizeof(what), "%s: one report and -o PATH", name);
			return cli_usage(what, usage);
		}
	}
	if (*in && *path)
		return 0;
	snprintf(what, sizeof(what), "%s: a report and -o PATH", name);
	return cli_usage(what, usage);
}

/* LD_PRELOAD with the library first, what was there kept after it. */
static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;
	int rc;

	if (old && *old) {
		if (asprintf(&v, "%s:%s", lib, old) < 0)
			return -1;
		rc = setenv("LD_PRELOAD", v, 1);
		free(v);
		return rc;
	}
	return setenv("LD_PRELOAD", lib, 1);
}

static int cmd_run(int argc, char **argv)
{
	char lib[PATH_MAX];
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--track") == 0) {
			setenv("MEMSTATS_TRACK", "1", 1);
		} else if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-o") == 0) && i + 1 < argc) {
			setenv(argv[i][1] == 'o' ? "MEMSTATS_OUTPUT" : "MEMSTATS_FORMAT", argv[i + 1], 1);
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_run, stdout);
			return 0;
		} else {
			char what[256];

			snprintf(what, sizeof(what), "run: unknown option '%s'", argv[i]);
			return cli_usage(what, usage_run);
		}
	}
	if (i + 1 >= argc)
		return cli_usage("run: no program after --", usage_run);
	if (preload_path(lib, sizeof(lib)) < 0) {
		fprintf(stderr, "memstats: run: cannot find %s (looked beside this program and in %s)\n",
			PRELOAD_NAME, MEMSTATS_LIBDIR);
		return 2;
	}
	if (set_preload(lib) < 0) {
		fprintf(stderr, "memstats: run: %s\n", strerror(errno));
		return 2;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "memstats: run: cannot run %s: %s\n", argv[i + 1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static int cmd_c(int argc, char **argv)
{
	return cmd_cc(argc, argv, 0);
}

static int cmd_cxx(int argc, char **argv)
{
	return cmd_cc(argc, argv, 1);
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "top", cmd_top, usage_top },
	{ "diff", cmd_diff, usage_diff },
	{ "merge", cmd_merge, usage_merge },
	{ "pprof", cmd_pprof, usage_pprof },
	{ "folded", cmd_folded, usage_folded },
	{ "html", cmd_html, usage_html },
	{ "metrics", cmd_metrics, usage_metrics },
	{ "torture", cmd_torture, usage_torture },
	{ "run", cmd_run, usage_run },
	{ "cc", cmd_c, usage_cc },
	{ "c++", cmd_cxx, usage_cc },
};

static const struct command *command_named(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	/* installed as memstats-cc and memstats-c++ too: the compiler's
	 * arguments, every one of them (even --help) */
	if (strcmp(name, "memstats-cc") == 0 || strcmp(name, "memstats-c++") == 0)
		return cmd_cc(argc, argv, name[10] == '+');
	if (argc < 2)
		return cli_usage("no command", usage_all);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_all, stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			fputs(usage_all, stdout);
			return 0;
		}
		if (!(c = command_named(argv[2])))
			return cli_usage("help: no such command", usage_all);
		fputs(c->usage, stdout);
		return 0;
	}
	if (!(c = command_named(argv[1]))) {
		char what[256];

		snprintf(what, sizeof(what), "unknown command '%s'", argv[1]);
		return cli_usage(what, usage_all);
	}
	return c->run(argc - 1, argv + 1);
}
