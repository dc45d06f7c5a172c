/* prog.c - test_cli's real program (built with -include memstats.h):
 * twice() allocates 24 bytes twice, thrice() 10 bytes three times. */
#include <stdlib.h>

static void *volatile keep[8];

static void twice(void)
{
	for (int i = 0; i < 2; i++)
		keep[i] = malloc(24);
}

static void thrice(void)
{
	for (int i = 0; i < 3; i++)
		keep[2 + i] = malloc(10);
}

int main(void)
{
	twice();
	thrice();
	return 0;
}
