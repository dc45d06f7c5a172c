/* pool.h - a free-list pool of fixed-size objects over malloc. */
#ifndef POOL_H
#define POOL_H
#include <stddef.h>

struct pool {
	const char *name;   /* reported by memstats as the row's type */
	size_t size;        /* each object's bytes */
	void *free_list;    /* objects put back, reused first */
};

void *pool_get(struct pool *p);          /* NULL when out of memory */
void pool_put(struct pool *p, void *obj);
void pool_drain(struct pool *p);         /* frees what was put back */
#endif
