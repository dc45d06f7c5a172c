/* app.c - keeps five words through libwords and frees them. */
#include <stdio.h>
#include <stdlib.h>

#include "words.h"

int main(void)
{
	static const char *const w[] = { "one", "two", "three", "four", "five" };

	for (int i = 0; i < 5; i++)
		free(words_keep(w[i])); /* line 12: counted in the program */
	puts("ok");
	return 0;
}
