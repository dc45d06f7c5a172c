/* output.c - a report written to a path: %p expanded at write time (a forked
 * child writes under its own pid), written to a temporary file in the same
 * directory and renamed into place, so a reader never sees half a report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memstats-int.h"

int output_expand(const char *tmpl, long pid, char *out, size_t size)
{
	size_t len = 0;

	if (!size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (const char *t = tmpl; *t; t++) {
		char num[24];
		const char *add = num;
		size_t n;

		if (t[0] == '%' && t[1] == 'p') {
			n = (size_t)snprintf(num, sizeof(num), "%ld", pid);
			t++;
		} else if (t[0] == '%' && t[1] == '%') {
			add = "%";
			n = 1;
			t++;
		} else {
			add = t;
			n = 1;
		}
		if (len + n >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(out + len, add, n);
		len += n;
	}
	out[len] = '\0';
	return 0;
}

/* Whether path names an open file descriptor (/proc/self/fd/1, /dev/stdout,
 * /dev/fd/2), directly or through symbolic links: what it resolves to is
 * someone's open file, to append to, never to replace. */
static int names_a_descriptor(const char *path)
{
	char buf[2][PATH_MAX];
	const char *p = path;

	for (int hop = 0; hop < 8; hop++) {
		ssize_t n;

		if (!strncmp(p, "/proc/", 6) || !strncmp(p, "/dev/fd/", 8))
			return 1;
		n = readlink(p, buf[hop & 1], sizeof(buf[0]) - 1);
		if (n <= 0 || buf[hop & 1][0] != '/')
			return 0; /* not a link, or a relative one: /dev/stdout's is absolute */
		buf[hop & 1][n] = '\0';
		p = buf[hop & 1];
	}
	return 0;
}

/* Something that is not a regular file (a device, a FIFO, a descriptor) is
 * written as it is: replacing it would destroy it, and its reader takes what
 * comes. Opened without blocking, so a FIFO nobody reads is an error (ENXIO),
 * not a program hung at exit. */
static int write_in_place(const char *path, const struct report *rep, int flags)
{
	struct writer w;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | flags, 0666), rc, err;

	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	w_init(&w, fd);
	rc = report_write(rep, &w);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int output_to_path(const char *path, const struct report *rep)
{
	static unsigned int seq;
	char tmp[PATH_MAX], target[PATH_MAX];
	struct stat st;
	struct writer w;
	int fd, err;

	if ((stat(path, &st) == 0 && !S_ISREG(st.st_mode)) || names_a_descriptor(path))
		return write_in_place(path, rep, O_APPEND);
	/* a symbolic link stays: the file it names gets the report */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, target))
			return write_in_place(path, rep, O_CREAT | O_TRUNC); /* dangling: nothing to replace */
		path = target;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
		     __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED)) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* left by a killed run */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return -1;
	w_init(&w, fd);
	if (report_write(rep, &w) == 0) {
		int rc = close(fd);

		fd = -1; /* closed even when close() fails: never close it twice */
		if (rc == 0 && rename(tmp, path) == 0)
			return 0;
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = err;
	return -1;
}
