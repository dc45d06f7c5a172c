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
 * every hit (a buffer may hold another name by now); the rest go through a
 * table read without a lock (entries are written once and published) and
 * added to under pool_lock.
 */
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

static __attribute__((noinline)) struct memstats_site *row_slow(struct pool_cache *hot, struct memstats_site *base,
								const char *name)
{
	uint64_t h = hash_of(base, name);
	struct named *n = find(base, name, h);

	if (!n) {
		pthread_mutex_lock(&pool_lock);
		if (!(n = find(base, name, h)))
			n = add(base, name, h);
		pthread_mutex_unlock(&pool_lock);
	}
	if (n && hot)
		*hot = (struct pool_cache){ base, name, &n->site };
	return n ? &n->site : NULL;
}

/* The row of site base for the pool called name; NULL if out of memory. */
static struct memstats_site *row_of(struct thread *t, struct memstats_site *base, const char *name)
{
	struct pool_cache *hot = NULL;

	if (t && (t->pools || (t->pools = calloc(POOL_CACHE, sizeof(*t->pools))))) {
		hot = &t->pools[((uintptr_t)base ^ (uintptr_t)name) / 8 % POOL_CACHE];
		if (hot->base == base && hot->name == name && !(relaxed_get(&hot->row->flags) & MEMSTATS_SITE_GONE) &&
		    strcmp(hot->row->type, name) == 0)
			return hot->row;
	}
	return row_slow(hot, base, name);
}

void memstats__pool(struct memstats_site *site, const char *name, memstats_size_t size, const void *ptr,
		    const void *ra)
{
	struct memstats_site *row;
	struct thread *t;

	if (site->op == MEMSTATS_OP_P_FREE && !ptr)
		return; /* as free(NULL): no call */
	runtime_enter();
	t = thread_get();
	row = row_of(t, site, name ? name : "(null)");
	if (row)
		count_pool(t, row, size, ptr, __builtin_return_address(0), ra);
}
