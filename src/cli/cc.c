/* cc.c - memstats-cc and memstats-c++ (also memstats cc, memstats c++): the
 * real compiler with memstats' flags, so that one variable (CC=memstats-cc)
 * instruments a whole build, whatever its makefiles do with LIBS, LDFLAGS
 * and --as-needed.
 *
 * A C program, not a shell script: it runs once for every compile of a
 * project, must pass every argument on byte for byte (spaces, quotes,
 * response files) and must read the compiler's diagnostics to fall back.
 *
 * What it adds to the real compiler's command (MEMSTATS_REAL_CC, default
 * cc; MEMSTATS_REAL_CXX, default c++; words split at blanks: "ccache gcc"):
 *   - a command with no input (--version, -print-*, -dumpmachine): nothing;
 *   - when it preprocesses an input (C, C++, assembly, headers; -E, -M):
 *     the header, before the user's own flags (so theirs win: a file's own
 *     -DMEMSTATS_DISABLE still works);
 *   - when it links (no -c, -S, -E, -M, -MM, -fsyntax-only): the library,
 *     after every argument, where --as-needed keeps it for the objects
 *     before it; the shared one (-Bdynamic for it alone, whatever state
 *     the user's flags left), the archive with -static.
 * A compile that fails is run again with -DMEMSTATS_NO_FREE, then with
 * -DMEMSTATS_DISABLE, then without memstats; the first that works is kept,
 * and one line on stderr (and in MEMSTATS_CC_LOG) names the files, the
 * hatch and the first error the macros caused. A failure that every form
 * shares is the file's own: the last form's diagnostics are shown. A link
 * that fails is never run again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

const char usage_cc[] =
	"usage: memstats-cc ARGS...   (memstats-c++, memstats cc, memstats c++: the same)\n"
	"  Runs the real compiler (MEMSTATS_REAL_CC, default cc; MEMSTATS_REAL_CXX, default\n"
	"  c++) with ARGS and memstats' flags: the header on every compile, the library\n"
	"  on every link (after the objects; the archive with -static). A file that does\n"
	"  not compile with the macros is compiled with -DMEMSTATS_NO_FREE, then with\n"
	"  -DMEMSTATS_DISABLE; one line on stderr says so (MEMSTATS_CC_LOG=path: there too).\n"
	"  Use it as CC: make CC=memstats-cc, ./configure CC=memstats-cc,\n"
	"  cmake -DCMAKE_C_COMPILER=memstats-cc -DCMAKE_CXX_COMPILER=memstats-c++.\n";

/* Set in the real compiler's environment: a real compiler that is this
 * program again (MEMSTATS_REAL_CC=memstats-cc) would run forever. */
#define ACTIVE_VAR "MEMSTATS_CC_ACTIVE"

/* ---- what the command does ---------------------------------------------- */

struct plan {
	int inputs;          /* files: sources and linker inputs */
	int sources;         /* inputs the compiler compiles or preprocesses */
	int no_link;         /* -c, -S, -E, -M, -MM, -fsyntax-only */
	int preprocess_only; /* -E, -M, -MM: no object, no fallback */
	int is_static;       /* -static, -static-pie */
	char names[512];     /* the sources, for messages */
};

/* Options whose value is the next argument (which is then no input). */
static int takes_value(const char *a)
{
	static const char *const opts[] = {
		"-o", "-x", "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-idirafter", "-iprefix",
		"-iwithprefix", "-iwithprefixbefore", "-iquote", "-isysroot", "-imultilib", "-MF", "-MT", "-MQ",
		"-L", "-l", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang", "-aux-info", "-T", "-u",
		"-e", "--param", "-z", "-B", "-target", "-arch", "-wrapper", "-dumpbase", "-dumpbase-ext",
		"-dumpdir", "-G", "-include-pch", "-mllvm", "-specs", "--sysroot", "-imultiarch",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(a, opts[i]) == 0)
			return 1;
	return 0;
}

