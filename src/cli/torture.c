/* torture.c - memstats torture: curl's torture tests and SQLite's OOM
 * tests for any C program built with memstats. One run counts the
 * program's allocation calls (K); then K runs (or a sample of --max), the
 * k-th failing the k-th call (MEMSTATS_FAIL=nth=k), each classified:
 * a crash (a signal), a hang (--timeout), a sanitizer's error, a leak at
 * exit (more live blocks than the run without a failure: every run is
 * tracked), or only an exit status; then a table grouped by the site whose
 * failure caused it (the runtime writes it to MEMSTATS_FAIL_LOG when it
 * injects), each with the command that does that run again.
 *
 * Runs go -j at a time, each in a process group of its own, which a
 * timeout kills whole; nothing else is touched. The environment reaches
 * the program through a script too: a test suite can be tortured (nth then
 * counts in each instrumented process).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char usage_torture[] =
	"usage: memstats torture [-j N] [--timeout S] [--max M] -- PROGRAM ARGS...\n"
	"  Runs PROGRAM once to count its allocation calls (K), then K times, the k-th\n"
	"  run failing the k-th call (MEMSTATS_FAIL=nth=k), and reports each run that\n"
	"  crashed, hung (more than S seconds, default 10), hit a sanitizer error, leaked\n"
	"  or exited with a status, grouped by the site whose failure caused it, with the\n"
	"  command that reproduces it. -j N: N runs at a time. --max M: M of the K calls,\n"
	"  spread evenly. Exit status 1 when a run crashed, hung or hit a sanitizer error.\n";

enum outcome { OK, EXITED, LEAKED, SANITIZER, HUNG, CRASHED };

struct run {
	unsigned long k;                  /* the call failed; 0: the counting run */
	pid_t pid;
	double started;
	int status, timed_out, done;
	char site[512], func[256], api[64]; /* the injected call's, from the log */
	int injected;
	enum outcome outcome;
	char what[512];
	unsigned long long live_blocks, live_bytes;
	int has_report;
};

