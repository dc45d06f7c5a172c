/* pool.c - a project's own allocator: memstats_pool_alloc() and
 * memstats_pool_free() (op p_alloc, p_free).
 *
 * One pool function serves many pools, so one macro site has a row per
 * pool name: a record of the runtime's (a "named" row), made at the first
 * call with that name, that copies the site's description with the name
 * (ours) as its type, and is listed under the site's object like a site
 * outside a section. From there it is a site like the others: numbered,
 * counted in the thread's slots, tracked, reset, copied out when its
 * object is unloaded (and taken back by the same row of its next life),
 * and counted at its callers when the site's function is a declared
 * wrapper (count.c's record_for()).
 *
 * Rows are found by the site and the name's text: a thread keeps the
 * rows it used last by (site, name pointer), checked against the text on
 * every hit (a buffer may hold another name by now) unless the name is in
 * read-only memory (a string literal: pool->name, mostly), which is told
 * once when the entry is made and holds until an object is unloaded; the
 * rest go through a table read without a lock (entries are written once
 * and published) and added to under pool_lock. A hit is counted here,
 * inline: it is a pool's hot path.
 */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct named {
	struct memstats_site site;        /* the row: the site's description, type = the name */
	const struct memstats_site *base; /* the macro site */
	uint64_t hash;
	struct named *next;               /* in its bucket */
};

/* A thread's last rows by (site, name pointer): POOL_CACHE of them. */
#define POOL_CACHE 32
struct pool_cache {
	const struct memstats_site *base;
	const char *name;
	struct memstats_site *row;
	unsigned int unloads;             /* registry_unloads when made */
	int constant;                     /* name is in read-only memory */
};

#define BUCKETS 1024
static struct named *buckets[BUCKETS]; /* read with acquire loads */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

void pool_fork_prepare(void)
{
	pthread_mutex_lock(&pool_lock);
}

void pool_fork_after(void)
{
	pthread_mutex_unlock(&pool_lock);
}

static uint64_t hash_of(const struct memstats_site *base, const char *name)
{
	uint64_t h = (uint64_t)(uintptr_t)base * 0x9e3779b97f4a7c15ull;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ull;
	return h;
}

static struct named *find(const struct memstats_site *base, const char *name, uint64_t h)
{
	for (struct named *n = __atomic_load_n(&buckets[h % BUCKETS], __ATOMIC_ACQUIRE); n; n = n->next)
		if (n->hash == h && n->base == base && !(relaxed_get(&n->site.flags) & MEMSTATS_SITE_GONE) &&
		    strcmp(n->site.type, name) == 0)
			return n;
	return NULL;
}

/* A new row of base for name, listed and numbered. pool_lock held. */
static struct named *add(struct memstats_site *base, const char *name, uint64_t h)
{
	struct named *n = calloc(1, sizeof(*n));
	char *copy = strdup(name);

	if (!n || !copy)
		goto fail;
	n->site = (struct memstats_site){ .magic = MEMSTATS_SITE_MAGIC, .line = base->line, .op = base->op,
					  .flags = MEMSTATS_SITE_NAMED, .file = base->file, .func = base->func,
					  .api = base->api, .type = copy };
	if (wrapper_named(base->func)) /* counted at its callers: count.c */
		n->site.flags |= MEMSTATS_SITE_WRAPPED;
	n->base = base;
	n->hash = h;
	if (registry_add_named(&n->site, base) < 0)
		goto fail;
	n->next = buckets[h % BUCKETS];
	__atomic_store_n(&buckets[h % BUCKETS], n, __ATOMIC_RELEASE);
	return n;
fail:
	free(copy);
	free(n);
	return NULL;
}

static inline size_t cache_slot(const struct memstats_site *base, const char *name)
{
	return ((uintptr_t)base ^ (uintptr_t)name) / 8 % POOL_CACHE;
}

struct where {
	uintptr_t addr;
	int read_only;
};

static int segment_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct where *w = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && w->addr >= lo && w->addr < lo + ph->p_memsz) {
			w->read_only = !(ph->p_flags & PF_W);
			return 1;
		}
	}
	return 0;
}

/* Whether the string at name lies in a loaded object's read-only segment
 * (and cannot hold another name later). */
static int read_only(const char *name)
{
	struct where w = { (uintptr_t)name, 0 };

	dl_iterate_phdr(segment_of, &w);
	return w.read_only && (w.addr = (uintptr_t)name + strlen(name), w.read_only = 0,
			       dl_iterate_phdr(segment_of, &w), w.read_only);
}

