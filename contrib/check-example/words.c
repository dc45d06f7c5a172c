/* words.c - the code under test: counting words allocates nothing;
 * splitting into words allocates, and words_free() gives it all back. */
#include <stdlib.h>
#include <string.h>

#include "words.h"

size_t words_count(const char *s)
{
	size_t n = 0;

	for (int in = 0; *s; s++) {
		if (*s != ' ' && !in)
			n++;
		in = *s != ' ';
	}
	return n;
}

char **words_split(const char *s)
{
	size_t n = words_count(s), k = 0;
	char **w = calloc(n + 1, sizeof(*w));

	while (w && *s) {
		size_t len;

		while (*s == ' ')
			s++;
		len = strcspn(s, " ");
		if (len && !(w[k++] = strndup(s, len))) {
			words_free(w);
			return NULL;
		}
		s += len;
	}
	return w;
}

void words_free(char **w)
{
	for (size_t i = 0; w && w[i]; i++)
		free(w[i]);
	free(w);
}