struct torture {
	char dir[256];
	char **argv;
	int jobs;
	double timeout;
	struct run *runs;
	size_t nruns;
	unsigned long long base_blocks, base_bytes;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void start(struct torture *T, struct run *r)
{
	char out[320], report[320], log[320], spec[64];
	pid_t pid;

	snprintf(out, sizeof(out), "%s/out.%lu", T->dir, r->k);
	snprintf(report, sizeof(report), "%s/report.%lu.%%p.json", T->dir, r->k);
	snprintf(log, sizeof(log), "%s/injected.%lu", T->dir, r->k);
	snprintf(spec, sizeof(spec), "nth=%lu", r->k);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		FILE *o = fopen(out, "w");

		setpgid(0, 0);
		if (o) {
			dup2(fileno(o), 1);
			dup2(fileno(o), 2);
		}
		setenv("MEMSTATS_FORMAT", "json", 1);
		setenv("MEMSTATS_TRACK", "1", 1);
		setenv("MEMSTATS_OUTPUT", report, 1);
		unsetenv("MEMSTATS_INTERVAL");
		unsetenv("MEMSTATS_CONFIG");
		if (r->k) {
			setenv("MEMSTATS_FAIL", spec, 1);
			setenv("MEMSTATS_FAIL_LOG", log, 1);
		} else {
			unsetenv("MEMSTATS_FAIL");
			unsetenv("MEMSTATS_FAIL_LOG");
		}
		execvp(T->argv[0], T->argv);
		fprintf(stderr, "memstats torture: cannot run %s: %s\n", T->argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* both sides: no race with the kill below */
	r->pid = pid;
	r->started = now();
	if (pid < 0) {
		r->done = 1;
		r->status = -1;
	}
}

/* Runs T->runs[from..to) -j at a time, each bounded by the timeout. */
static void run_all(struct torture *T, size_t from, size_t to)
{
	size_t next = from, running = 0;

	while (next < to || running) {
		int status;
		pid_t pid;

		while (running < (size_t)T->jobs && next < to) {
			start(T, &T->runs[next++]);
			running += !T->runs[next - 1].done;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (size_t i = from; i < next; i++) {
				if (T->runs[i].pid == pid && !T->runs[i].done) {
					T->runs[i].status = status;
					T->runs[i].done = 1;
					running--;
					if (T->runs[i].timed_out)
						kill(-pid, SIGKILL); /* what it left behind in its group */
				}
			}
		}
		for (size_t i = from; i < next; i++) {
			struct run *r = &T->runs[i];

			if (!r->done && !r->timed_out && now() - r->started > T->timeout) {
				r->timed_out = 1;
				kill(-r->pid, SIGKILL);
			}
		}
		if (running)
			usleep(5000);
	}
}

/* ---- what a run did ------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&text, &n, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/* The run's reports (one per instrumented process): live blocks at exit,
 * and for the counting run the allocation calls. */
static unsigned long long read_reports(const struct torture *T, struct run *r, unsigned long long *calls)
{
	char prefix[64];
	DIR *d = opendir(T->dir);
	struct dirent *e;
	unsigned long long most = 0;

	snprintf(prefix, sizeof(prefix), "report.%lu.", r->k);
	while (d && (e = readdir(d))) {
		char path[600];
		struct report rep;
		unsigned long long n = 0;

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", T->dir, e->d_name);
		if (report_read(path, &rep) < 0)
			continue;
		r->has_report = 1;
		r->live_blocks += rep.total_live.blocks;
		r->live_bytes += rep.total_live.bytes;
		for (size_t i = 0; i < rep.nrows; i++) {
			const struct row *w = &rep.rows[i];

			if (row_allocates(w) && strcmp(w->kind, "site") == 0 && strcmp(w->op, "p_alloc") != 0)
				n += w->c[C_CALLS];
		}
		most = n > most ? n : most; /* each process counts its own calls */
		report_free(&rep);
	}
	if (d)
		closedir(d);
	if (calls)
		*calls = most;
	return r->live_blocks;
}

static const char *sanitizer_line(const char *out, char *buf, size_t size)
{
	static const char *const marks[] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
					     "WARNING: MemorySanitizer", "runtime error:" };

	for (size_t i = 0; out && i < sizeof(marks) / sizeof(marks[0]); i++) {
		const char *at = strstr(out, marks[i]), *end;

		if (!at)
			continue;
		end = strchrnul(at, '\n');
		snprintf(buf, size, "%.*s", (int)(end - at), at);
		return buf;
	}
	return NULL;
}

static void classify(const struct torture *T, struct run *r)
{
	char path[320], buf[400], *text;
	int sig = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
	int code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/injected.%lu", T->dir, r->k);
	if ((text = slurp(path))) {
		r->injected = sscanf(text, "injected %*s %511s %255s %63s", r->site, r->func, r->api) == 3;
		free(text);
	}
	read_reports(T, r, NULL);
	snprintf(path, sizeof(path), "%s/out.%lu", T->dir, r->k);
	text = slurp(path);
	if (r->timed_out) {
		r->outcome = HUNG;
		n += (size_t)snprintf(r->what + n, sizeof(r->what) - n, "hang: timed out after %g s", T->timeout);
	} else if (sig) {
		const char *abbrev = sigabbrev_np(sig);

		r->outcome = CRASHED;
		n += (size_t)snprintf(r->what + n, sizeof(r->what) - n, "crash: SIG%s (signal %d, %s)", abbrev ? abbrev : "?",
				      sig, strsignal(sig));
	} else if (sanitizer_line(text, buf, sizeof(buf))) {
		r->outcome = SANITIZER;
		n += (size_t)snprintf(r->what + n, sizeof(r->what) - n, "sanitizer: %s", buf);
	}
	if (!r->timed_out && !sig && r->live_blocks > T->base_blocks) {
		r->outcome = r->outcome > LEAKED ? r->outcome : LEAKED;
		n += (size_t)snprintf(r->what + n, sizeof(r->what) - n, "%sleak: %llu more blocks live at exit (%lld bytes)",
				      n ? "; " : "", r->live_blocks - T->base_blocks,
				      (long long)(r->live_bytes - T->base_bytes));
	}
	if (!r->timed_out && !sig && code != 0) {
		r->outcome = r->outcome > EXITED ? r->outcome : EXITED;
		snprintf(r->what + n, sizeof(r->what) - n, "%sexit status %d", n ? "; " : "", code);
	}
	if (!r->what[0])
		snprintf(r->what, sizeof(r->what), "ran to its end, exit status 0");
	free(text);
}

/* ---- the table -------------------------------------------------------------- */

static void quoted(const char *s)
{
	if (*s && !strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|&;!#~")) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++)
		*s == '\'' ? fputs("'\\''", stdout) : putchar(*s);
	putchar('\'');
}

static void reproduce(const struct torture *T, unsigned long k)
{
	printf("      again: MEMSTATS_FAIL=nth=%lu", k);
	for (char **a = T->argv; *a; a++) {
		putchar(' ');
		quoted(*a);
	}
	putchar('\n');
}

static int report(const struct torture *T, unsigned long K)
{
	size_t count[6] = { 0 };
	char *done = calloc(T->nruns + 1, 1);
	int found = 0;

	if (!done)
		return 2;
	for (size_t i = 1; i < T->nruns; i++)
		count[T->runs[i].outcome]++;
	printf("memstats torture: %s made %lu allocation calls; %zu runs, each failing one call (MEMSTATS_FAIL=nth=K)\n",
	       T->argv[0], K, T->nruns - 1);
	printf("%zu crashed, %zu hung, %zu sanitizer errors, %zu leaked, %zu only exited with a status, %zu ran to their end\n",
	       count[CRASHED], count[HUNG], count[SANITIZER], count[LEAKED], count[EXITED], count[OK]);
	for (size_t i = 1; i < T->nruns; i++) {
		const struct run *g = &T->runs[i];

		if (done[i])
			continue;
		printf("\n%s  %s  %s\n", g->injected ? g->site : "(no call failed: fewer calls in this run)",
		       g->injected ? g->func : "", g->injected ? g->api : "");
		for (size_t j = i; j < T->nruns; j++) { /* the group's runs, in call order */
			const struct run *r = &T->runs[j];

			if (done[j] || r->injected != g->injected || (g->injected && strcmp(r->site, g->site) != 0))
				continue;
			done[j] = 1;
			printf("  call %lu: %s\n", r->k, r->what);
			if (r->outcome >= LEAKED)
				reproduce(T, r->k);
		}
	}
	found = count[CRASHED] || count[HUNG] || count[SANITIZER];
	printf("\nmemstats torture: %s\n", found ? "a failed allocation takes the program down (crash, hang or sanitizer "
						  "error above)"
						: "no crash, hang or sanitizer error");
	free(done);
	return found ? 1 : 0;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[600];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int cmd_torture(int argc, char **argv)
{
	struct torture T = { .jobs = 1, .timeout = 10 };
	unsigned long long K = 0;
	unsigned long max = 0;
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *end;

		if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
			T.jobs = (int)strtol(argv[++i], &end, 10);
			if (*end || T.jobs < 1 || T.jobs > 256)
				return cli_usage("torture: -j takes a number of runs at a time (1 to 256)", usage_torture);
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			T.timeout = strtod(argv[++i], &end);
			if (*end || !(T.timeout > 0))
				return cli_usage("torture: --timeout takes seconds", usage_torture);
		} else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
			max = strtoul(argv[++i], &end, 10);
			if (*end || !max)
				return cli_usage("torture: --max takes a number of runs", usage_torture);
		} else {
			return cli_usage("torture: options, then -- PROGRAM ARGS...", usage_torture);
		}
	}
	if (i + 1 >= argc)
		return cli_usage("torture: no program after --", usage_torture);
	T.argv = argv + i + 1;
	snprintf(T.dir, sizeof(T.dir), "%s/memstats-torture.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(T.dir)) {
		fprintf(stderr, "memstats: torture: cannot make a directory: %s\n", strerror(errno));
		return 2;
	}
	/* the counting run: K, and what is live at exit without a failure */
	T.runs = calloc(1, sizeof(*T.runs));
	T.nruns = 1;
	run_all(&T, 0, 1);
	read_reports(&T, &T.runs[0], &K);
	T.base_blocks = T.runs[0].live_blocks;
	T.base_bytes = T.runs[0].live_bytes;
	if (T.runs[0].timed_out || !WIFEXITED(T.runs[0].status) || WEXITSTATUS(T.runs[0].status) != 0 ||
	    !T.runs[0].has_report) {
		fprintf(stderr, "memstats: torture: %s fails without any failure injected (%s); torture needs a run "
				"that passes and writes memstats' report\n",
			T.argv[0], T.runs[0].timed_out ? "it timed out" : !T.runs[0].has_report ? "no report" : "it failed");
		remove_dir(T.dir);
		return 2;
	}
	{
		unsigned long n = max && max < K ? max : (unsigned long)K;
		struct run *runs = realloc(T.runs, (n + 1) * sizeof(*runs));

		if (!runs)
			return 2;
		T.runs = runs;
		memset(T.runs + 1, 0, n * sizeof(*runs));
		for (unsigned long j = 0; j < n; j++) /* spread evenly when sampled: reproducible */
			T.runs[1 + j].k = n == K ? j + 1 : 1 + (unsigned long)((unsigned long long)j * K / n);
		T.nruns = n + 1;
	}
	run_all(&T, 1, T.nruns);
	for (size_t r = 1; r < T.nruns; r++)
		classify(&T, &T.runs[r]);
	rc = report(&T, (unsigned long)K);
	remove_dir(T.dir);
	free(T.runs);
	return rc;
}
