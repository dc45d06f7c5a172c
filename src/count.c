/* count.c - one counted call, out of line: the path of every wrapper
 * (alloc.c, free.c, alloc-aligned.c, ha-aligned.c) for the calls the inline
 * path in memstats/sites.h does not take (a site's first call, a new
 * thread, tracking, another allocator, a site inside a declared wrapper),
 * and of every call the preload library sees. The call's record is its
 * site, or a caller record (callers.c); its counters go to this thread's
 * slot for that record, its block to this thread's live table.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Whether site s sits in a declared wrapper (its function's name says so):
 * decided at its first call, before it gets a number. */
static int in_wrapper(struct memstats_site *s)
{
	if (!wrapper_named(s->func))
		return 0;
	__atomic_fetch_or(&s->flags, MEMSTATS_SITE_WRAPPED, __ATOMIC_RELAXED);
	return 1;
}

/* This thread's cache of caller records, made at its first caller row,
 * emptied after an object was unloaded. */
static __attribute__((noinline)) struct caller_cache *hot_renew(struct thread *t)
{
	if (!t->callers)
		t->callers = calloc(CALLER_CACHE, sizeof(*t->callers));
	else
		memset(t->callers, 0, CALLER_CACHE * sizeof(*t->callers));
	t->callers_epoch = __atomic_load_n(&callers_epoch, __ATOMIC_ACQUIRE);
	return t->callers;
}

static inline __attribute__((always_inline)) struct caller_cache *hot_of(struct thread *t)
{
	if (!t)
		return NULL;
	if (__builtin_expect(!t->callers || t->callers_epoch != relaxed_get(&callers_epoch), 0))
		return hot_renew(t);
	return t->callers;
}

/* The record that counts a call at site s: s itself, or, inside a wrapper,
 * the record of the wrapper's caller. pc: the call's return address; ra:
 * the return address of the function holding the site. */
static inline __attribute__((always_inline)) struct memstats_site *record_for(struct thread *t, struct memstats_site *s, const void *pc, const void *ra)
{
	if (__builtin_expect(!(relaxed_get(&s->flags) & MEMSTATS_SITE_WRAPPED), 1) &&
	    (__builtin_expect(relaxed_get(&s->id) != 0, 1) || !in_wrapper(s)))
		return s;
	return callers_record(hot_of(t), (uintptr_t)s, s, s->op, s->api, s->type, (uintptr_t)pc, (uintptr_t)ra);
}

/* An allocation call that asked for req bytes and got p. */
static inline __attribute__((always_inline)) void add_alloc(struct memstats_counters *c, memstats_u64 req, void *p, unsigned int flags)
{
	relaxed_add(&c->calls, 1);
	relaxed_add(&c->bytes, req);
	if (p)
		relaxed_add(&c->alloc_bytes, usable_size(p));
	else if (flags & COUNT_NULL_FAILS)
		relaxed_add(&c->failed, 1);
	if (flags & COUNT_INJECTED)
		relaxed_add(&c->injected, 1);
}

/* This thread's slot for record r; NULL if out of memory: the call is then
 * not counted, and the allocation still served. */
static inline __attribute__((always_inline)) struct memstats_counters *slot_of(struct thread *t, struct memstats_site *r)
{
	return t && r ? counters_slot(&t->slots, r) : NULL;
}

static inline __attribute__((always_inline)) void count_alloc_at(struct thread *t, struct memstats_site *r, memstats_u64 req, void *p, unsigned int flags)
{
	struct memstats_counters *c = slot_of(t, r);

	if (__builtin_expect(t && t->scope.depth, 0))
		scope_alloc(&t->scope, req, p, (flags & COUNT_NULL_FAILS) != 0);
	if (!c)
		return;
	add_alloc(c, req, p, flags);
	if (track_on && p)
		track_alloc(&t->tracker, r, p, req);
}

static inline __attribute__((always_inline)) void count_free_at(struct thread *t, struct memstats_site *r, void *ptr)
{
	struct memstats_counters *c = slot_of(t, r);

	if (__builtin_expect(t && t->scope.depth, 0))
		scope_free(&t->scope, ptr);
	if (c) {
		relaxed_add(&c->calls, 1);
		relaxed_add(&c->free_bytes, usable_size(ptr));
	}
	if (track_on)
		track_free(t ? &t->tracker : NULL, ptr);
}

/* count_alloc() and count_free() (internal.h) when the call is not a
 * wrapper's known caller: the whole way. */
void count_alloc_slow(struct memstats_site *s, memstats_u64 req, void *p, unsigned int flags, const void *pc,
		      const void *ra)
{
	struct thread *t;

	runtime_enter();
	t = thread_get();
	count_alloc_at(t, record_for(t, s, pc, ra), req, p, flags);
}


void count_free_slow(struct memstats_site *s, void *ptr, const void *pc, const void *ra)
{
	struct thread *t;

	runtime_enter();
	t = thread_get();
	count_free_at(t, record_for(t, s, pc, ra), ptr);
}


void count_realloc_begin(struct realloc_count *rc, void *ptr)
{
	struct thread *t;

	runtime_enter();
	t = thread_get();
	rc->had_block = ptr != NULL;
	rc->old = ptr;
	rc->injected = 0;
	rc->old_usable = ptr ? usable_size(ptr) : 0;
	rc->tracked = track_on && ptr && track_take(t ? &t->tracker : NULL, ptr, &rc->was);
}

