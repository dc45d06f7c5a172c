/* test_output.c - where a report goes: output_expand() and output_to_path(). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- output_expand() ---------------------------------------------------- */

static const struct {
	const char *tmpl;
	long pid;
	unsigned long seq;
	const char *out;
} expand_cases[] = {
	{ "/tmp/app.%p.json", 4242, 3, "/tmp/app.4242.json" },
	{ "%p-%p", 7, 0, "7-7" },
	{ "100%%", 1, 0, "100%" },
	{ "%%p", 1, 0, "%p" },
	{ "a%xb%", 1, 0, "a%xb%" },   /* an unknown or a trailing % is kept */
	{ "%", 1, 0, "%" },
	{ "plain", 1, 0, "plain" },
	{ "", 1, 0, "" },
	{ "/tmp/r.%n.json", 4242, 0, "/tmp/r.0.json" },
	{ "/tmp/r.%p.%n.json", 4242, 17, "/tmp/r.4242.17.json" },
	{ "%n%n-%p%n", 5, 12, "1212-512" },
	{ "%%n", 1, 9, "%n" },
	{ "%%%n", 1, 9, "%9" },
	{ "100%%%p.%n", 8, 4294967296ul, "100%8.4294967296" },
	{ "n%", 1, 2, "n%" },
};

START_TEST(test_expand)
{
	char out[64];

	memset(out, 'z', sizeof(out));
	ck_assert_int_eq(output_expand(expand_cases[_i].tmpl, expand_cases[_i].pid, expand_cases[_i].seq, out, sizeof(out)), 0);
	ck_assert_str_eq(out, expand_cases[_i].out);
}
END_TEST

