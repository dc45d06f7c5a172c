/* count.c - one counted call, out of line: the path of every wrapper
 * (alloc.c, free.c, alloc-aligned.c, ha-aligned.c) for the calls the inline
 * path in memstats/sites.h does not take: a site's first call, a new
 * thread, tracking, another allocator. The call's counters go to this
 * thread's slot for the site, its block to this thread's live table.
 */
#include "internal.h"

/* An allocation call that asked for req bytes and got p. */
static void add_alloc(struct memstats_counters *c, memstats_u64 req, void *p, unsigned int flags)
{
	relaxed_add(&c->calls, 1);
	relaxed_add(&c->bytes, req);
	if (p)
		relaxed_add(&c->alloc_bytes, usable_size(p));
	else if (flags & COUNT_NULL_FAILS)
		relaxed_add(&c->failed, 1);
}

/* This thread's slot for s (its state made first); NULL if out of memory:
 * the call is then not counted, and the allocation still served. */
static struct memstats_counters *slot_of(struct thread *t, struct memstats_site *s)
{
	return t ? counters_slot(&t->slots, s) : NULL;
}

void count_alloc(struct memstats_site *s, memstats_u64 req, void *p, unsigned int flags)
{
	struct thread *t;
	struct memstats_counters *c;

	runtime_enter();
	t = thread_get();
	if (!(c = slot_of(t, s)))
		return;
	add_alloc(c, req, p, flags);
	if (track_on && p)
		track_alloc(&t->tracker, s, p, req);
}

void count_free(struct memstats_site *s, void *ptr)
{
	struct thread *t;
	struct memstats_counters *c;

	runtime_enter();
	t = thread_get();
	if ((c = slot_of(t, s))) {
		relaxed_add(&c->calls, 1);
		relaxed_add(&c->free_bytes, usable_size(ptr));
	}
	if (track_on)
		track_free(t ? &t->tracker : NULL, ptr);
}

void count_realloc_begin(struct realloc_count *rc, void *ptr)
{
	struct thread *t;

	runtime_enter();
	t = thread_get();
	rc->had_block = ptr != NULL;
	rc->old_usable = ptr ? usable_size(ptr) : 0;
	rc->tracked = track_on && ptr && track_take(t ? &t->tracker : NULL, ptr, &rc->was);
}

/* The old block is gone when realloc succeeded, or when it freed it for a
 * size of 0 (glibc returns NULL then); on failure it stays. */
void count_realloc_end(struct memstats_site *s, const struct realloc_count *rc, memstats_u64 size, void *p)
{
	struct thread *t = thread_get();
	struct memstats_counters *c = slot_of(t, s);
	int gone = p || size == 0;

	if (c) {
		add_alloc(c, size, p, size ? COUNT_NULL_FAILS : 0);
		if (gone)
			relaxed_add(&c->free_bytes, rc->old_usable);
	}
	if (!track_on)
		return;
	if (rc->tracked && !gone)
		track_restore(t ? &t->tracker : NULL, &rc->was);
	else if (!rc->tracked && rc->had_block && gone)
		track_foreign();
	if (p && t)
		track_alloc(&t->tracker, s, p, size);
}
