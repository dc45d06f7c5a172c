/* reporter.c - reports while the program runs: every MEMSTATS_INTERVAL
 * seconds and whenever MEMSTATS_SIGNAL arrives, written by a thread of ours.
 *
 * The thread waits in poll() on a pipe, with a timeout for the interval: no
 * timer signal that would cut the program's own sleep() or read() short. The
 * signal's handler only writes a byte to the pipe, whichever thread takes
 * it. The thread blocks every signal, so it never takes one the program
 * expects, and writes through memstats_dump(): one report at a time, the one
 * at exit last. A forked child gets its own pipe and thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memstats-int.h"

static unsigned int interval;   /* seconds; 0: none */
static int wake_fd = -1;        /* the pipe's write end, for the handler */
static int wake_rd = -1;        /* its read end, the thread's */
static ino_t wake_ino;          /* the pipe, to know it from a reused fd */

/* fd is still our pipe: a daemon may close every descriptor it does not
 * know, and the program may get the number back for a file of its own. */
static int is_wake_pipe(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	       st.st_ino == __atomic_load_n(&wake_ino, __ATOMIC_RELAXED);
}

/* Async-signal-safe, errno kept. A full pipe already wakes the thread. */
static void on_signal(int sig)
{
	int err = errno, fd = __atomic_load_n(&wake_fd, __ATOMIC_RELAXED);

	(void)sig;
	if (is_wake_pipe(fd)) {
		ssize_t n = write(fd, "", 1);

		(void)n; /* a full pipe: a report is on its way anyway */
	}
	errno = err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *reporter_main(void *arg)
{
	struct pollfd wake = { .fd = (int)(intptr_t)arg, .events = POLLIN };
	long long period = interval * 1000LL, next = now_ms() + period;
	char buf[64];

	for (;;) {
		long long left = next - now_ms();
		int n = poll(&wake, 1, !interval ? -1 : left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left);

		if (n > 0) {
			ssize_t got = 0, all = 0;

			while (is_wake_pipe(wake.fd) && (got = read(wake.fd, buf, sizeof(buf))) > 0)
				all += got;
			if (all)
				memstats_dump();
			if (got == 0 || !is_wake_pipe(wake.fd)) {
				wake.fd = -1; /* closed under us: poll() skips it from now on */
				if (!interval)
					return NULL;
			}
		} else if (n == 0 && now_ms() >= next) {
			memstats_dump();
			next += period;
			if (next <= now_ms()) /* a report slower than the period: skip, do not catch up */
				next = now_ms() + period;
		}
	}
}

/* A pipe and the thread that waits on it. */
static void start_thread(void)
{
	int fds[2], rc;
	struct stat st;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0 || fstat(fds[0], &st) != 0) {
		warnf_fd(2, "memstats: no reports while running: pipe: %s\n", strerror(errno));
		return;
	}
	__atomic_store_n(&wake_ino, st.st_ino, __ATOMIC_RELAXED);
	/* every signal blocked from the thread's first instruction on */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, reporter_main, (void *)(intptr_t)fds[0]);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		close(fds[0]);
		close(fds[1]);
		warnf_fd(2, "memstats: no reports while running: cannot start a thread: %s\n", strerror(rc));
		return;
	}
	pthread_setname_np(t, "memstats");
	wake_rd = fds[0];
	__atomic_store_n(&wake_fd, fds[1], __ATOMIC_RELAXED);
}

/* The child has no thread, and its signals must not wake the parent's. */
static void after_fork_child(void)
{
	int old = __atomic_exchange_n(&wake_fd, -1, __ATOMIC_RELAXED);

	if (old >= 0) {
		close(old);
		close(wake_rd);
		wake_rd = -1;
	}
	start_thread();
}

void reporter_start(const struct config *cfg)
{
	struct sigaction sa;

	if (!cfg->interval && !cfg->signal)
		return;
	interval = cfg->interval;
	if (cfg->output != OUTPUT_OFF) {
		start_thread();
		pthread_atfork(NULL, NULL, after_fork_child);
	}
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
