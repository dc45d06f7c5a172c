/* periodic.c - reports while the program runs: every MEMSTATS_INTERVAL
 * seconds and whenever MEMSTATS_SIGNAL arrives, written by a thread of ours.
 *
 * The thread waits on a semaphore, with a timeout for the interval: no
 * timer signal that would cut the program's own sleep() or read() short.
 * The signal's handler only posts the semaphore (async-signal-safe),
 * whichever thread takes it. No descriptor is involved, so a daemon that
 * closes every descriptor it did not open, or dup2()s onto them, cannot
 * take the thread's wake-up away. The thread blocks every signal, so it
 * never takes one the program expects, and writes through dump_configured():
 * one report at a time, the one at exit last (dump.c).
 *
 * The thread never lives across a fork(): it is stopped before (so the
 * program forks as the single-threaded process it may believe it is, which
 * is what POSIX and TSan ask of a child that goes on without exec),
 * started again in the parent, and started in the child only at the
 * child's first call into the runtime (periodic_resume()), never inside
 * fork() itself. A signal that comes in between is kept by the semaphore.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static unsigned int interval;   /* seconds; 0: none */
static sem_t wake;              /* posted by the handler, and to stop the thread */
static pthread_t thread;
static int running;             /* the thread runs: only the fork handlers and start-up change it */
static int stopping;            /* asks the thread to return */
int periodic_pending;           /* a forked child's thread is still to start */
#ifdef MEMSTATS_TEST_HOOKS
unsigned int periodic_drain_delay_us; /* a wait between waking and taking the posts */
#endif

/* Async-signal-safe, errno kept. */
static void on_signal(int sig)
{
	int err = errno;

	(void)sig;
	sem_post(&wake);
	errno = err;
}

static struct timespec deadline_after(unsigned int seconds, const struct timespec *from)
{
	struct timespec t = *from;

	t.tv_sec += seconds;
	return t;
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* sem_timedwait() on the monotonic clock: glibc 2.30 has it; elsewhere the
 * same deadline on the wall clock (a clock step moves one report). */
static int wait_until(const struct timespec *next)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 30)
	return sem_clockwait(&wake, CLOCK_MONOTONIC, next);
#else
	struct timespec now, wall, at;

	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	at.tv_sec = wall.tv_sec + (next->tv_sec - now.tv_sec);
	at.tv_nsec = wall.tv_nsec + (next->tv_nsec - now.tv_nsec);
	if (at.tv_nsec < 0) {
		at.tv_nsec += 1000000000L;
		at.tv_sec--;
	} else if (at.tv_nsec >= 1000000000L) {
		at.tv_nsec -= 1000000000L;
		at.tv_sec++;
	}
	return sem_timedwait(&wake, &at);
#endif
}

/* 0 when woken, -1 (ETIMEDOUT) at next. */
static int wait_wake(const struct timespec *next)
{
	int rc;

	do
		rc = interval ? wait_until(next) : sem_wait(&wake);
	while (rc != 0 && errno == EINTR);
	return rc;
}

static void *periodic_main(void *arg)
{
	struct timespec now, next;

	memstats__busy = 1; /* all this thread does is the runtime's */
	clock_gettime(CLOCK_MONOTONIC, &now);
	next = deadline_after(interval, &now);
	for (;;) {
		int woken = wait_wake(&next) == 0;

		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			return arg;
		if (woken) {
#ifdef MEMSTATS_TEST_HOOKS
			if (periodic_drain_delay_us)
				usleep(periodic_drain_delay_us);
#endif
			while (sem_trywait(&wake) == 0) /* signals that came together: one report */
				;
			/* the posts taken may include stop_thread()'s: look again */
			if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
				return arg;
			dump_configured();
			continue;
		}
		dump_configured();
		clock_gettime(CLOCK_MONOTONIC, &now);
		next = deadline_after(interval, &next);
		if (!before(&now, &next)) /* a report slower than the period: skip, do not catch up */
			next = deadline_after(interval, &now);
	}
}

/* The thread, with every signal blocked from its first instruction on. */
static void start_thread(void)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	__atomic_store_n(&stopping, 0, __ATOMIC_RELAXED);
	rc = pthread_create(&thread, NULL, periodic_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		warnf_fd(2, "memstats: no reports while running: cannot start a thread: %s\n", strerror(rc));
		return;
	}
	pthread_setname_np(thread, "memstats");
	running = 1;
}

/* fork, before: no thread of ours crosses it (see the top of the file). A
 * report it is writing is finished first. */
static void stop_thread(void)
{
	if (!running)
		return;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
	sem_post(&wake);
	pthread_join(thread, NULL);
	running = 0;
}

static int was_running; /* across one fork */

void periodic_fork_prepare(void)
{
	was_running = running;
	stop_thread();
}

void periodic_fork_parent(void)
{
	if (was_running)
		start_thread();
}

/* The child's calls stop counting inline until its first call into the
 * runtime has started its thread. */
void periodic_fork_child(void)
{
	if (was_running) {
		__atomic_store_n(&periodic_pending, 1, __ATOMIC_RELAXED);
		thread_route_out();
	}
}

/* The forked child's first call into the runtime: its own thread now. */
void periodic_resume(void)
{
	if (__atomic_exchange_n(&periodic_pending, 0, __ATOMIC_RELAXED)) {
		start_thread();
		thread_route_in();
	}
}

void periodic_start(const struct config *cfg)
{
	struct sigaction sa;

	if (!cfg->interval && !cfg->signal)
		return;
	interval = cfg->interval;
	sem_init(&wake, 0, 0);
	if (cfg->output != OUTPUT_OFF)
		start_thread();
	if (cfg->signal) {
		/* installed even with the output off: the process asked for must go on */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(cfg->signal, &sa, NULL) != 0)
			warnf_fd(2, "memstats: no reports on signal %d: %s\n", cfg->signal, strerror(errno));
	}
}
