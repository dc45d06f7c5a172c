/* nodebug.c - a program built without memstats.h and without debug
 * information (-g0), run under the preload library by test_preload: its
 * rows are known by object, offset and symbol, file and line unknown. */
#include <stdlib.h>

static void *volatile keep[4];

int main(void)
{
	for (int i = 0; i < 4; i++)
		keep[i] = malloc(100);
	for (int i = 0; i < 4; i++)
		free(keep[i]);
	return 0;
}
