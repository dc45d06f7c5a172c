/* counters.c - where the per-call counts go: every thread has its own slot
 * per site number (struct slots, in its state: thread.c), written only by
 * that thread with plain loads and stores (no lock prefix, no cache line
 * shared with another thread). A site's count is its own counters plus
 * every thread's slot for it, summed by readers under the registry lock. A
 * thread's slots are added into its sites when it exits; a reset subtracts
 * what was counted so far from a site's own counters (modulo 2^64), as the
 * slots are not the reader's to clear.
 *
 * The callers' inline counting (memstats/sites.h) writes the same slots,
 * found through memstats_tls_, and so does the preload library, through
 * memstats__callers_tls: counters_publish() keeps both in step.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

__thread struct memstats_tls memstats_tls_ __attribute__((tls_model("initial-exec"), visibility("default")));
int counters_inline_ok, counters_callers_ok;

int counters_all_out;
const unsigned short *counters_sample_map;

void counters_publish(struct slots *sl)
{
	unsigned int limit = sl && sl->cap ? (unsigned int)(sl->cap - 1) : 0;
	/* fault injection and an open scope see every call (fail.c, scope.c) */
	int out = relaxed_get(&counters_all_out) || (sl && sl->all_out);

	if (sl) {
		sl->tls = &memstats_tls_;
		sl->ctls = &memstats__callers_tls;
	}
	memstats_tls_.slot = sl ? sl->c : NULL;
	memstats_tls_.limit = relaxed_get(&counters_inline_ok) && !out ? limit : 0;
	memstats_tls_.sample_map = counters_sample_map;
	memstats__callers_tls.slot = sl ? sl->c : NULL;
	memstats__callers_tls.limit = relaxed_get(&counters_callers_ok) && !out ? limit : 0;
}

/* Another thread's limits are written while it may read them: relaxed
 * stores, which it sees at its next call (or the one after). */
void counters_route_all_out(void)
{
	__atomic_store_n(&counters_all_out, 1, __ATOMIC_RELAXED);
	registry_lock();
	for (struct thread *t = registry_threads; t; t = t->next) {
		if (t->slots.tls) {
			__atomic_store_n(&t->slots.tls->limit, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&t->slots.ctls->limit, 0, __ATOMIC_RELAXED);
		}
	}
	registry_unlock();
}

/* Room in sl for number id: a new array, published under the lock, so
 * readers never see it half copied. */
static __attribute__((noinline)) struct memstats_counters *slots_grow(struct slots *sl, unsigned int id)
{
	struct memstats_counters *grown;
	size_t cap = sl->cap ? sl->cap : 64;

	while (cap <= id)
		cap *= 2;
	grown = calloc(cap, sizeof(*grown));
	if (!grown)
		return NULL;
	registry_lock();
	if (sl->c)
		memcpy(grown, sl->c, sl->cap * sizeof(*grown));
	free(sl->c);
	sl->c = grown;
	sl->cap = cap;
	counters_publish(sl);
	registry_unlock();
	return &sl->c[id];
}

/* The slot of a site with no number yet, or past this thread's slots. */
struct memstats_counters *counters_slot_slow(struct slots *sl, struct memstats_site *s)
{
	unsigned int id = site_id(s);

	if (!id)
		return NULL;
	return id < sl->cap ? &sl->c[id] : slots_grow(sl, id);
}

void counters_fold(struct slots *sl)
{
	for (unsigned int id = 1; id < sl->cap; id++) {
		struct memstats_site *s = registry_site_of_id(id);

		if (s)
			counters_add(&s->c, &sl->c[id]);
	}
	free(sl->c);
	sl->c = NULL;
	sl->cap = 0;
}

void counters_total(const struct memstats_site *s, struct memstats_counters *out)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	memset(out, 0, sizeof(*out));
	counters_add(out, &s->c);
	for (struct thread *t = registry_threads; id && t; t = t->next)
		if (id < t->slots.cap)
			counters_add(out, &t->slots.c[id]);
}

void counters_reset(struct memstats_site *s)
{
	struct memstats_counters now;

	counters_total(s, &now);
	counters_sub(&s->c, &now);
}
