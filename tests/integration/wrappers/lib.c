/* lib.c - wrappers in an instrumented shared library (libwrapped.so). */
#include <stdlib.h>

#include "wrappers.h"

void *zmalloc(size_t n)
{
	return malloc(n);
}

void zfree(void *p)
{
	free(p);
}