/* Whether a file of this name is compiled (not handed to the linker). */
static int is_source_name(const char *f)
{
	static const char *const exts[] = {
		"c", "i", "cc", "cp", "cxx", "cpp", "CPP", "c++", "C", "ii", "s", "S", "sx", "h", "hh",
		"H", "hp", "hxx", "hpp", "HPP", "h++", "tcc", "m", "mi", "mm", "M", "mii",
	};
	const char *dot = strrchr(f, '.');

	if (strcmp(f, "-") == 0)
		return 1;
	if (!dot || strchr(dot, '/'))
		return 0;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(dot + 1, exts[i]) == 0)
			return 1;
	return 0;
}

static void add_name(struct plan *p, const char *f)
{
	size_t n = strlen(p->names);

	if (n + strlen(f) + 3 < sizeof(p->names))
		snprintf(p->names + n, sizeof(p->names) - n, "%s%s", n ? ", " : "", f);
}

static void classify(struct plan *p, int argc, char **argv, int depth);

/* A response file (@file): read for what it says, passed on unchanged.
 * Blanks separate words; quotes and backslashes as gcc reads them. */
static void classify_file(struct plan *p, const char *path, int depth)
{
	FILE *f = depth < 8 ? fopen(path, "r") : NULL;
	char **words = NULL, word[4096];
	int n = 0, c, quote = 0, len = -1;

	if (!f)
		return;
	while ((c = getc(f)) != EOF) {
		if (c == '\\' && (c = getc(f)) != EOF) {
			if (len < 0)
				len = 0;
			if (len < (int)sizeof(word) - 1)
				word[len++] = (char)c;
		} else if (quote ? c == quote : (c == '\'' || c == '"')) {
			quote = quote ? 0 : c;
			len = len < 0 ? 0 : len;
		} else if (!quote && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			if (len >= 0) {
				char **w = realloc(words, (n + 1) * sizeof(*w));

				word[len] = '\0';
				if (!w || !(w[n] = strdup(word))) {
					words = w ? w : words;
					break;
				}
				words = w;
				n++;
			}
			len = -1;
		} else {
			if (len < 0)
				len = 0;
			if (len < (int)sizeof(word) - 1)
				word[len++] = (char)c;
		}
	}
	fclose(f);
	if (len >= 0) {
		char **w = realloc(words, (n + 1) * sizeof(*w));

		word[len] = '\0';
		if (w && (w[n] = strdup(word)))
			n++;
		words = w ? w : words;
	}
	classify(p, n, words, depth + 1);
	for (int i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

static void classify(struct plan *p, int argc, char **argv, int depth)
{
	int lang = 0; /* a -x other than none: every later input is a source */

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '@' && a[1]) {
			classify_file(p, a + 1, depth);
		} else if (a[0] != '-' || strcmp(a, "-") == 0) {
			p->inputs++;
			if (lang || is_source_name(a)) {
				p->sources++;
				add_name(p, a);
			}
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-fsyntax-only") == 0) {
			p->no_link = 1;
		} else if (strcmp(a, "-E") == 0 || strcmp(a, "-M") == 0 || strcmp(a, "-MM") == 0) {
			p->no_link = p->preprocess_only = 1;
		} else if (strcmp(a, "-static") == 0 || strcmp(a, "-static-pie") == 0) {
			p->is_static = 1;
		} else if (strncmp(a, "-x", 2) == 0) {
			const char *l = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : "none");

			lang = strcmp(l, "none") != 0;
		} else if (takes_value(a) && i + 1 < argc) {
			i++;
		}
	}
}

/* ---- the command lines ------------------------------------------------------ */

struct argv_buf {
	char **v;
	int n, cap;
};

static int push(struct argv_buf *b, const char *s)
{
	if (b->n + 2 > b->cap) {
		int cap = b->cap ? 2 * b->cap : 64;
		char **v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -1;
		b->v = v;
		b->cap = cap;
	}
	if (!(b->v[b->n] = strdup(s)))
		return -1;
	b->v[++b->n] = NULL;
	return 0;
}

