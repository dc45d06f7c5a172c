/* thread-counters.c - where the per-call counts go: every thread has its own
 * slot per site, written only by that thread with plain loads and stores (no
 * lock prefix, no cache line shared with another thread). A site's count is
 * its own counters plus every live thread's slot for it, summed by readers
 * under the registry lock. A thread's slots are added into its sites when it
 * exits; a reset subtracts what was counted so far from a site's own
 * counters (modulo 2^64), as the slots are not the reader's to clear.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "memstats-int.h"

__thread struct slots *slots_mine __attribute__((tls_model("initial-exec")));
__thread struct memstats_tls memstats_tls_ __attribute__((tls_model("initial-exec")));
int slots_inline;

/* What the callers' inline counting may use of t (see memstats.h). */
static void publish(struct slots *t)
{
	memstats_tls_.slot = t ? t->c : NULL;
	memstats_tls_.limit = t && slots_inline ? (unsigned int)(t->cap - 1) : 0;
}

/* This thread's calls go out of line for a while (a forked child's, until
 * its reporter runs), then inline again. */
void slots_inline_pause(void)
{
	publish(NULL);
}

void slots_inline_resume(void)
{
	publish(slots_mine);
}

static struct slots *all;        /* every thread's, under the registry lock */
static pthread_key_t exit_key;   /* its destructor folds a thread's slots */

/* Adds t's counts into their sites and forgets t. Registry held. */
static void fold(struct slots *t)
{
	for (unsigned int id = 1; id < t->cap; id++) {
		struct memstats_site *s = registry_site_of_id(id);

		if (s)
			counters_add(&s->c, &t->c[id]);
	}
	for (struct slots **p = &all; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	free(t->c);
	free(t);
}

static void thread_exit(void *arg)
{
	registry_hold();
	fold(arg);
	slots_mine = NULL; /* a later count in this thread starts anew */
	publish(NULL);
	registry_release();
}

void slots_init(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

/* The forked child has one thread: the others' slots are folded now. */
void slots_after_fork(void)
{
	struct slots *t = all, *next;

	for (; t; t = next) {
		next = t->next;
		if (t != slots_mine)
			fold(t);
	}
}

/* This thread's slot for s, making room for it first. NULL if out of memory
 * (the call is then not counted: the caller's allocation must not fail
 * because of us). */
struct memstats_counters *slot_slow(struct memstats_site *s)
{
	unsigned int id = site_id(s);
	struct slots *t = slots_mine;
	struct memstats_counters *grown;
	size_t cap;

	if (!id)
		return NULL;
	registry_hold(); /* after start-up: slots_inline is known */
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			goto out;
		t->next = all;
		all = t;
		slots_mine = t;
		pthread_setspecific(exit_key, t);
	}
	cap = t->cap ? t->cap : 64;
	while (cap <= id)
		cap *= 2;
	if (cap > t->cap) {
		/* a new array, published under the lock: readers never see it half copied */
		grown = calloc(cap, sizeof(*grown));
		if (!grown)
			goto out;
		if (t->c)
			memcpy(grown, t->c, t->cap * sizeof(*grown));
		free(t->c);
		t->c = grown;
		t->cap = cap;
		publish(t);
	}
out:
	registry_release();
	return t && id < t->cap ? &t->c[id] : NULL;
}

/* s's counts: its own plus every thread's slot. Registry held. */
void slots_total(const struct memstats_site *s, struct memstats_counters *out)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	memset(out, 0, sizeof(*out));
	counters_add(out, &s->c);
	for (struct slots *t = all; id && t; t = t->next)
		if (id < t->cap)
			counters_add(out, &t->c[id]);
}

/* From now on s counts from zero. Registry held. */
void slots_reset(struct memstats_site *s)
{
	struct memstats_counters now;

	slots_total(s, &now);
	s->c.calls -= now.calls;
	s->c.failed -= now.failed;
	s->c.bytes -= now.bytes;
	s->c.alloc_bytes -= now.alloc_bytes;
	s->c.free_bytes -= now.free_bytes;
}
