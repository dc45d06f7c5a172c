/* util.c - the project's allocation wrappers: every allocation of the
 * program goes through them, as in most real C code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		perror("xmalloc");
		exit(1);
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}