/* The old block is gone when realloc succeeded, or when it freed it for a
 * size of 0 (glibc returns NULL then); on failure it stays. */
static void count_realloc_at(struct thread *t, struct memstats_site *r, const struct realloc_count *rc, memstats_u64 size,
			     void *p)
{
	struct memstats_counters *c = slot_of(t, r);
	int gone = !rc->injected && (p || size == 0); /* an injected failure called no realloc */

	if (__builtin_expect(t && t->scope.depth, 0))
		scope_realloc(&t->scope, rc->had_block && gone ? rc->old : NULL, rc->old_usable, size, p);
	if (c) {
		add_alloc(c, size, p, (size ? COUNT_NULL_FAILS : 0) | rc->injected);
		if (gone)
			relaxed_add(&c->free_bytes, rc->old_usable);
	}
	if (!track_on)
		return;
	if (rc->tracked && !gone)
		track_restore(t ? &t->tracker : NULL, &rc->was);
	else if (!rc->tracked && rc->had_block && gone)
		track_foreign();
	if (p && t && r)
		track_alloc(&t->tracker, r, p, size);
}

void count_realloc_end(struct memstats_site *s, const struct realloc_count *rc, memstats_u64 size, void *p,
		       const void *pc, const void *ra)
{
	struct thread *t = thread_get();

	count_realloc_at(t, record_for(t, s, pc, ra), rc, size, p);
}

/* The inline path's calls for tracking. With exact tracking every counted
 * allocation and free comes here: once a thread has taken the whole way
 * (start-up, a new thread), its tracker is track_mine, one load from the
 * thread pointer, and the call jumps to track.c with no register or frame
 * of its own (before/after: 395 -> 368 instructions a tracked malloc+free
 * pair). */

/* The countdown went below zero. Not tracking: it is never to come here again. */
static __attribute__((noinline)) void sampled_slow(struct memstats_site *s, void *p, memstats_size_t size)
{
	struct thread *t;

	runtime_enter();
	if (!track_on) {
		memstats_tls_.sample_left = LLONG_MAX / 2;
		return;
	}
	if ((t = thread_get()))
		track_sample(&t->tracker, s, p, size);
}

void memstats__sampled(struct memstats_site *s, void *p, memstats_size_t size)
{
	struct tracker *k = track_mine;

	if (__builtin_expect(k != NULL, 1))
		track_exact_alloc(k, s, p, size);
	else
		sampled_slow(s, p, size);
}

static __attribute__((noinline)) void untrack_slow(void *p)
{
	struct thread *t;

	runtime_enter();
	if (!track_on)
		return;
	t = thread_get();
	track_free(t ? &t->tracker : NULL, p);
}

void memstats__untrack(void *p)
{
	struct tracker *k = track_mine;

	if (__builtin_expect(k != NULL, 1))
		track_exact_free(k, p);
	else
		untrack_slow(p);
}

struct memstats_site *count_record(struct thread *t, struct memstats_site *s, const void *pc, const void *ra)
{
	return record_for(t, s, pc, ra);
}

/* ---- the preload library's calls ----------------------------------------- */

static const struct {
	unsigned int op;
	const char *api;
} preload_apis[] = {
#define API_(name, op, api) [PRELOAD_##name] = { MEMSTATS_OP_##op, api },
	PRELOAD_APIS(API_)
#undef API_
};

/* The record of a call of api from code at pc: its caller record. */
static inline __attribute__((always_inline)) struct memstats_site *preload_record(struct thread *t, unsigned int api, const void *pc)
{
	if (api >= NELEM(preload_apis))
		return NULL;
	return callers_record(hot_of(t), api + 1, NULL, preload_apis[api].op, preload_apis[api].api, NULL,
			      (uintptr_t)pc, 0);
}

/* What the preload library may keep for its later calls of api from pc:
 * r's number when r is the record of every such call (the thread's cache
 * holds exactly those; not a call that walks) and may be counted at
 * inline; else 0. */
static unsigned int preload_keep(struct thread *t, unsigned int api, const void *pc, const struct memstats_site *r)
{
	const struct caller_cache *h;

	if (!t || !r || !t->callers || !relaxed_get(&counters_callers_ok))
		return 0;
	h = &t->callers[callers_hot_slot(api + 1, (uintptr_t)pc)];
	return h->record == r && h->tag == api + 1 && h->pc == (uintptr_t)pc ? relaxed_get(&r->id) : 0;
}

unsigned int memstats__preload_alloc(unsigned int api, const void *pc, memstats_u64 req, void *p, unsigned int flags)
{
	struct memstats_site *r;
	struct thread *t;

	runtime_enter();
	t = thread_get();
	r = preload_record(t, api, pc);
	count_alloc_at(t, r, req, p, flags);
	return preload_keep(t, api, pc, r);
}

unsigned int memstats__preload_free(unsigned int api, const void *pc, void *ptr)
{
	struct memstats_site *r;
	struct thread *t;

	runtime_enter();
	t = thread_get();
	r = preload_record(t, api, pc);
	count_free_at(t, r, ptr);
	return preload_keep(t, api, pc, r);
}

void memstats__preload_realloc_begin(struct realloc_count *rc, void *ptr)
{
	count_realloc_begin(rc, ptr);
}

void memstats__preload_realloc_end(const void *pc, const struct realloc_count *rc, memstats_u64 size, void *p)
{
	struct thread *t = thread_get();

	count_realloc_at(t, preload_record(t, PRELOAD_REALLOC, pc), rc, size, p);
}
