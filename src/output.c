/* output.c - a report written to a path: %p and %n expanded at write time (a
 * forked child writes under its own pid, each report under its number), written to a temporary file in the same
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

int output_expand(const char *tmpl, long pid, unsigned long seq, char *out, size_t size)
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
		} else if (t[0] == '%' && t[1] == 'n') {
			n = (size_t)snprintf(num, sizeof(num), "%lu", seq);
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

/* The descriptor of this process that path names, or -1: /proc/self/fd/N,
 * /dev/fd/N, /dev/stdout, /dev/stderr, or any path (through links of any
 * kind) to the very file the program's stdout or stderr is open on. The
 * report goes through that descriptor, at its own offset, after what stdio
 * holds for it: reopening the file would write over the program's output,
 * and renaming over it would take its file away. */
static int descriptor_of(const char *path)
{
	struct stat st, fst;
	int fd, end = 0;

	if ((sscanf(path, "/proc/self/fd/%d%n", &fd, &end) == 1 || sscanf(path, "/dev/fd/%d%n", &fd, &end) == 1) &&
	    path[end] == '\0' && fd >= 0)
		return fd;
	if (strcmp(path, "/dev/stdout") == 0)
		return 1;
	if (strcmp(path, "/dev/stderr") == 0)
		return 2;
	if (stat(path, &st) != 0)
		return -1;
	for (fd = 1; fd <= 2; fd++) {
		if (fstat(fd, &fst) == 0 && fst.st_dev == st.st_dev && fst.st_ino == st.st_ino)
			return fd;
	}
	return -1;
}

static int write_to_descriptor(int fd, const struct report *rep)
{
	struct writer w;

	if (fd == 1)
		fflush(stdout);
	else if (fd == 2)
		fflush(stderr);
	w_init(&w, fd);
	return report_write(rep, &w);
}

/* Something that is not a regular file (a device, a FIFO) is
 * written as it is: replacing it would destroy it, and its reader takes what
 * comes. Opened without blocking, so a FIFO nobody reads is an error (ENXIO),
 * not a program hung at exit. */
static int write_in_place(const char *path, const struct report *rep, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | flags, 0666), rc, err;

	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	rc = write_to_descriptor(fd, rep);
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

	if ((fd = descriptor_of(path)) >= 0)
		return write_to_descriptor(fd, rep);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
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
