/* runtime.c - start-up (the environment, read once) and the reports: at
 * exit, on memstats_dump() (the reporter thread's too), and to a file
 * descriptor on memstats_dump_fd().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memstats-int.h"

static struct config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/* Reports where the report at exit goes are written one at a time, so two
 * never mix on a stream or race for one %n; none after the one at exit. */
static pthread_mutex_t first_dump_lock = PTHREAD_MUTEX_INITIALIZER, *dump_lock = &first_dump_lock;
static unsigned long dump_seq;          /* %n of the next report to a path */
static int dump_closed;                 /* the report at exit has begun */

void warnf_fd(int fd, const char *fmt, ...)
{
	struct writer w;
	char buf[512];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(buf)) { /* cut, but still one whole line */
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	/* through a writer: a broken stderr raises no SIGPIPE either */
	w_init(&w, fd);
	w_put(&w, buf, (size_t)n);
	w_flush(&w); /* if it fails, there is nowhere left to complain to */
}

/* The child numbers its own reports from 0, under its own pid. It gets a
 * fresh lock, as the registry does: the reporter thread may have held the
 * old one at the fork, and a lock with the parent's history would show
 * TSan a lock order the child never had. */
static void dump_after_fork_child(void)
{
	pthread_mutex_t *fresh = malloc(sizeof(*fresh));

	pthread_mutex_init(fresh ? fresh : dump_lock, NULL);
	if (fresh)
		dump_lock = fresh;
	dump_seq = 0;
	dump_closed = 0;
}

static void read_config(void)
{
	/* secure_getenv: a setuid program must not be steered into writing
	 * files by its caller's environment */
	config_parse(&config, secure_getenv, 2);
	registry_init();
	usable_init();
	if (config.track)
		track_init();
	/* tracking needs every call to reach the runtime */
	slots_inline = usable_from_header && !track_on;
	/* after registry_init(), before reporter_start(): in a forked child,
	 * the locks are fresh before its reporter thread starts */
	pthread_atfork(NULL, NULL, dump_after_fork_child);
	reporter_start(&config);
}

/* Called by the first registration, from a constructor: warnings about the
 * environment come at start-up, and the settings never change afterwards. */
void runtime_init(void)
{
	pthread_once(&config_once, read_config);
}

void memstats_get_options(struct memstats_options *opts)
{
	runtime_init();
	*opts = config.report;
}

/* Builds the report from a snapshot of every site and hands it to emit,
 * with no lock of the registry held: writing to a slow pipe must not stall
 * the program's threads. */
static int with_report(const struct memstats_options *opt, int (*emit)(const struct report *, const void *),
		       const void *arg)
{
	struct memstats_row *rows;
	char *strings;
	ssize_t n = registry_snapshot(&rows, &strings);
	struct report rep;
	int rc, err;

	if (n < 0)
		return -1;
	report_prepare(&rep, rows, (size_t)n, opt);
	rep.track = track_on;
	track_totals(&rep.live.peak_bytes, &rep.foreign_frees);
	rep.pid = (long)getpid();
	rep.program = program_invocation_short_name;
	rc = emit(&rep, arg);
	err = errno;
	free(strings);
	free(rows);
	errno = err;
	return rc;
}

static int emit_fd(const struct report *rep, const void *arg)
{
	struct writer w;

	w_init(&w, *(const int *)arg);
	return report_write(rep, &w);
}

static int emit_path(const struct report *rep, const void *arg)
{
	char path[PATH_MAX];
	const char *why = NULL;
	int expanded = output_expand(config.path, rep->pid, dump_seq, path, sizeof(path)) == 0;

	(void)arg;
	if (!expanded || output_to_path(path, rep, &why) < 0) {
		int err = errno;

		warnf_fd(2, "memstats: cannot write the report to %s: %s\n", expanded ? path : config.path,
			 why ? why : strerror(err));
		errno = err;
		return -1;
	}
	dump_seq++;
	return 0;
}

int memstats_dump_fd(int fd, const struct memstats_options *opts)
{
	runtime_init();
	runtime_enter();
	return with_report(opts ? opts : &config.report, emit_fd, &fd);
}

/* A report where the report at exit goes; dump_lock held. A report cut
 * short on stdout or stderr (a reader gone, or stalled) says so on stderr,
 * where it may still be seen. */
static int dump_configured(void)
{
	int fd = 2, rc, err;

	switch (config.output) {
	case OUTPUT_OFF:
		return 0;
	case OUTPUT_PATH:
		return with_report(&config.report, emit_path, NULL);
	case OUTPUT_STDOUT:
		fd = 1;
		break;
	case OUTPUT_STDERR:
		break;
	}
	fflush(stdout); /* what the program printed comes first, with 2>&1 too */
	rc = with_report(&config.report, emit_fd, &fd);
	if (rc < 0) {
		err = errno;
		warnf_fd(2, "memstats: cannot write the report to %s: %s\n", fd == 1 ? "stdout" : "stderr",
			 err == ETIMEDOUT ? "its reader took nothing for 10 s" : strerror(err));
		errno = err;
	}
	return rc;
}

/* last: the report at exit, after which no other is written (want: and
 * there is one to write). */
static int dump(int last, int want)
{
	int rc = 0, err = errno;

	pthread_mutex_lock(dump_lock);
	if (!dump_closed && want) {
		rc = dump_configured();
		err = errno;
	}
	dump_closed |= last;
	pthread_mutex_unlock(dump_lock);
	errno = err;
	return rc;
}

int memstats_dump(void)
{
	runtime_init();
	runtime_enter();
	return dump(0, 1);
}

/* The report at exit. A destructor of the runtime runs after the destructors
 * of the objects that depend on it; in a static executable, its priority
 * puts it after the program's own destructors. Either way late frees are
 * counted. Only processes that have instrumented code report. */
__attribute__((destructor(101))) static void report_at_exit(void)
{
	dump(1, registry_objects() != 0);
}
