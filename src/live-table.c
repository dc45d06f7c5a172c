/* live-table.c - live blocks by address: open addressing, linear probing.
 *
 * A table has one owner, which adds and removes entries without a lock.
 * Other threads may, under the registry lock, find an entry and mark it
 * gone (a free on another thread); the owner rebuilds only under that lock.
 * This is safe because a slot goes empty -> used -> gone -> used, never back
 * to empty but by a rebuild, so a probe for a live key always reaches it;
 * and the entry of a live block is written by no thread but the one freeing
 * the block. Keys are stored last (release) and read first (acquire).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

static uintptr_t key_at(const struct live *e)
{
	return __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
}

/* Blocks of one 4 KiB page map to one run of 256 slots, in address order,
 * at a place the page number picks (Fibonacci hashing): blocks allocated
 * one after the other land in neighbouring slots, so a table of millions of
 * blocks is walked a cache line at a time, not a miss per block. */
static size_t first_slot(const struct live_table *t, uintptr_t key)
{
	size_t run = (size_t)(((uint64_t)(key >> 12) * 0x9e3779b97f4a7c15ull) >> t->shift) & ~(size_t)0xff;

	return run | (size_t)((key >> 4) & 0xff);
}

static void store(struct live *e, const struct live *v)
{
	__atomic_store_n(&e->size, v->size, __ATOMIC_RELAXED);
	__atomic_store_n(&e->id, v->id, __ATOMIC_RELAXED);
	__atomic_store_n(&e->born, v->born, __ATOMIC_RELAXED);
	__atomic_store_n(&e->key, v->key, __ATOMIC_RELEASE);
}

static void load(const struct live *e, uintptr_t key, struct live *out)
{
	out->key = key;
	out->size = __atomic_load_n(&e->size, __ATOMIC_RELAXED);
	out->id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);
	out->born = __atomic_load_n(&e->born, __ATOMIC_RELAXED);
}

/* Adds v, which must be new to the table's fresh array e. */
static void put_fresh(struct live_table *t, const struct live *v)
{
	size_t i = first_slot(t, v->key);

	while (t->e[i].key != LIVE_EMPTY)
		i = (i + 1) & t->mask;
	t->e[i] = *v;
	t->used++;
}

/* Arrays straight from the kernel: a table of millions of blocks must not
 * change how malloc serves the program (its heap, its mmap threshold). */
static struct live *array_new(size_t n)
{
	void *p = mmap(NULL, n * sizeof(struct live), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void live_free(struct live_table *t)
{
	if (t->e)
		munmap(t->e, (t->mask + 1) * sizeof(*t->e));
	t->e = NULL;
	t->mask = t->used = 0;
}

int live_rebuild(struct live_table *t)
{
	struct live_table n = { NULL, 255, 0, 64 - 8 };
	size_t live = 0;

	for (size_t i = 0; t->e && i <= t->mask; i++)
		live += key_at(&t->e[i]) > LIVE_GONE;
	while ((live + 1) * 2 > n.mask + 1) { /* at most half full afterwards */
		n.mask = 2 * n.mask + 1;
		n.shift--;
	}
	n.e = array_new(n.mask + 1);
	if (!n.e)
		return -1;
	for (size_t i = 0; t->e && i <= t->mask; i++) {
		uintptr_t key = key_at(&t->e[i]);
		struct live v;

		if (key > LIVE_GONE) {
			load(&t->e[i], key, &v);
			put_fresh(&n, &v);
		}
	}
	live_free(t);
	*t = n;
	return 0;
}

int live_put(struct live_table *t, const struct live *v, struct live *stale)
{
	size_t i = first_slot(t, v->key), slot = SIZE_MAX;
	int replaced = 0;

	for (;; i = (i + 1) & t->mask) {
		uintptr_t key = key_at(&t->e[i]);

		if (key == v->key) { /* its block was freed where we could not see */
			load(&t->e[i], key, stale);
			slot = i;
			replaced = 1;
			break;
		}
		if (key == LIVE_GONE && slot == SIZE_MAX)
			slot = i;
		if (key == LIVE_EMPTY) {
			if (slot == SIZE_MAX) {
				slot = i;
				t->used++;
			}
			break;
		}
	}
	store(&t->e[slot], v);
	return replaced;
}

int live_take(struct live_table *t, uintptr_t key, struct live *out)
{
	if (!t->e)
		return 0;
	for (size_t i = first_slot(t, key);; i = (i + 1) & t->mask) {
		uintptr_t k = key_at(&t->e[i]);

		if (k == key) {
			load(&t->e[i], k, out);
			__atomic_store_n(&t->e[i].key, (uintptr_t)LIVE_GONE, __ATOMIC_RELEASE);
			return 1;
		}
		if (k == LIVE_EMPTY)
			return 0;
	}
}

void live_each(const struct live_table *t, void (*fn)(const struct live *v, void *arg), void *arg)
{
	for (size_t i = 0; t->e && i <= t->mask; i++) {
		uintptr_t key = key_at(&t->e[i]);
		struct live v;

		if (key > LIVE_GONE) {
			load(&t->e[i], key, &v);
			fn(&v, arg);
		}
	}
}
