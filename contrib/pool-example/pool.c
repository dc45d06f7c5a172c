/* pool.c - the pool's two paths say what they do to memstats: the
 * allocator, not its callers, calls memstats_pool_alloc/free. Built
 * without memstats (no -include memstats.h) they are nothing. */
#include <stdlib.h>

#include "pool.h"

#ifndef memstats_pool_alloc
#define memstats_pool_alloc(name, size, ptr) ((void)0)
#define memstats_pool_free(name, size, ptr) ((void)0)
#endif

void *pool_get(struct pool *p)
{
	void *obj = p->free_list;

	if (obj)
		p->free_list = *(void **)obj;     /* a hit: no malloc */
	else
		obj = malloc(p->size);            /* a miss */
	memstats_pool_alloc(p->name, p->size, obj);
	return obj;
}

void pool_put(struct pool *p, void *obj)
{
	memstats_pool_free(p->name, p->size, obj);
	*(void **)obj = p->free_list;
	p->free_list = obj;
}

void pool_drain(struct pool *p)
{
	while (p->free_list) {
		void *obj = p->free_list;

		p->free_list = *(void **)obj;
		free(obj);
	}
}
