/* live-table.c - live blocks by address: open addressing, linear probing.
 *
 * A table has one owner, which adds and removes entries without a lock.
 * Other threads may, under the registry lock, find an entry and mark it
 * gone (a free on another thread); the owner rebuilds only under that lock.
 * This is safe because a slot goes empty -> live -> gone -> live, never back
 * to empty but by a rebuild, so a probe for a live key always reaches it;
 * and the entry of a live block is written by no thread but the one freeing
 * the block. A live entry's id is stored last (release) and read before its
 * other fields (acquire); a gone entry keeps its block's address, with id 0.
 *
 * The probes (live_put, live_take) are in internal.h, inline: they are the
 * tracked calls' path (track.c); rebuilding and walking are here.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

/* Adds v, which must be new to the table's fresh array e. */
static void put_fresh(struct live_table *t, const struct live *v)
{
	size_t i = live_first_slot(t, v->key);

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
	t->mask = t->used = t->room = 0;
}

/* Walks the entries itself, not with live_each(): a call per entry made a
 * hash map's run 2.5 % slower in instructions. */
int live_rebuild(struct live_table *t)
{
	struct live_table n = { NULL, 255, 0, 64 - 8, 0 };
	size_t live = 0;

	for (size_t i = 0; t->e && i <= t->mask; i++)
		live += live_id_at(&t->e[i]) != 0;
	while ((live + 1) * 2 > n.mask + 1) { /* at most half full afterwards */
		n.mask = 2 * n.mask + 1;
		n.shift--;
	}
	n.e = array_new(n.mask + 1);
	if (!n.e)
		return -1;
	n.room = (n.mask + 1) / 4 * 3;
	for (size_t i = 0; t->e && i <= t->mask; i++) {
		unsigned int id = live_id_at(&t->e[i]);
		struct live v;

		if (id) {
			live_load(&t->e[i], live_key_at(&t->e[i]), id, &v);
			put_fresh(&n, &v);
		}
	}
	live_free(t);
	*t = n;
	return 0;
}

void live_each(const struct live_table *t, void (*fn)(const struct live *v, void *arg), void *arg)
{
	for (size_t i = 0; t->e && i <= t->mask; i++) {
		unsigned int id = live_id_at(&t->e[i]);
		struct live v;

		if (id) {
			live_load(&t->e[i], live_key_at(&t->e[i]), id, &v);
			fn(&v, arg);
		}
	}
}