/* The real compiler's words: MEMSTATS_REAL_CC "ccache gcc" is two. */
static int push_words(struct argv_buf *b, const char *s)
{
	char *copy = strdup(s), *save = NULL;
	int rc = copy ? 0 : -1;

	for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w && rc == 0; w = strtok_r(NULL, " \t", &save))
		rc = push(b, w);
	free(copy);
	return rc;
}

enum hatch { WITH_MACROS, NO_FREE, DISABLE, WITHOUT, HATCHES };

static const char *const hatch_name[HATCHES] = {
	"", "-DMEMSTATS_NO_FREE", "-DMEMSTATS_DISABLE", "no memstats header",
};

struct job {
	const char *real;       /* the real compiler's words */
	char inc[PATH_MAX], lib[PATH_MAX];
	int argc;
	char **argv;            /* the user's arguments */
	struct plan plan;
};

static int system_dir(const char *d, const char *const *dirs)
{
	for (; *dirs; dirs++)
		if (strcmp(d, *dirs) == 0)
			return 1;
	return 0;
}

static int compile_flags(struct argv_buf *b, const struct job *j, enum hatch h)
{
	static const char *const sys_inc[] = { "/usr/include", "/usr/local/include", NULL };
	char wrap[PATH_MAX + 32];
	int rc = 0;

	if (h == WITHOUT)
		return 0;
	snprintf(wrap, sizeof(wrap), "%s/memstats/wrap", j->inc);
	if (!system_dir(j->inc, sys_inc))
		rc |= push(b, "-I") | push(b, j->inc);
	rc |= push(b, "-isystem") | push(b, wrap) | push(b, "-include") | push(b, "memstats.h");
	if (h != WITH_MACROS)
		rc |= push(b, hatch_name[h]);
	return rc;
}

static int link_flags(struct argv_buf *b, const struct job *j)
{
	static const char *const sys_lib[] = { "/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", NULL };
	char rpath[PATH_MAX + 16];
	int rc = push(b, "-L") | push(b, j->lib);

	if (j->plan.is_static)
		return rc | push(b, "-lmemstats") | push(b, "-pthread");
	rc |= push(b, "-Wl,--push-state,-Bdynamic") | push(b, "-lmemstats") | push(b, "-Wl,--pop-state");
	if (!system_dir(j->lib, sys_lib)) {
		snprintf(rpath, sizeof(rpath), "-Wl,-rpath,%s", j->lib);
		rc |= push(b, rpath);
	}
	return rc | push(b, "-pthread");
}

static int command(struct argv_buf *b, const struct job *j, enum hatch h)
{
	int rc = push_words(b, j->real);

	if (rc == 0 && b->n == 0)
		return -1;
	if (j->plan.sources)
		rc |= compile_flags(b, j, h);
	for (int i = 0; i < j->argc; i++)
		rc |= push(b, j->argv[i]);
	if (!j->plan.no_link)
		rc |= link_flags(b, j);
	return rc;
}

static void drop(struct argv_buf *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
	*b = (struct argv_buf){ 0 };
}

/* ---- running it --------------------------------------------------------------- */

struct output {
	char *text;
	size_t len;
};