/* size counts the terminating NUL: an exact fit works, one byte less not. */
START_TEST(test_expand_too_long)
{
	char out[16];

	ck_assert_int_eq(output_expand("abcd", 1, 0, out, 5), 0);
	ck_assert_str_eq(out, "abcd");
	errno = 0;
	ck_assert_int_eq(output_expand("abcd", 1, 0, out, 4), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	ck_assert_int_eq(output_expand("r.%p", 12345, 0, out, 8), 0);
	ck_assert_str_eq(out, "r.12345");
	errno = 0;
	ck_assert_int_eq(output_expand("r.%p", 12345, 0, out, 7), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	ck_assert_int_eq(output_expand("%%", 1, 0, out, 2), 0);
	ck_assert_str_eq(out, "%");
	errno = 0;
	ck_assert_int_eq(output_expand("%%", 1, 0, out, 1), -1);
	out[0] = 'z';
	ck_assert_int_eq(output_expand("", 1, 0, out, 0), -1); /* no room even for the NUL */
	ck_assert_int_eq(out[0], 'z');
	ck_assert_int_eq(errno, ENAMETOOLONG);

	ck_assert_int_eq(output_expand("r.%n", 1, 12345, out, 8), 0);
	ck_assert_str_eq(out, "r.12345");
	errno = 0;
	ck_assert_int_eq(output_expand("r.%n", 1, 12345, out, 7), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* ---- output_to_path() --------------------------------------------------- */

static char dir[64];
static const char *why; /* output_to_path()'s word on a refusal */

/* a fresh directory per test: the checked fixture */
static void make_dir(void)
{
	strcpy(dir, "/tmp/memstats-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes dir and what the tests put in it (files, empty directories). */
static void remove_dir(void)
{
	DIR *d;
	struct dirent *e;

	ck_assert_int_eq(chmod(dir, 0700), 0);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ck_assert_int_eq(unlinkat(dirfd(d), e->d_name, e->d_type == DT_DIR ? AT_REMOVEDIR : 0), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* Number of entries in dir; the name of the last one read into name. */
static int dir_entries(char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	name[0] = '\0';
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(name, size, "%s", e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static const char *in_dir(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static char *file_contents(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;

	ck_assert_int_ge(fd, 0);
	s = fd_contents(fd, NULL);
	close(fd);
	return s;
}

static int not_dot(const struct dirent *e)
{
	return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* The names in dir, sorted, each followed by a space: all of them, so that
 * a temporary file left behind shows. */
static const char *dir_names(void)
{
	static char names[512];
	struct dirent **list;
	size_t len = 0;
	int n = scandir(dir, &list, not_dot, alphasort);

	ck_assert_int_ge(n, 0);
	names[0] = '\0';
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s ", list[i]->d_name);
		ck_assert_uint_lt(len, sizeof(names));
		free(list[i]);
	}
	free(list);
	return names;
}

/* What a pipe or FIFO gives until its last writer is gone; fd_contents()
 * cannot be used, it seeks. A non-blocking fd must have it all buffered. */
static char *read_all(int fd)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	ck_assert_ptr_nonnull(buf);
	while ((r = read(fd, buf + n, cap - n - 1)) > 0)
		n += (size_t)r;
	ck_assert_int_eq(r, 0);
	ck_assert_uint_lt(n, cap - 1); /* a full buffer would look like EOF */
	buf[n] = '\0';
	return buf;
}

/* The lowest free descriptor: a call that leaks one moves it. */
static int next_fd(void)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

static const struct memstats_row sample_rows[] = {
	{ "src/app.c", 42, "load", "malloc", "malloc", NULL, "/bin/app", { 10, 0, 640, 720, 0 }, { 0 } },
	{ "src/app.c", 57, "unload", "free", "free", NULL, "/bin/app", { 4, 0, 0, 0, 288 }, { 0 } },
};

static void sample_report(struct report *rep)
{
	static struct memstats_row rows[NELEM(sample_rows)];
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };

	memcpy(rows, sample_rows, sizeof(rows));
	report_prepare(rep, rows, NELEM(sample_rows), &opt);
	rep->pid = 4242;
	rep->program = "app";
}

/* What report_write() gives for rep, to compare a file with. */
static char *expected(const struct report *rep)
{
	struct writer w;
	int fd = mem_fd();
	char *s;

	w_init(&w, fd);
	ck_assert_int_eq(report_write(rep, &w), 0);
	s = fd_contents(fd, NULL);
	close(fd);
	return s;
}

START_TEST(test_to_path_writes_report)
{
	struct report rep;
	char name[256], *got, *want;

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("report.json"), &rep, &why), 0);

	ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
	ck_assert_str_eq(name, "report.json");
	got = file_contents(in_dir("report.json"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(got, "\"balance\": 432"));
	free(got);
	free(want);
}
END_TEST

/* A reader that opened the old report keeps reading all of it: the new one
 * is a different file renamed over it, not the old one rewritten. */
START_TEST(test_to_path_replaces_atomically)
{
	static const char old[] = "old report\n";
	struct report rep;
	struct stat before, after;
	char name[256], *got, *want, *still;
	int fd;

	fd = open(in_dir("report.json"), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, old, sizeof(old) - 1), (ssize_t)(sizeof(old) - 1));
	ck_assert_int_eq(fstat(fd, &before), 0);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("report.json"), &rep, &why), 0);

	ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
	ck_assert_str_eq(name, "report.json");
	ck_assert_int_eq(stat(in_dir("report.json"), &after), 0);
	ck_assert_uint_ne(after.st_ino, before.st_ino);
	got = file_contents(in_dir("report.json"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	still = fd_contents(fd, NULL);
	ck_assert_str_eq(still, old);
	free(still);
	free(got);
	free(want);
	close(fd);
}
END_TEST

START_TEST(test_to_path_missing_dir)
{
	struct report rep;
	char name[256];

	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("missing/report.json"), &rep, &why), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(dir_entries(name, sizeof(name)), 0);
}
END_TEST

/* Root ignores permissions, so as root the call is made as nobody. */
START_TEST(test_to_path_read_only_dir)
{
	int root = geteuid() == 0;
	struct report rep;
	char name[256];
	int rc, err;

	ck_assert_int_eq(chmod(dir, 0555), 0);
	if (root && seteuid(65534) != 0)
		return; /* cannot drop privileges here: nothing to check */
	sample_report(&rep);
	errno = 0;
	rc = output_to_path(in_dir("report.json"), &rep, &why);
	err = errno;
	if (root)
		ck_assert_int_eq(seteuid(0), 0);

	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EACCES);
	ck_assert_int_eq(dir_entries(name, sizeof(name)), 0);
}
END_TEST

/* The rename is what fails here: the temporary file must go too. */
START_TEST(test_to_path_onto_directory)
{
	struct report rep;
	char name[256];

	ck_assert_int_eq(mkdir(in_dir("sub"), 0700), 0);
	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("sub"), &rep, &why), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
	ck_assert_str_eq(name, "sub");
}
END_TEST

/* ---- output_to_path() onto what is not a regular file ------------------- */

/* A symbolic link stays: the file it names is replaced, atomically like a
 * plain file, through a temporary file next to the target. */
START_TEST(test_to_path_symlink_to_file)
{
	struct report rep;
	struct stat link_before, link_after, target_before, target_after;
	char target[64], *got, *want;
	int fd;

	fd = open(in_dir("target"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "old\n", 4), 4);
	close(fd);
	ck_assert_int_eq(symlink("target", in_dir("link")), 0);
	ck_assert_int_eq(lstat(in_dir("link"), &link_before), 0);
	ck_assert_int_eq(lstat(in_dir("target"), &target_before), 0);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("link"), &rep, &why), 0);

	ck_assert_int_eq(lstat(in_dir("link"), &link_after), 0);
	ck_assert(S_ISLNK(link_after.st_mode));
	ck_assert_uint_eq(link_after.st_ino, link_before.st_ino);
	ck_assert_int_eq(readlink(in_dir("link"), target, sizeof(target)), 6);
	ck_assert_int_eq(memcmp(target, "target", 6), 0);

	ck_assert_int_eq(lstat(in_dir("target"), &target_after), 0);
	ck_assert(S_ISREG(target_after.st_mode));
	ck_assert_uint_ne(target_after.st_ino, target_before.st_ino); /* renamed over */
	got = file_contents(in_dir("target"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(dir_names(), "link target ");
	free(got);
	free(want);
}
END_TEST

/* A chain of links ends at one file, in another directory: every link
 * stays, and the temporary file is made (and gone) beside the target. */
START_TEST(test_to_path_symlink_chain)
{
	struct report rep;
	struct stat st;
	char *got, *want;

	ck_assert_int_eq(mkdir(in_dir("sub"), 0700), 0);
	ck_assert_int_eq(symlink("sub/target", in_dir("second")), 0);
	ck_assert_int_eq(symlink("second", in_dir("first")), 0);
	ck_assert_int_eq(close(open(in_dir("sub/target"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)), 0);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("first"), &rep, &why), 0);

	ck_assert_int_eq(lstat(in_dir("first"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(lstat(in_dir("second"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(lstat(in_dir("sub/target"), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	got = file_contents(in_dir("sub/target"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(dir_names(), "first second sub ");

	/* nothing else in sub: the fixture would remove only empty directories */
	ck_assert_int_eq(unlink(in_dir("sub/target")), 0);
	ck_assert_int_eq(rmdir(in_dir("sub")), 0);
	free(got);
	free(want);
}
END_TEST

/* A link to nothing yet: the report is created where it points, and the
 * link stays a link. */
START_TEST(test_to_path_dangling_symlink)
{
	struct report rep;
	struct stat st;
	char *got, *want;

	ck_assert_int_eq(symlink("target", in_dir("link")), 0);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("link"), &rep, &why), 0);

	ck_assert_int_eq(lstat(in_dir("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(lstat(in_dir("target"), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	got = file_contents(in_dir("target"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(dir_names(), "link target ");
	free(got);
	free(want);
}
END_TEST

/* A link into a directory that does not exist: the error is the open's,
 * and neither the link nor anything else is touched. */
START_TEST(test_to_path_dangling_symlink_missing_dir)
{
	struct report rep;
	struct stat st;

	ck_assert_int_eq(symlink("missing/target", in_dir("link")), 0);

	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("link"), &rep, &why), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(lstat(in_dir("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_str_eq(dir_names(), "link ");
}
END_TEST

/* A FIFO is written into, not replaced: its reader gets the report. The
 * reader opens first (non-blocking), or the writer's open would wait. */
START_TEST(test_to_path_fifo)
{
	struct report rep;
	struct stat st;
	char *got, *want;
	int rd;

	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	rd = open(in_dir("fifo"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(rd, 0);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("fifo"), &rep, &why), 0);

	got = read_all(rd); /* EOF: the writer has closed its end */
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(lstat(in_dir("fifo"), &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_str_eq(dir_names(), "fifo ");
	close(rd);
	free(got);
	free(want);
}
END_TEST

/* A FIFO that nobody reads: an error, not a writer blocked forever (at exit,
 * that would hang the program). */
START_TEST(test_to_path_fifo_without_reader)
{
	struct report rep;

	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("fifo"), &rep, &why), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_str_eq(dir_names(), "fifo ");
}
END_TEST

/* /proc/self/fd/N for a descriptor open on a regular file (prog > log): the
 * report is appended to what the program wrote; the file is not replaced,
 * so the program's descriptor still names it. */
START_TEST(test_to_path_proc_self_fd_regular_file)
{
	struct report rep;
	struct stat st;
	char fdpath[64], *got, *want, *both;
	int fd = open(in_dir("log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "program output\n", 15), 15);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	sample_report(&rep);
	ck_assert_int_eq(output_to_path(fdpath, &rep, &why), 0);

	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 1); /* still the file named log */
	got = file_contents(in_dir("log"));
	want = expected(&rep);
	both = malloc(15 + strlen(want) + 1);
	strcpy(both, "program output\n");
	strcat(both, want);
	ck_assert_str_eq(got, both);
	ck_assert_str_eq(dir_names(), "log ");
	close(fd);
	free(got);
	free(want);
	free(both);
}
END_TEST

/* /proc/self/fd/N names the caller's own descriptor: the report goes down
 * that pipe, nothing is created, no descriptor is left open. */
START_TEST(test_to_path_proc_self_fd_pipe)
{
	struct report rep;
	struct stat st;
	char path[64], *got, *want;
	int p[2], free_fd;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	free_fd = next_fd();

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(path, &rep, &why), 0);

	ck_assert_int_eq(next_fd(), free_fd);
	ck_assert_int_eq(fstat(p[1], &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_int_eq(lstat(path, &st), 0); /* still the fd's own link */
	ck_assert(S_ISLNK(st.st_mode));
	close(p[1]);
	got = read_all(p[0]);
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(dir_names(), "");
	close(p[0]);
	free(got);
	free(want);
}
END_TEST

/* A device stays a device. Only root can make one, and only a copy of
 * /dev/null in the test's directory is written to, never a real one. */
START_TEST(test_to_path_char_device)
{
	struct report rep;
	struct stat st;
	int fd;

	if (geteuid() != 0)
		return; /* mknod of a device needs root */
	if (mknod(in_dir("null"), S_IFCHR | 0666, makedev(1, 3)) != 0)
		return; /* no CAP_MKNOD here (a container): nothing to check */
	fd = open(in_dir("null"), O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		return; /* a nodev mount: no device can be opened here */
	ck_assert_int_ge(fd, 0);
	close(fd);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("null"), &rep, &why), 0);

	ck_assert_int_eq(lstat(in_dir("null"), &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_str_eq(dir_names(), "null ");
}
END_TEST

/* ---- output_to_path(): whose files it may replace ----------------------- */

/* fs.protected_symlinks' rule, whatever this machine's setting is. */
START_TEST(test_link_rule)
{
	struct stat tmp = { .st_mode = S_IFDIR | 01777, .st_uid = 0 };
	struct stat plain = { .st_mode = S_IFDIR | 0777, .st_uid = 0 };
	struct stat sticky_private = { .st_mode = S_IFDIR | 01775, .st_uid = 0 };

	ck_assert(!link_may_be_followed(1000, &tmp, 0));   /* a user's link in /tmp, followed by root */
	ck_assert(!link_may_be_followed(1000, &tmp, 1001)); /* ... or by another user */
	ck_assert(link_may_be_followed(0, &tmp, 0));       /* the follower's own */
	ck_assert(link_may_be_followed(1000, &tmp, 1000));
	ck_assert(link_may_be_followed(1000, &plain, 0));  /* not sticky */
	ck_assert(link_may_be_followed(1000, &sticky_private, 0)); /* not world-writable */
	tmp.st_uid = 1000;                                 /* the directory's owner's link */
	ck_assert(link_may_be_followed(1000, &tmp, 0));
}
END_TEST

/* Writes "secret\n" to a new file name, mode mode; returns its inode. */
static ino_t make_secret(const char *name, mode_t mode)
{
	struct stat st;
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "secret\n", 7), 7);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return st.st_ino;
}

static void assert_secret(const char *name, mode_t mode, ino_t ino)
{
	struct stat st;
	char *got = file_contents(in_dir(name));

	ck_assert_str_eq(got, "secret\n");
	ck_assert_int_eq(lstat(in_dir(name), &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);
	ck_assert_uint_eq(st.st_mode & 07777, mode);
	free(got);
}

/* The attack: an unprivileged user plants /tmp/app.report -> a file of
 * root's, and root runs a program that reports there. The link, and a
 * planted link anywhere in the path, are refused; nothing is written. */
START_TEST(test_to_path_refuses_planted_symlink)
{
	struct report rep;
	ino_t ino;

	if (geteuid() != 0)
		return; /* only root can make a link owned by another user */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ino = make_secret("secret", 0600);
	ck_assert_int_eq(symlink("secret", in_dir("app.report")), 0);
	ck_assert_int_eq(lchown(in_dir("app.report"), 65534, 65534), 0);
	ck_assert_int_eq(mkdir(in_dir("real"), 0700), 0);
	ck_assert_int_eq(symlink("real", in_dir("sub")), 0);
	ck_assert_int_eq(lchown(in_dir("sub"), 65534, 65534), 0);

	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("app.report"), &rep, &why), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "protected_symlinks"));
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("sub/r.json"), &rep, &why), -1);
	ck_assert_int_eq(errno, EACCES);
	assert_secret("secret", 0600, ino);
	ck_assert_str_eq(dir_names(), "app.report real secret sub ");
	ck_assert_int_eq(rmdir(in_dir("real")), 0);
}
END_TEST

/* Links the rule allows in such a directory: the follower's own, and the
 * directory owner's. */
START_TEST(test_to_path_follows_allowed_links_in_sticky_dir)
{
	struct report rep;
	char *got, *want;

	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(symlink("mine", in_dir("link")), 0);
	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("link"), &rep, &why), 0);
	got = file_contents(in_dir("mine"));
	want = expected(&rep);
	ck_assert_str_eq(got, want);
	free(got);
	if (geteuid() == 0) { /* a directory and a link of another user's */
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		ck_assert_int_eq(symlink("theirs", in_dir("link2")), 0);
		ck_assert_int_eq(lchown(in_dir("link2"), 65534, 65534), 0);
		ck_assert_int_eq(output_to_path(in_dir("link2"), &rep, &why), 0);
		got = file_contents(in_dir("theirs"));
		ck_assert_str_eq(got, want);
		free(got);
	}
	free(want);
}
END_TEST

/* A file the process could not open for writing is not replaced, though
 * the directory would let a rename do it. As root the call is made as
 * nobody, in a directory anybody may write. */
START_TEST(test_to_path_unwritable_file_kept)
{
	int root = geteuid() == 0, rc, err;
	struct report rep;
	ino_t ino;

	ck_assert_int_eq(chmod(dir, 0777), 0);
	ino = make_secret("report.json", 0444);
	if (root) {
		ck_assert_int_eq(chmod(in_dir("report.json"), 0644), 0);
		ck_assert_int_eq(seteuid(65534), 0);
	}
	sample_report(&rep);
	errno = 0;
	rc = output_to_path(in_dir("report.json"), &rep, &why);
	err = errno;
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EACCES);
	ck_assert_ptr_nonnull(why);
	assert_secret("report.json", root ? 0644 : 0444, ino);
	ck_assert_str_eq(dir_names(), "report.json ");
}
END_TEST

/* A replaced file keeps its mode, and its owner where the process may set it. */
START_TEST(test_to_path_keeps_mode_and_owner)
{
	static const mode_t modes[] = { 0600, 0640, 0664 };
	struct report rep;
	struct stat st;

	sample_report(&rep);
	for (size_t i = 0; i < NELEM(modes); i++) {
		make_secret("report.json", modes[i]);
		if (geteuid() == 0)
			ck_assert_int_eq(chown(in_dir("report.json"), 65534, 65534), 0);
		ck_assert_int_eq(output_to_path(in_dir("report.json"), &rep, &why), 0);
		ck_assert_int_eq(stat(in_dir("report.json"), &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, modes[i]);
		if (geteuid() == 0)
			ck_assert_uint_eq(st.st_uid, 65534);
		ck_assert_int_eq(unlink(in_dir("report.json")), 0);
	}
}
END_TEST

/* Writes stop at 100 bytes (RLIMIT_FSIZE, as a full disk would stop them):
 * whether the path is a plain name or a link to a file not there yet,
 * nothing half-written is left, and an older report stays. */
START_TEST(test_to_path_failed_write_leaves_nothing)
{
	struct rlimit old, lim;
	struct report rep;
	ino_t ino;

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(symlink("target", in_dir("link")), 0);
	ino = make_secret("older.json", 0644);
	sample_report(&rep);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("link"), &rep, &why), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(output_to_path(in_dir("older.json"), &rep, &why), -1);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_str_eq(dir_names(), "link older.json ");
	assert_secret("older.json", 0644, ino);
}
END_TEST

/* A new report has the mode a new file gets (0666 less the umask, read
 * without changing it). */
START_TEST(test_to_path_new_file_mode)
{
	struct report rep;
	struct stat st;
	mode_t old = umask(027);

	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("new.json"), &rep, &why), 0);
	umask(old);
	ck_assert_int_eq(stat(in_dir("new.json"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
}
END_TEST

/* fs.protected_regular's rule: in /tmp, a file another user put there is
 * not replaced by root's report (it would be handed to that user); one of
 * the process's own is. */
START_TEST(test_to_path_refuses_planted_file_in_sticky_dir)
{
	struct report rep;
	ino_t ino;

	if (geteuid() != 0)
		return; /* only root can make a file of another user's */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ino = make_secret("app.report", 0666);
	ck_assert_int_eq(chown(in_dir("app.report"), 65534, 65534), 0);
	sample_report(&rep);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("app.report"), &rep, &why), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_ptr_nonnull(strstr(why, "protected_regular"));
	assert_secret("app.report", 0666, ino);
	make_secret("mine.report", 0644);
	ck_assert_int_eq(output_to_path(in_dir("mine.report"), &rep, &why), 0);
}
END_TEST

/* A path ending in '/' names a directory, as for the shell: no file is
 * made, none replaced. */
START_TEST(test_to_path_trailing_slash)
{
	struct report rep;

	sample_report(&rep);
	make_secret("f", 0644);
	errno = 0;
	ck_assert_int_eq(output_to_path(in_dir("notadir/"), &rep, &why), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(output_to_path(in_dir("f/"), &rep, &why), -1);
	ck_assert_str_eq(dir_names(), "f ");
}
END_TEST

/* The owner and the group of a replaced file are kept (as root: both). */
START_TEST(test_to_path_keeps_group)
{
	struct report rep;
	struct stat st;

	if (geteuid() != 0)
		return;
	make_secret("r.json", 0660);
	ck_assert_int_eq(chown(in_dir("r.json"), 65534, 50), 0);
	sample_report(&rep);
	ck_assert_int_eq(output_to_path(in_dir("r.json"), &rep, &why), 0);
	ck_assert_int_eq(stat(in_dir("r.json"), &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_gid, 50);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
}
END_TEST

/* The longest legal names get a report: the temporary name is cut to fit. */
START_TEST(test_to_path_longest_names)
{
	static const size_t lens[] = { 200, 250, 254, 255 };
	struct report rep;
	char name[256];

	sample_report(&rep);
	for (size_t i = 0; i < NELEM(lens); i++) {
		memset(name, 'r', lens[i]);
		name[lens[i]] = '\0';
		ck_assert_msg(output_to_path(in_dir(name), &rep, &why) == 0, "%zu bytes: %s", lens[i], strerror(errno));
		ck_assert_int_eq(dir_entries(name, sizeof(name)), 1);
		ck_assert_uint_eq(strlen(name), lens[i]);
		ck_assert_int_eq(unlink(in_dir(name)), 0);
	}
}
END_TEST

START_TEST(test_temp_name)
{
	char out[NAME_MAX + 1], name[256];

	output_temp_name("app.json", 42, 7, 255, out);
	ck_assert_str_eq(out, "app.json.tmp.42.7");
	memset(name, 'x', 255);
	name[255] = '\0';
	output_temp_name(name, 1234567, 4294967295u, 255, out);
	ck_assert_uint_eq(strlen(out), 255);
	ck_assert_str_eq(out + 255 - strlen(".tmp.1234567.4294967295"), ".tmp.1234567.4294967295");
	ck_assert_int_eq(strncmp(out, name, 255 - strlen(".tmp.1234567.4294967295")), 0);
	output_temp_name("abcdef", 1, 2, 10, out); /* ".tmp.1.2" is 8: 2 bytes of the name */
	ck_assert_str_eq(out, "ab.tmp.1.2");
}
END_TEST

Suite *suite_output(void)
{
	Suite *s = suite_create("output");
	TCase *expand = tcase_create("expand");
	TCase *path = tcase_create("to_path");

	tcase_add_loop_test(expand, test_expand, 0, (int)NELEM(expand_cases));
	tcase_add_test(expand, test_expand_too_long);
	suite_add_tcase(s, expand);

	tcase_add_checked_fixture(path, make_dir, remove_dir);
	tcase_add_test(path, test_to_path_writes_report);
	tcase_add_test(path, test_to_path_replaces_atomically);
	tcase_add_test(path, test_to_path_missing_dir);
	tcase_add_test(path, test_to_path_read_only_dir);
	tcase_add_test(path, test_to_path_onto_directory);
	tcase_add_test(path, test_to_path_symlink_to_file);
	tcase_add_test(path, test_to_path_symlink_chain);
	tcase_add_test(path, test_to_path_dangling_symlink);
	tcase_add_test(path, test_to_path_dangling_symlink_missing_dir);
	tcase_add_test(path, test_to_path_fifo);
	tcase_add_test(path, test_to_path_fifo_without_reader);
	tcase_add_test(path, test_to_path_proc_self_fd_pipe);
	tcase_add_test(path, test_to_path_proc_self_fd_regular_file);
	tcase_add_test(path, test_to_path_char_device);
	tcase_add_test(path, test_link_rule);
	tcase_add_test(path, test_to_path_refuses_planted_symlink);
	tcase_add_test(path, test_to_path_follows_allowed_links_in_sticky_dir);
	tcase_add_test(path, test_to_path_unwritable_file_kept);
	tcase_add_test(path, test_to_path_keeps_mode_and_owner);
	tcase_add_test(path, test_to_path_failed_write_leaves_nothing);
	tcase_add_test(path, test_to_path_longest_names);
	tcase_add_test(path, test_to_path_new_file_mode);
	tcase_add_test(path, test_to_path_refuses_planted_file_in_sticky_dir);
	tcase_add_test(path, test_to_path_trailing_slash);
	tcase_add_test(path, test_to_path_keeps_group);
	tcase_add_test(path, test_temp_name);
	suite_add_tcase(s, path);
	return s;
}
