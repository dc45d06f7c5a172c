/* alloc-aligned.c - the memalign family: posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc. All report op "malloc" with their exact api;
 * count.c counts them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "internal.h"

#define PC __builtin_return_address(0)

int memstats_posix_memalign(struct memstats_site *s, void **ptr, size_t align, size_t size, const void *ra)
{
	unsigned int inj = fail_flags(s, size);
	int rc = inj ? ENOMEM : posix_memalign(ptr, align, size);

	/* on failure *ptr is untouched: never read it */
	count_alloc(s, size, rc ? NULL : *ptr, COUNT_NULL_FAILS | inj, PC, ra);
	return rc;
}

void *memstats_aligned_alloc(struct memstats_site *s, size_t align, size_t size, const void *ra)
{
	unsigned int inj = fail_flags(s, size);
	void *p = inj ? NULL : aligned_alloc(align, size);

	count_alloc(s, size, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}

void *memstats_memalign(struct memstats_site *s, size_t align, size_t size, const void *ra)
{
	unsigned int inj = fail_flags(s, size);
	void *p = inj ? NULL : memalign(align, size);

	count_alloc(s, size, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}

void *memstats_valloc(struct memstats_site *s, size_t size, const void *ra)
{
	unsigned int inj = fail_flags(s, size);
	void *p = inj ? NULL : valloc(size);

	count_alloc(s, size, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}

void *memstats_pvalloc(struct memstats_site *s, size_t size, const void *ra)
{
	unsigned int inj = fail_flags(s, size);
	void *p = inj ? NULL : pvalloc(size);

	count_alloc(s, size, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}
