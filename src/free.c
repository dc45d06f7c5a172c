/* free.c - the releasing wrapper. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "internal.h"

void memstats_free(struct memstats_site *s, void *ptr)
{
	if (!ptr)
		return; /* free(NULL) does nothing, so it is not a call */
	count_free(s, ptr);
	free(ptr);
}
