/* atomic-baseline.h - the approach memstats is measured against: HAProxy's
 * DEBUG_MEM_STATS style, a static record per call site and relaxed atomic
 * adds on it (calls, bytes, usable bytes), everything inline. Force-included
 * into bench.c for the "atomic baseline" build; it counts, it never reports.
 */
#ifndef ATOMIC_BASELINE_H
#define ATOMIC_BASELINE_H

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

struct baseline_site {
	unsigned long long calls, bytes, alloc_bytes, free_bytes;
} __attribute__((aligned(64)));

#define BASELINE_SITE_ (__extension__({ static struct baseline_site s_; &s_; }))
#define BASELINE_ADD_(f, v) __atomic_fetch_add(&(f), (v), __ATOMIC_RELAXED)

static inline void *baseline_alloc_(struct baseline_site *s, size_t req, void *p)
{
	BASELINE_ADD_(s->calls, 1);
	BASELINE_ADD_(s->bytes, req);
	if (p)
		BASELINE_ADD_(s->alloc_bytes, malloc_usable_size(p));
	return p;
}

static inline void baseline_free_(struct baseline_site *s, void *p)
{
	if (!p)
		return;
	BASELINE_ADD_(s->calls, 1);
	BASELINE_ADD_(s->free_bytes, malloc_usable_size(p));
	free(p);
}

static inline void *baseline_realloc_(struct baseline_site *s, void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q = realloc(p, n);

	if (q && old)
		BASELINE_ADD_(s->free_bytes, old);
	return baseline_alloc_(s, n, q);
}

static inline char *baseline_strdup_(struct baseline_site *s, const char *str)
{
	return baseline_alloc_(s, strlen(str) + 1, strdup(str));
}

#define malloc(n)     baseline_alloc_(BASELINE_SITE_, (n), malloc(n))
#define calloc(n, m)  baseline_alloc_(BASELINE_SITE_, (n) * (m), calloc(n, m))
#define realloc(p, n) baseline_realloc_(BASELINE_SITE_, (p), (n))
#define free(p)       baseline_free_(BASELINE_SITE_, (p))
#define strdup(s)     baseline_strdup_(BASELINE_SITE_, (s))

#endif
