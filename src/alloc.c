/* alloc.c - the allocating wrappers: malloc, calloc, realloc, strdup, strndup. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "memstats-int.h"

static const char *const op_names[MEMSTATS_OP_COUNT_] = {
	[MEMSTATS_OP_MALLOC] = "malloc",   [MEMSTATS_OP_CALLOC] = "calloc",
	[MEMSTATS_OP_REALLOC] = "realloc", [MEMSTATS_OP_FREE] = "free",
	[MEMSTATS_OP_STRDUP] = "strdup",   [MEMSTATS_OP_STRNDUP] = "strndup",
};

const char *op_name(unsigned int op)
{
	return op < MEMSTATS_OP_COUNT_ ? op_names[op] : "unknown";
}

void site_count_alloc(struct memstats_site *s, memstats_u64 req, void *p, int failed, memstats_u64 freed)
{
	struct memstats_counters *c;

	runtime_enter();
	c = site_slot(s);

	if (!c)
		return;
	slot_add(&c->calls, 1);
	if (req)
		slot_add(&c->bytes, req);
	if (p)
		slot_add(&c->alloc_bytes, usable_size(p));
	else if (failed)
		slot_add(&c->failed, 1);
	if (freed)
		slot_add(&c->free_bytes, freed);
	if (track_on && p)
		track_alloc(s, p, req);
}

void site_count_free(struct memstats_site *s, void *ptr)
{
	struct memstats_counters *c;

	runtime_enter();
	c = site_slot(s);

	if (c) {
		slot_add(&c->calls, 1);
		slot_add(&c->free_bytes, usable_size(ptr));
	}
	if (track_on)
		track_free(ptr);
}

void *memstats_malloc(struct memstats_site *s, size_t size)
{
	void *p = malloc(size);

	site_count_alloc(s, size, p, size != 0, 0);
	return p;
}

void *memstats_calloc(struct memstats_site *s, size_t n, size_t size)
{
	size_t total;
	int overflow = __builtin_mul_overflow(n, size, &total);
	void *p = calloc(n, size);

	/* an overflowing request has no byte count we could record honestly */
	site_count_alloc(s, overflow ? 0 : total, p, overflow || total != 0, 0);
	return p;
}

void *memstats_realloc(struct memstats_site *s, void *ptr, size_t size)
{
	size_t old = ptr ? usable_size(ptr) : 0;
	struct live was;
	/* out of the table before the call: once it returns, another thread
	 * may get the old address from malloc */
	int tracked = track_on && ptr && track_take(ptr, &was);
	void *p = realloc(ptr, size);
	/* the old block is gone when realloc succeeded, or when it freed it
	 * for a size of 0 (glibc returns NULL then); on failure it stays */
	int gone = p || size == 0;

	site_count_alloc(s, size, p, size != 0, gone ? old : 0);
	if (tracked && !gone)
		track_restore(&was);
	else if (track_on && ptr && !tracked && gone)
		track_foreign();
	return p;
}

char *memstats_strdup(struct memstats_site *s, const char *str)
{
	size_t len = strlen(str) + 1;
	char *p = malloc(len);

	if (p)
		memcpy(p, str, len);
	site_count_alloc(s, len, p, 1, 0);
	return p;
}

char *memstats_strndup(struct memstats_site *s, const char *str, size_t n)
{
	size_t len = strnlen(str, n);
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, str, len);
		p[len] = '\0';
	}
	site_count_alloc(s, len + 1, p, 1, 0);
	return p;
}
