/* alloc-aligned.c - the memalign family: posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc. All report op "malloc" with their exact api.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

#include "memstats-int.h"

int memstats_posix_memalign(struct memstats_site *s, void **ptr, size_t align, size_t size)
{
	int rc = posix_memalign(ptr, align, size);

	/* on failure *ptr is untouched: never read it */
	site_count_alloc(s, size, rc ? NULL : *ptr, rc != 0, 0);
	return rc;
}

void *memstats_aligned_alloc(struct memstats_site *s, size_t align, size_t size)
{
	void *p = aligned_alloc(align, size);

	site_count_alloc(s, size, p, 1, 0);
	return p;
}

void *memstats_memalign(struct memstats_site *s, size_t align, size_t size)
{
	void *p = memalign(align, size);

	site_count_alloc(s, size, p, 1, 0);
	return p;
}

void *memstats_valloc(struct memstats_site *s, size_t size)
{
	void *p = valloc(size);

	site_count_alloc(s, size, p, 1, 0);
	return p;
}

void *memstats_pvalloc(struct memstats_site *s, size_t size)
{
	void *p = pvalloc(size);

	site_count_alloc(s, size, p, 1, 0);
	return p;
}
