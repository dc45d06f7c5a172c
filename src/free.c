/* free.c - the releasing wrapper. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

#include "memstats-int.h"

void memstats_free(struct memstats_site *s, void *ptr)
{
	if (!ptr)
		return; /* free(NULL) does nothing, so it is not a call */
	site_count_free(s, ptr);
	free(ptr);
}
