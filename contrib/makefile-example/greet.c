/* greet.c - a program that knows nothing of memstats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	const char *names[] = { "ada", "brian", "grace" };

	for (int i = 0; i < 3; i++) {
		char *s = strdup(names[i]);
		printf("hello, %s\n", s);
		free(s);
	}
	return 0;
}
