/* words.c - a shared library (libwords) that keeps copies of words. */
#include <stdlib.h>
#include <string.h>

#include "words.h"

char *words_keep(const char *w)
{
	return strdup(w); /* line 9: counted in the library */
}