static __attribute__((noinline)) struct memstats_site *row_slow(struct thread *t, struct memstats_site *base,
								const char *name)
{
	uint64_t h = hash_of(base, name);
	struct named *n = find(base, name, h);
	unsigned int unloads = relaxed_get(&registry_unloads);

	if (!n) {
		pthread_mutex_lock(&pool_lock);
		if (!(n = find(base, name, h)))
			n = add(base, name, h);
		pthread_mutex_unlock(&pool_lock);
	}
	if (n && t && (t->pools || (t->pools = calloc(POOL_CACHE, sizeof(*t->pools)))))
		t->pools[cache_slot(base, name)] = (struct pool_cache){ base, name, &n->site, unloads, read_only(name) };
	return n ? &n->site : NULL;
}

static inline int same_text(const char *a, const char *b)
{
	while (*a == *b && *a)
		a++, b++;
	return *a == *b;
}

/* This thread's cache entry for site base and name, if it still holds
 * their row; else NULL. */
static inline const struct pool_cache *cached(const struct thread *t, const struct memstats_site *base,
					      const char *name)
{
	const struct pool_cache *hot = t && t->pools ? &t->pools[cache_slot(base, name)] : NULL;

	if (__builtin_expect(hot && hot->base == base && hot->name == name &&
			     hot->unloads == relaxed_get(&registry_unloads) &&
			     (hot->constant || same_text(hot->row->type, name)), 1))
		return hot;
	return NULL;
}

/* The row of site base for the pool called name; NULL if out of memory. */
static inline struct memstats_site *row_of(struct thread *t, struct memstats_site *base, const char *name)
{
	const struct pool_cache *hot = cached(t, base, name);

	return hot ? hot->row : row_slow(t, base, name);
}

/* One operation's counts: size is the object's bytes, as given. */
static inline void add_counts(struct memstats_counters *c, int alloc, memstats_u64 size, const void *ptr)
{
	relaxed_add(&c->calls, 1);
	if (!alloc)
		relaxed_add(&c->free_bytes, size);
	else if (relaxed_add(&c->bytes, size), ptr)
		relaxed_add(&c->alloc_bytes, size);
	else
		relaxed_add(&c->failed, 1);
}

/* One pool operation at row d; a pool object is tracked apart from the
 * heap's blocks. */
static inline void count_at(struct thread *t, struct memstats_site *d, memstats_u64 size, const void *ptr,
			    const void *pc, const void *ra)
{
	/* a row knows from its making whether its site is in a wrapper */
	struct memstats_site *r = __builtin_expect(!(relaxed_get(&d->flags) & MEMSTATS_SITE_WRAPPED), 1)
					  ? d : count_record(t, d, pc, ra);
	struct memstats_counters *c = r ? counters_slot(&t->slots, r) : NULL;
	int alloc = d->op == MEMSTATS_OP_P_ALLOC;

	if (c)
		add_counts(c, alloc, size, ptr);
	if (__builtin_expect(!track_on, 1) || !ptr || !r)
		return;
	if (alloc)
		track_pool_alloc(&t->tracker, r, ptr, size);
	else
		track_pool_free(&t->tracker, ptr);
}

/* The whole way: start-up, the thread's state, the row's lookup or
 * making, a wrapped row's caller, tracking. */
static __attribute__((noinline)) void pool_slow(struct memstats_site *site, const char *name, memstats_u64 size,
						const void *ptr, const void *pc, const void *ra)
{
	struct memstats_site *row;
	struct thread *t;

	runtime_enter();
	if (!(t = thread_get()))
		return;
	row = row_of(t, site, name);
	if (row)
		count_at(t, row, size, ptr, pc, ra);
}

/* A pool's hot path: a row this thread used last for this site and name,
 * not in a wrapper, not tracked, with a slot: a leaf that adds to the
 * slot. Anything else is pool_slow()'s. */
void memstats__pool(struct memstats_site *site, const char *name, memstats_size_t size, const void *ptr,
		    const void *ra)
{
	struct thread *t = thread_mine;
	const struct pool_cache *hot;
	unsigned int id;

	if (site->op == MEMSTATS_OP_P_FREE && !ptr)
		return; /* as free(NULL): no call */
	if (!name)
		name = "(null)";
	if (__builtin_expect(track_on, 0) || !(hot = cached(t, site, name)))
		goto slow;
	id = relaxed_get(&hot->row->id);
	if (__builtin_expect((relaxed_get(&hot->row->flags) & MEMSTATS_SITE_WRAPPED) || !id || id >= t->slots.cap, 0))
		goto slow;
	add_counts(&t->slots.c[id], site->op == MEMSTATS_OP_P_ALLOC, size, ptr);
	return;
slow:
	pool_slow(site, name, size, ptr, __builtin_return_address(0), ra);
}
