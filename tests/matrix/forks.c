/* forks.c - a program with a reporter thread (MEMSTATS_INTERVAL and
 * MEMSTATS_SIGNAL set by the matrix) that forks children which go on: each
 * child counts, asks for a report with the signal and waits for it. Built
 * with TSan, whose default is to kill a child that starts a thread after a
 * fork of a multi-threaded process: no thread of memstats may cross fork().
 * Exits 0 when every child did.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's first report: MEMSTATS_OUTPUT with %p and %n expanded. */
static int first_report_appears(void)
{
	const char *tmpl = getenv("MEMSTATS_OUTPUT");
	char path[4096];
	size_t n = 0;

	if (!tmpl)
		return 0;
	for (const char *t = tmpl; *t && n + 32 < sizeof(path); t++) {
		if (t[0] == '%' && t[1] == 'p')
			n += (size_t)snprintf(path + n, sizeof(path) - n, "%ld", (long)getpid()), t++;
		else if (t[0] == '%' && t[1] == 'n')
			path[n++] = '0', t++;
		else
			path[n++] = *t;
	}
	path[n] = '\0';
	for (int i = 0; i < 1000; i++) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

int main(void)
{
	pid_t kids[4];
	int bad = 0;

	free(malloc(10));
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			free(malloc(20)); /* the child's first call: its reporter starts */
			kill(getpid(), SIGUSR2);
			_exit(first_report_appears() ? 0 : 3);
		}
	}
	for (int i = 0; i < 4; i++) {
		int status = -1;

		if (kids[i] < 0 || waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "child %d: status %d\n", i, status);
			bad = 1;
		}
	}
	return bad;
}
