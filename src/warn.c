/* warn.c - the runtime's one way to say something: one whole line on a
 * descriptor (stderr, or a test's). It goes through a writer, so a broken
 * stderr raises no SIGPIPE and a non-blocking one is waited for. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void warnf_fd(int fd, const char *fmt, ...)
{
	struct writer w;
	char buf[512];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(buf)) { /* cut, but still one whole line */
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	w_init(&w, fd);
	w_put(&w, buf, (size_t)n);
	w_flush(&w); /* if it fails, there is nowhere left to complain to */
}
