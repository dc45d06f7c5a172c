/* alloc.c - the allocating wrappers: malloc, calloc, realloc, strdup,
 * strndup. Each makes the C library call and has count.c count it, with
 * its own return address (PC: where the call is) and the ra its caller's
 * macro took (a wrapper's caller); the hot ones look a declared wrapper's
 * caller up before the call (count_wrapped_id()). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PC __builtin_return_address(0)

void *memstats_malloc(struct memstats_site *s, size_t size, const void *ra)
{
	unsigned int id = count_wrapped_id(s, PC, ra), inj = fail_flags(s, size);
	void *p = inj ? NULL : malloc(size);

	count_alloc_as(id, s, size, p, (size ? COUNT_NULL_FAILS : 0) | inj, PC, ra);
	return fail_return(inj, p);
}

void *memstats_calloc(struct memstats_site *s, size_t n, size_t size, const void *ra)
{
	size_t total;
	int overflow = __builtin_mul_overflow(n, size, &total);
	unsigned int id = count_wrapped_id(s, PC, ra), inj = fail_flags(s, overflow ? 0 : total);
	void *p = inj ? NULL : calloc(n, size);

	/* an overflowing request has no byte count we could record honestly */
	count_alloc_as(id, s, overflow ? 0 : total, p, (overflow || total ? COUNT_NULL_FAILS : 0) | inj, PC, ra);
	return fail_return(inj, p);
}

void *memstats_realloc(struct memstats_site *s, void *ptr, size_t size, const void *ra)
{
	struct realloc_count rc;
	void *p;

	count_realloc_begin(&rc, ptr);
	rc.injected = fail_flags(s, size);
	p = rc.injected ? NULL : realloc(ptr, size); /* an injected failure keeps the block, as a real one */
	count_realloc_end(s, &rc, size, p, PC, ra);
	return fail_return(rc.injected, p);
}

char *memstats_strdup(struct memstats_site *s, const char *str, const void *ra)
{
	size_t len = strlen(str) + 1;
	unsigned int id = count_wrapped_id(s, PC, ra), inj = fail_flags(s, len);
	char *p = inj ? NULL : malloc(len);

	if (p)
		memcpy(p, str, len);
	count_alloc_as(id, s, len, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}

char *memstats_strndup(struct memstats_site *s, const char *str, size_t n, const void *ra)
{
	size_t len = strnlen(str, n);
	unsigned int inj = fail_flags(s, len + 1);
	char *p = inj ? NULL : malloc(len + 1);

	if (p) {
		memcpy(p, str, len);
		p[len] = '\0';
	}
	count_alloc(s, len + 1, p, COUNT_NULL_FAILS | inj, PC, ra);
	return fail_return(inj, p);
}
