/* output.c - a report written to a path: %p and %n expanded at write time (a
 * forked child writes under its own pid, each report under its number), written to a temporary file in the same
 * directory and renamed into place, so a reader never sees half a report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

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

/* Something that is not a regular file (a device, a FIFO) is written as it
 * is: replacing it would destroy it, and its reader takes what comes.
 * Opened without blocking, so a FIFO nobody reads is an error (ENXIO), not
 * a program hung at exit. */
static int write_in_place(const struct walk_end *end, const struct report *rep)
{
	int fd = openat(end->dirfd, end->name, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY),
	    rc, err;
	struct stat st;

	if (fd < 0)
		return -1;
	/* still the FIFO or device the walk saw, not a file put in its place */
	if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || st.st_dev != end->st.st_dev || st.st_ino != end->st.st_ino) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	rc = write_to_descriptor(fd, rep);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/* name with ".tmp.PID.N" after it, cut so that the whole fits in name_max
 * bytes: a legal 255-byte name still gets a report, and PID.N keeps the
 * temporary name unique. */
void output_temp_name(const char *name, long pid, unsigned int seq, size_t name_max, char *out)
{
	char suffix[48];
	size_t n = strlen(name), k = (size_t)snprintf(suffix, sizeof(suffix), ".tmp.%ld.%u", pid, seq);

	if (n + k > name_max)
		n = name_max > k ? name_max - k : 0;
	memcpy(out, name, n);
	memcpy(out + n, suffix, k + 1);
}

/* The temporary file: new, in the target's directory, readable by this
 * user only while the report is written (its mode comes at the end). One
 * left by a killed run of the same pid is removed first. */
static int open_temp(int dirfd, const char *name, char *tmp)
{
	static unsigned int seq;
	long max = fpathconf(dirfd, _PC_NAME_MAX);
	int fd;

	output_temp_name(name, (long)getpid(), __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED),
			 max > 0 && max < NAME_MAX ? (size_t)max : NAME_MAX, tmp);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd;
}

/* The process's umask, without changing it (umask() would, for a moment,
 * for every thread): from /proc; 022 if that cannot be read. */
static mode_t current_umask(void)
{
	char buf[2048];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	const char *u;
	unsigned int mask;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 022;
	buf[n] = '\0';
	u = strstr(buf, "\nUmask:");
	return u && sscanf(u + 8, "%o", &mask) == 1 ? (mode_t)mask : 022;
}

/* The mode, owner and group the report gets: those of the file it
 * replaces (owner and group each where the process may keep it), or a new
 * file's. */
static void give_attributes(int fd, const struct walk_end *end)
{
	int kept;

	if (!end->exists) {
		fchmod(fd, 0666 & ~current_umask());
		return;
	}
	kept = fchown(fd, end->st.st_uid, (gid_t)-1) == 0;
	kept &= fchown(fd, (uid_t)-1, end->st.st_gid) == 0;
	(void)kept; /* not ours to give: the file is this process's, as a new one would be */
	fchmod(fd, end->st.st_mode & 0777);
}

/* Whether a file there may be replaced: one the process could open for
 * writing, and, in a sticky world-writable directory, one of its own or
 * of the directory's owner (as fs.protected_regular has it: a file another
 * user put in /tmp is theirs, not a report's). */
static int may_replace(const struct walk_end *end, const char **why)
{
	struct stat dir;

	if (faccessat(end->dirfd, end->name, W_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0) {
		*why = "the file is there and this process may not write to it";
		return 0;
	}
	if (fstat(end->dirfd, &dir) == 0 && (dir.st_mode & S_ISVTX) && (dir.st_mode & S_IWOTH) &&
	    end->st.st_uid != geteuid() && end->st.st_uid != dir.st_uid) {
		*why = "a file in a sticky world-writable directory, owned by neither this user nor the directory's "
		       "owner (refused as fs.protected_regular does)";
		errno = EACCES;
		return 0;
	}
	return 1;
}

/* A regular file, new or replaced: written to a temporary file renamed into
 * place, so a reader never sees half a report and a failed write leaves
 * the old one. */
static int replace_file(const struct walk_end *end, const struct report *rep, const char **why)
{
	char tmp[NAME_MAX + 1];
	struct writer w;
	int fd, err;

	if (end->exists && !may_replace(end, why))
		return -1;
	if ((fd = open_temp(end->dirfd, end->name, tmp)) < 0)
		return -1;
	w_init(&w, fd);
	if (report_write(rep, &w) == 0) {
		int rc;

		give_attributes(fd, end);
		rc = close(fd);
		fd = -1; /* closed even when close() fails: never close it twice */
		if (rc == 0 && renameat(end->dirfd, tmp, end->dirfd, end->name) == 0)
			return 0;
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(end->dirfd, tmp, 0);
	errno = err;
	return -1;
}

int output_to_path(const char *path, const struct report *rep, const char **why)
{
	struct walk_end end;
	int fd, rc, err;

	*why = NULL;
	if ((fd = descriptor_of(path)) >= 0)
		return write_to_descriptor(fd, rep);
	if (path[0] && path[strlen(path) - 1] == '/') { /* a directory, as the shell has it */
		errno = EISDIR;
		return -1;
	}
	if (path_walk(path, &end, why) < 0)
		return -1;
	if (end.exists && S_ISDIR(end.st.st_mode)) {
		errno = EISDIR;
		rc = -1;
	} else if (end.exists && !S_ISREG(end.st.st_mode)) {
		rc = write_in_place(&end, rep);
	} else {
		rc = replace_file(&end, rep, why);
	}
	err = errno;
	close(end.dirfd);
	errno = err;
	return rc;
}
