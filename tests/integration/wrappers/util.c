/* util.c - a project's allocator wrappers, in a file of their own (for
 * test_wrappers): each counted call in them belongs to their caller. */
#include <stdlib.h>
#include <string.h>

#include "wrappers.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

void *xrealloc(void *q, size_t n)
{
	void *p = realloc(q, n);

	if (!p && n)
		abort();
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

void xfree(void *p)
{
	free(p);
}

/* Ends in a tail call at -O2: no frame of its own remains. */
void *tmalloc(size_t n)
{
	return malloc(n);
}

/* Lua's shape: every allocation through one function, reached through a
 * pointer from a few others. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, nsize);
}

void *(*volatile lua_alloc_fn)(void *, void *, size_t, size_t) = l_alloc;

void *luaM_malloc_(size_t n)
{
	void *p = lua_alloc_fn(NULL, NULL, 0, n);

	if (!p && n)
		abort(); /* Lua raises an error here */
	return p;
}

void luaM_free_(void *p, size_t n)
{
	(void)lua_alloc_fn(NULL, p, n, 0);
	__asm__ __volatile__(""); /* as Lua's, not a tail call */
}
