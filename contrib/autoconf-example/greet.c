/* greet.c - an autoconf program that knows nothing of memstats. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	const char *names[] = { "ada lovelace", "brian kernighan", "grace hopper" };

	for (int i = 0; i < 3; i++) {
#ifdef HAVE_STRNDUP
		char *first = strndup(names[i], strcspn(names[i], " "));
#else
		char *first = NULL;
#endif
		printf("hello, %s\n", first ? first : names[i]);
		free(first);
	}
	return 0;
}
