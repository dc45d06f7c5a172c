/* free.c - the releasing wrapper. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "internal.h"

void memstats_free(struct memstats_site *s, void *ptr, const void *ra)
{
	if (!ptr)
		return; /* free(NULL) does nothing, so it is not a call */
	count_free(s, ptr, __builtin_return_address(0), ra);
	free(ptr);
	/* not a tail call: free must see this library as its caller (the
	 * preload library then knows the call was counted here) */
	__asm__ __volatile__("");
}
