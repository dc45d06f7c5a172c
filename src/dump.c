/* dump.c - writing a report now: a snapshot of every site (snapshot.c),
 * shaped into a report (report.c), written where it goes (output.c) -
 * where MEMSTATS_OUTPUT says (the report at exit, memstats_dump(), the
 * reports while running) or to a descriptor (memstats_dump_fd()).
 *
 * Reports where MEMSTATS_OUTPUT says are written one at a time, so two never
 * mix on a stream or race for one %n; none after the one at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long dump_seq;          /* %n of the next report to a path */
static int dump_closed;                 /* the report at exit has begun */

/* Builds the report from a snapshot of every site and hands it to emit,
 * with no lock of the registry held: writing to a slow pipe must not stall
 * the program's threads. */
static int with_report(const struct memstats_options *opt, int (*emit)(const struct report *, const void *),
		       const void *arg)
{
	struct memstats_row *rows;
	char *strings;
	ssize_t n;
	struct report rep;
	int rc, err;

	callers_resolve_all(); /* no lock of the registry held: it may read files */
	n = snapshot_take(&rows, &strings);
	if (n < 0)
		return -1;
	report_prepare(&rep, rows, (size_t)n, opt);
	rep.track = track_on;
	rep.sampled = track_sampled ? track_sample_bytes : 0;
	rep.callers = config.callers;
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

int dump_to_fd(int fd, const struct memstats_options *opt)
{
	return with_report(opt, emit_fd, &fd);
}

/* A report cut short on stdout or stderr (a reader gone, or stalled) says
 * so on stderr, where it may still be seen. dump_lock held. */
static int write_configured(void)
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

int dump_configured(void)
{
	int rc = 0, err = errno;

	pthread_mutex_lock(&dump_lock);
	if (!dump_closed) {
		rc = write_configured();
		err = errno;
	}
	pthread_mutex_unlock(&dump_lock);
	errno = err;
	return rc;
}

/* The report at exit, after which no other is written. A destructor of the
 * runtime runs after the destructors of the objects that depend on it; in a
 * static executable, its priority puts it after the program's own
 * destructors. Either way late frees are counted. Only processes that have
 * instrumented code, or counted calls (the preload library's), report. */
__attribute__((destructor(101))) static void dump_at_exit(void)
{
	int err = errno;

	memstats__busy++;
	pthread_mutex_lock(&dump_lock);
	if (!dump_closed && (registry_objects() != 0 || registry_ids() > 1))
		write_configured();
	dump_closed = 1;
	pthread_mutex_unlock(&dump_lock);
	memstats__busy--;
	errno = err;
}

void dump_fork_prepare(void)
{
	pthread_mutex_lock(&dump_lock);
}

void dump_fork_parent(void)
{
	pthread_mutex_unlock(&dump_lock);
}

/* The child numbers its own reports from 0, under its own pid. */
void dump_fork_child(void)
{
	dump_seq = 0;
	dump_closed = 0;
	pthread_mutex_unlock(&dump_lock);
}
