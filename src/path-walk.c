/* path-walk.c - where a report's path leads: the directory that holds (or
 * will hold) the file, open, and the file's name in it. The walk goes one
 * component at a time through directory descriptors, so what it checked is
 * what is written: a directory swapped for a link behind its back fails
 * (O_NOFOLLOW), and the final rename replaces a directory entry, never a
 * file a link points to.
 *
 * Symbolic links are followed as the kernel does with fs.protected_symlinks
 * set, whatever the machine's setting: never a link in a sticky,
 * world-writable directory (/tmp) whose owner is neither this process (its
 * effective uid) nor the directory's owner. Another user's link there is a
 * trap: root writing a report through /tmp/app.report -> /etc/shadow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_LINKS 40 /* as the kernel's ELOOP limit */

int link_may_be_followed(uid_t link_owner, const struct stat *dir, uid_t follower)
{
	int shared = (dir->st_mode & S_ISVTX) && (dir->st_mode & S_IWOTH);

	return !shared || link_owner == follower || link_owner == dir->st_uid;
}

/* The next component of *rest into name (NUL-terminated); *rest moves past
 * it and its slashes. 0, 1 if it was the last, -1 (ENAMETOOLONG). */
static int next_component(const char **rest, char *name)
{
	const char *p = *rest, *end;
	size_t n;

	while (*p == '/')
		p++;
	end = strchrnul(p, '/');
	n = (size_t)(end - p);
	if (n > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	while (*end == '/')
		end++;
	*rest = end;
	return *end == '\0';
}

/* Replaces the walk's remaining path by the link's target followed by what
 * was left after the link. */
static int splice_link(int dirfd, const char *name, char *rest_buf, const char *rest)
{
	char target[PATH_MAX], joined[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	target[n] = '\0';
	if ((size_t)snprintf(joined, sizeof(joined), "%s%s%s", target, *rest ? "/" : "", rest) >= sizeof(joined)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(rest_buf, joined);
	return 0;
}

static int open_dir(int at, const char *name)
{
	return openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The link name in directory dirfd may be followed, or errno EACCES and
 * *why says what refused it. */
static int check_link(int dirfd, const struct stat *link, const char **why)
{
	struct stat dir;

	if (fstat(dirfd, &dir) != 0)
		return -1;
	if (!link_may_be_followed(link->st_uid, &dir, geteuid())) {
		*why = "a symbolic link in a sticky world-writable directory, owned by neither this user "
		       "nor the directory's owner (refused as fs.protected_symlinks does)";
		errno = EACCES;
		return -1;
	}
	return 0;
}

int path_walk(const char *path, struct walk_end *end, const char **why)
{
	char rest_buf[PATH_MAX];
	const char *rest = rest_buf;
	int dirfd, links = 0, last;

	*why = NULL;
	if (!*path || strlen(path) >= sizeof(rest_buf)) {
		errno = *path ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	strcpy(rest_buf, path);
	dirfd = open_dir(AT_FDCWD, path[0] == '/' ? "/" : ".");
	while (dirfd >= 0) {
		struct stat st;

		if (rest[0] == '/') { /* an absolute link: from the root again */
			close(dirfd);
			if ((dirfd = open_dir(AT_FDCWD, "/")) < 0)
				break;
		}
		if ((last = next_component(&rest, end->name)) < 0)
			break;
		if (!end->name[0] && last) { /* "/" or "dir/": a directory */
			errno = EISDIR;
			break;
		}
		if (fstatat(dirfd, end->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT && last) { /* a new file */
				end->dirfd = dirfd;
				end->exists = 0;
				return 0;
			}
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > MAX_LINKS) {
				errno = ELOOP;
				break;
			}
			if (check_link(dirfd, &st, why) < 0 || splice_link(dirfd, end->name, rest_buf, rest) < 0)
				break;
			rest = rest_buf;
		} else if (last) {
			end->dirfd = dirfd;
			end->exists = 1;
			end->st = st;
			return 0;
		} else {
			int next = open_dir(dirfd, end->name);

			close(dirfd);
			dirfd = next;
		}
	}
	if (dirfd >= 0) {
		int err = errno;

		close(dirfd);
		errno = err;
	}
	return -1;
}
