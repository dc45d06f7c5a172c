/* oom-strdup.c - preloaded by test_dso: strdup fails for any path of the
 * test plugin, as it would out of memory, when the runtime copies the
 * plugin's name at its registration. Not instrumented. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (strstr(s, "libplugin")) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(n);
	return p ? memcpy(p, s, n) : NULL;
}