/* Runs argv with its stderr kept in out; its wait status, or -1. */
static int run_capturing(char **argv, struct output *out)
{
	int fds[2], status;
	char chunk[8192];
	ssize_t n;
	pid_t pid;

	out->len = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "memstats-cc: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		char *t;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !(t = realloc(out->text, out->len + (size_t)n + 1)))
			break;
		memcpy(t + out->len, chunk, (size_t)n);
		out->text = t;
		out->len += (size_t)n;
		out->text[out->len] = '\0';
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static void put_stderr(const struct output *o)
{
	for (size_t off = 0; off < o->len;) {
		ssize_t n = write(2, o->text + off, o->len - off);

		if (n <= 0 && errno != EINTR)
			break;
		off += n > 0 ? (size_t)n : 0;
	}
}

/* A linker's failure, not a compiler's: never compiled again. */
static int link_failed(const struct output *o)
{
	return o->len && (strstr(o->text, "collect2: error:") || strstr(o->text, "linker command failed") ||
			  strstr(o->text, "undefined reference to"));
}

/* The first line of o that says "error", into line (at most size). */
static void first_error(const struct output *o, char *line, size_t size)
{
	const char *at = o->len ? strstr(o->text, "error") : NULL;
	const char *start, *end;

	snprintf(line, size, "it failed");
	if (!at)
		return;
	for (start = at; start > o->text && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	snprintf(line, size, "%.*s", (int)(end ? end - start : (ptrdiff_t)strlen(start)), start);
}

/* One line on stderr, and appended to MEMSTATS_CC_LOG (one write: whole
 * lines even from a parallel build). */
static void say_fallback(const char *self, const struct job *j, enum hatch h, const char *why)
{
	const char *log = getenv("MEMSTATS_CC_LOG");
	char line[2048];
	int n, fd;

	n = snprintf(line, sizeof(line), "%s: %s: compiled with %s (with memstats' macros: %s)\n", self,
		     j->plan.names, hatch_name[h], why);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(2, line, (size_t)n);
	if (log && *log && (fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) >= 0) {
		(void)!write(fd, line, (size_t)n);
		close(fd);
	}
}

static int exit_code(int status)
{
	if (status < 0)
		return 126;
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

/* The ladder: each form in turn until one compiles. */
static int compile_with_fallback(const char *self, const struct job *j)
{
	struct output out = { 0 };
	char why[1024] = "";
	int status = -1;

	for (enum hatch h = WITH_MACROS; h < HATCHES; h++) {
		struct argv_buf b = { 0 };

		if (command(&b, j, h) < 0) {
			fprintf(stderr, "%s: out of memory\n", self);
			return 2;
		}
		status = run_capturing(b.v, &out);
		drop(&b);
		if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			if (h != WITH_MACROS)
				say_fallback(self, j, h, why);
			break;
		}
		if (status < 0 || WIFSIGNALED(status) || (h == WITH_MACROS && link_failed(&out)) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) >= 126))
			break; /* interrupted, not run, or a link: not the macros */
		if (h == WITH_MACROS)
			first_error(&out, why, sizeof(why));
	}
	put_stderr(&out);
	free(out.text);
	return exit_code(status);
}

static int exec_plain(const char *self, const struct job *j)
{
	struct argv_buf b = { 0 };

	if (command(&b, j, WITH_MACROS) < 0) {
		fprintf(stderr, "%s: out of memory, or MEMSTATS_REAL_CC/CXX empty\n", self);
		return 2;
	}
	execvp(b.v[0], b.v);
	fprintf(stderr, "%s: cannot run %s: %s\n", self, b.v[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int cmd_cc(int argc, char **argv, int cxx)
{
	const char *self = cxx ? "memstats-c++" : "memstats-cc";
	const char *var = cxx ? "MEMSTATS_REAL_CXX" : "MEMSTATS_REAL_CC";
	struct job j = { .argc = argc - 1, .argv = argv + 1 };

	j.real = getenv(var);
	if (!j.real || !*j.real)
		j.real = cxx ? "c++" : "cc";
	if (getenv(ACTIVE_VAR)) {
		fprintf(stderr, "%s: %s (%s) runs %s again: set it to the real compiler\n", self, var, j.real, self);
		return 2;
	}
	if (cli_dirs(j.inc, sizeof(j.inc), j.lib, sizeof(j.lib)) < 0) {
		fprintf(stderr, "%s: cannot find memstats.h and libmemstats (looked beside this program and where "
				"it was installed)\n", self);
		return 2;
	}
	classify(&j.plan, j.argc, j.argv, 0);
	if (j.plan.inputs == 0) { /* --version, -print-*, -dumpmachine: the compiler's own */
		j.plan.no_link = 1;
		j.plan.sources = 0;
	}
	setenv(ACTIVE_VAR, "1", 1);
	if (j.plan.sources && !j.plan.preprocess_only)
		return compile_with_fallback(self, &j);
	return exec_plain(self, &j);
}
