/* ha-aligned.c - the ha_aligned_* family: the plain functions, and the
 * counted entry points its macros call. Every "alloc" reports op malloc,
 * every "zalloc" op calloc (set by the macro), the frees op free.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PC __builtin_return_address(0)

/* The smallest power of two >= align and >= sizeof(void *); 0 if none fits. */
size_t aligned_round(size_t align)
{
	size_t a = sizeof(void *);

	while (a < align && a <= SIZE_MAX / 2)
		a <<= 1;
	return a >= align ? a : 0;
}

static int valid_alignment(size_t align)
{
	return align >= sizeof(void *) && (align & (align - 1)) == 0;
}

/* The one allocator of the family: NULL with errno EINVAL on a bad
 * alignment, ENOMEM when out of memory. */
static void *aligned_get(size_t align, size_t size, int how)
{
	void *p;
	int rc;

	if (how & MEMSTATS_ALIGNED_SAFE)
		align = aligned_round(align);
	if (!valid_alignment(align)) {
		errno = EINVAL;
		return NULL;
	}
	rc = posix_memalign(&p, align, size);
	if (rc) {
		errno = rc;
		return NULL;
	}
	if (how & MEMSTATS_ALIGNED_ZERO)
		memset(p, 0, size);
	return p;
}

/* count objects of size bytes: the product must not wrap, nor pass
 * PTRDIFF_MAX, the size no object can reach (a negative count of 1-byte
 * objects wraps to no overflow of the product) */
static void *aligned_array(size_t count, size_t size, size_t align, int how, size_t *total)
{
	if (__builtin_mul_overflow(count, size, total) || *total > PTRDIFF_MAX) {
		*total = 0;
		errno = ENOMEM;
		return NULL;
	}
	return aligned_get(align, *total, MEMSTATS_ALIGNED_SAFE | (how & MEMSTATS_ALIGNED_ZERO));
}

void *ha_aligned_alloc(size_t align, size_t size)
{
	return aligned_get(align, size, 0);
}

void *ha_aligned_zalloc(size_t align, size_t size)
{
	return aligned_get(align, size, MEMSTATS_ALIGNED_ZERO);
}

void *ha_aligned_alloc_safe(size_t align, size_t size)
{
	return aligned_get(align, size, MEMSTATS_ALIGNED_SAFE);
}

void *ha_aligned_zalloc_safe(size_t align, size_t size)
{
	return aligned_get(align, size, MEMSTATS_ALIGNED_SAFE | MEMSTATS_ALIGNED_ZERO);
}

void *memstats_aligned_array(size_t count, size_t size, size_t align, int how)
{
	size_t total;

	return aligned_array(count, size, align, how, &total);
}

void ha_aligned_free(void *ptr)
{
	free(ptr);
}

void ha_aligned_free_size(void *ptr, size_t size)
{
	(void)size;
	free(ptr);
}

void *memstats_ha_aligned(struct memstats_site *s, size_t align, size_t size, int how, const void *ra)
{
	unsigned int inj = fail_flags(s, size);
	void *p = inj ? NULL : aligned_get(align, size, how);

	count_alloc(s, size, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}

void *memstats_ha_aligned_typed(struct memstats_site *s, size_t count, size_t size, size_t align, int how,
				const void *ra)
{
	size_t total = 0;
	unsigned int inj = __builtin_mul_overflow(count, size, &total) ? 0 : fail_flags(s, total);
	void *p = inj ? NULL : aligned_array(count, size, align, how, &total);

	/* an overflowing request has no byte count we could record honestly */
	count_alloc(s, total, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}

void memstats_ha_aligned_free(struct memstats_site *s, void *ptr, size_t size, const void *ra)
{
	(void)size;
	if (!ptr)
		return; /* like free(NULL): nothing done, nothing counted */
	count_free(s, ptr, PC, ra);
	free(ptr);
	__asm__ __volatile__(""); /* not a tail call: see free.c */
}
