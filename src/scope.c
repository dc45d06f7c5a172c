/* scope.c - memstats_scope_begin/end and memstats_allocs_per_run(): the
 * exact counts of a region of code in one thread, for tests ("this handler
 * allocates nothing once warm", "this parser frees what it allocates").
 *
 * While a scope is open in a thread, that thread's calls go out of line
 * (its inline limits are 0: count.c sees each one) and count.c adds each
 * counted call to the thread's scope totals, and keeps the blocks
 * allocated meanwhile in a table of the thread's own, with the number of
 * the scope that was newest then; a block freed is taken out. A scope's
 * counts are the totals' change between its begin and its end; its live
 * blocks, those of the table made since it began. No other thread, and no
 * code outside a scope, pays anything: tracking is not needed.
 */
#include <string.h>

#include "internal.h"

enum { S_CALLS, S_FAILED, S_BYTES, S_ALLOC, S_FREE, S_ALLOC_CALLS };

void memstats_scope_begin(struct memstats_scope *s)
{
	struct thread *t;

	runtime_enter();
	memset(s, 0, sizeof(*s));
	if (!(t = thread_get()))
		return;
	memcpy(s->start_, t->scope.acc, sizeof(t->scope.acc));
	s->seq_ = ++t->scope.seq;
	if (t->scope.depth++ == 0) {
		t->slots.all_out = 1;
		counters_publish(&t->slots); /* out of line from now on */
	}
}

struct live_since {
	unsigned int seq;
	memstats_u64 blocks, bytes;
};

static void count_since(const struct live *v, void *arg)
{
	struct live_since *l = arg;

	if (v->born >= l->seq) {
		l->blocks++;
		l->bytes += v->size;
	}
}

void memstats_scope_end(struct memstats_scope *s)
{
	struct thread *t = thread_mine;
	struct live_since l = { (unsigned int)s->seq_, 0, 0 };

	if (!t || !t->scope.depth || !s->seq_)
		return;
	s->calls = t->scope.acc[S_CALLS] - s->start_[S_CALLS];
	s->failed = t->scope.acc[S_FAILED] - s->start_[S_FAILED];
	s->bytes = t->scope.acc[S_BYTES] - s->start_[S_BYTES];
	s->alloc_bytes = t->scope.acc[S_ALLOC] - s->start_[S_ALLOC];
	s->free_bytes = t->scope.acc[S_FREE] - s->start_[S_FREE];
	s->alloc_calls = t->scope.acc[S_ALLOC_CALLS] - s->start_[S_ALLOC_CALLS];
	live_each(&t->scope.blocks, count_since, &l);
	s->live_blocks = l.blocks;
	s->live_bytes = l.bytes;
	if (--t->scope.depth == 0) {
		live_free(&t->scope.blocks); /* no scope is left to ask */
		t->slots.all_out = 0;
		counters_publish(&t->slots);
	}
}

double memstats_allocs_per_run(void (*fn)(void *), void *arg, unsigned long runs)
{
	struct memstats_scope s;

	fn(arg); /* warm-up: caches, first-call allocations */
	if (!runs)
		return 0;
	memstats_scope_begin(&s);
	for (unsigned long i = 0; i < runs; i++)
		fn(arg);
	memstats_scope_end(&s);
	return (double)s.alloc_calls / (double)runs;
}

/* ---- count.c's calls, while a scope is open ------------------------------- */

static void keep(struct scope_state *sc, void *p, memstats_u64 size)
{
	struct live stale;

	if (live_full(&sc->blocks) && live_rebuild(&sc->blocks) < 0)
		return; /* out of memory: this block will not show as live */
	/* no site: any id but 0, which marks a gone entry */
	live_put(&sc->blocks, &(struct live){ (uintptr_t)p, size, 1, sc->seq }, &stale);
}

static void forget(struct scope_state *sc, void *p)
{
	struct live gone;

	if (sc->blocks.e)
		live_take(&sc->blocks, (uintptr_t)p, &gone);
}

void scope_alloc(struct scope_state *sc, memstats_u64 req, void *p, int failed)
{
	sc->acc[S_CALLS]++;
	sc->acc[S_ALLOC_CALLS]++;
	sc->acc[S_BYTES] += req;
	if (p) {
		sc->acc[S_ALLOC] += usable_size(p);
		keep(sc, p, req);
	} else if (failed) {
		sc->acc[S_FAILED]++;
	}
}

void scope_free(struct scope_state *sc, void *ptr)
{
	sc->acc[S_CALLS]++;
	sc->acc[S_FREE] += usable_size(ptr);
	forget(sc, ptr);
}

void scope_realloc(struct scope_state *sc, void *freed, memstats_u64 old_usable, memstats_u64 size, void *p)
{
	sc->acc[S_CALLS]++;
	sc->acc[S_ALLOC_CALLS]++;
	sc->acc[S_BYTES] += size;
	if (freed) {
		sc->acc[S_FREE] += old_usable;
		forget(sc, freed);
	}
	if (p) {
		sc->acc[S_ALLOC] += usable_size(p);
		keep(sc, p, size);
	} else if (size) {
		sc->acc[S_FAILED]++;
	}
}
