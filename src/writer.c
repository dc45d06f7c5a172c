/* writer.c - buffered output to a file descriptor, and the escaping the
 * formats need. No stdio: a report may be written at exit, after stdio's own
 * buffers are gone, or by a program whose stdout is in any state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void w_init(struct writer *w, int fd)
{
	w->fd = fd;
	w->err = 0;
	w->len = 0;
	w->stall_ms = W_STALL_MS;
}

/* A descriptor opened non-blocking (a shared stderr of an event-loop
 * program) refuses a write while its reader is behind: wait for it, until
 * it has taken nothing for stall_ms. */
static int w_wait(struct writer *w, int *waited_ms)
{
	struct pollfd p = { .fd = w->fd, .events = POLLOUT };
	int left = w->stall_ms - *waited_ms, n;

	if (left <= 0)
		return -1;
	n = poll(&p, 1, left < 100 ? left : 100);
	if (n == 0)
		*waited_ms += left < 100 ? left : 100;
	return n < 0 && errno != EINTR ? -1 : 0;
}

/* A write to a pipe whose reader went away must not kill the program with
 * SIGPIPE (the report at exit would change its exit status): SIGPIPE is
 * blocked around the writes, and one that they raised is taken back. */
static void w_drain(struct writer *w)
{
	sigset_t pipe_only, old, pending;
	int was_pending, waited_ms = 0;
	size_t off = 0;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	while (off < w->len && !w->err) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n > 0) {
			off += (size_t)n;
			waited_ms = 0;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (w_wait(w, &waited_ms) < 0)
				w->err = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
		} else if (n < 0 && errno != EINTR) {
			w->err = errno;
		} else if (n == 0) {
			w->err = EIO;
		}
	}
	if (w->err == EPIPE && !was_pending)
		sigtimedwait(&pipe_only, NULL, &(struct timespec){ 0, 0 });
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->len = 0;
}

void w_put(struct writer *w, const char *s, size_t n)
{
	while (n) {
		size_t room = sizeof(w->buf) - w->len;
		size_t k = n < room ? n : room;

		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
		if (w->len == sizeof(w->buf))
			w_drain(w);
	}
}

void w_str(struct writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

void w_pad(struct writer *w, char c, size_t n)
{
	while (n--)
		w_put(w, &c, 1);
}

size_t u64_len(memstats_u64 v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

void w_u64(struct writer *w, memstats_u64 v)
{
	char buf[24];
	char *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	w_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void w_i64(struct writer *w, int64_t v)
{
	if (v < 0) {
		w_put(w, "-", 1);
		w_u64(w, (memstats_u64)0 - (memstats_u64)v);
	} else {
		w_u64(w, (memstats_u64)v);
	}
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* JSON strings must be valid UTF-8: a byte that is not part of a valid
 * sequence (a Latin-1 file name, say) is written as the code point of the
 * same value, which keeps it readable and reversible. */
void w_json_str(struct writer *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		w_str(w, "null");
		return;
	}
	w_put(w, "\"", 1);
	while (*s) {
		size_t n;

		if (*s == '"' || *s == '\\') {
			char esc[2] = { '\\', (char)*s };
			w_put(w, esc, 2);
			s++;
		} else if (*s >= 0x20 && *s < 0x7f) {
			w_put(w, (const char *)s, 1);
			s++;
		} else if (*s >= 0x80 && (n = utf8_len(s))) {
			w_put(w, (const char *)s, n);
			s += n;
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15] };
			w_put(w, esc, 6);
			s++;
		}
	}
	w_put(w, "\"", 1);
}

/* RFC 4180: quote a field holding a comma, a quote or a line break, and
 * double its quotes. */
void w_csv_str(struct writer *w, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		w_str(w, s);
		return;
	}
	w_put(w, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			w_put(w, "\"", 1);
		w_put(w, s, 1);
	}
	w_put(w, "\"", 1);
}

int w_flush(struct writer *w)
{
	w_drain(w);
	if (w->err) {
		errno = w->err;
		return -1;
	}
	return 0;
}
