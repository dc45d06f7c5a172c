/* registry.c - the "memstats" sections of every instrumented object.
 *
 * Each file compiled with the header registers its object's
 * __start_memstats..__stop_memstats range from a constructor; many files make
 * one object, so ranges are deduped by start address. Walking a range steps
 * by sizeof(struct memstats_site) but checks the magic and, where a tool put
 * padding between records, moves on by the records' alignment instead.
 *
 * When an object is unloaded (dlclose), its sites are copied out, strings
 * included, and the copy is reported from then on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "memstats-int.h"

struct object {
	struct memstats_site *start, *stop;
	int retired;                      /* start..stop is our copy of an unloaded object's sites */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct object *objects;
static size_t nobjects, cap;

static struct memstats_site *next_site(struct memstats_site *s, struct memstats_site *stop)
{
	char *p = (char *)s;

	while (p < (char *)stop && ((struct memstats_site *)p)->magic != MEMSTATS_SITE_MAGIC)
		p += MEMSTATS_SITE_ALIGN;
	return (struct memstats_site *)p;
}

#define for_each_site(s, o) \
	for (struct memstats_site *s = next_site((o)->start, (o)->stop); s < (o)->stop; s = next_site(s + 1, (o)->stop))

void memstats__register(struct memstats_site *start, struct memstats_site *stop)
{
	runtime_init();
	if (!start || start >= stop)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nobjects; i++) {
		if (objects[i].start == start && !objects[i].retired)
			goto out;
	}
	if (nobjects == cap) {
		size_t ncap = cap ? 2 * cap : 16;
		struct object *o = realloc(objects, ncap * sizeof(*o));

		if (!o) {
			warnf_fd(2, "memstats: out of memory: the sites of one object will not be reported\n");
			goto out;
		}
		objects = o;
		cap = ncap;
	}
	objects[nobjects++] = (struct object){ start, stop, 0 };
out:
	pthread_mutex_unlock(&lock);
}

static char *dup_or_null(const char *s, int *fail)
{
	char *d = s ? strdup(s) : NULL;

	*fail |= s && !d;
	return d;
}

/* Replaces o's sites by a copy that owns its strings. On failure the object
 * is dropped: its sites are lost, but nothing points into unmapped memory. */
static void retire(struct object *o)
{
	size_t n = 0, i = 0;
	struct memstats_site *copy;
	int fail = 0;

	for_each_site(s, o)
		n++;
	copy = aligned_alloc(MEMSTATS_SITE_ALIGN, (n ? n : 1) * sizeof(*copy));
	for_each_site(s, o) {
		if (!copy)
			break;
		copy[i] = *s;
		copy[i].file = dup_or_null(s->file, &fail);
		copy[i].func = dup_or_null(s->func, &fail);
		copy[i].api = dup_or_null(s->api, &fail);
		copy[i].type = dup_or_null(s->type, &fail);
		i++;
	}
	if (!copy || fail) {
		warnf_fd(2, "memstats: out of memory: the sites of an unloaded object are lost\n");
		free(copy); /* the strings are few and small: not worth a cleanup path */
		*o = objects[--nobjects];
		return;
	}
	*o = (struct object){ copy, copy + n, 1 };
}

void memstats__unregister(struct memstats_site *start, struct memstats_site *stop)
{
	(void)stop;
	if (!start || runtime_exiting())
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nobjects; i++) {
		if (objects[i].start == start && !objects[i].retired) {
			retire(&objects[i]);
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

size_t registry_objects(void)
{
	pthread_mutex_lock(&lock);
	size_t n = nobjects;
	pthread_mutex_unlock(&lock);
	return n;
}

static void snapshot_site(struct memstats_row *r, const struct memstats_site *s)
{
	r->file = s->file;
	r->line = s->line;
	r->func = s->func;
	r->op = op_name(s->op);
	r->api = s->api;
	r->type = s->type;
	r->c.calls = counter_get(&s->c.calls);
	r->c.failed = counter_get(&s->c.failed);
	r->c.bytes = counter_get(&s->c.bytes);
	r->c.alloc_bytes = counter_get(&s->c.alloc_bytes);
	r->c.free_bytes = counter_get(&s->c.free_bytes);
}

ssize_t registry_snapshot(struct memstats_row **rows)
{
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nobjects; i++)
		for_each_site(s, &objects[i])
			n++;
	*rows = malloc((n ? n : 1) * sizeof(**rows));
	if (!*rows) {
		pthread_mutex_unlock(&lock);
		errno = ENOMEM;
		return -1;
	}
	n = 0;
	for (size_t i = 0; i < nobjects; i++)
		for_each_site(s, &objects[i])
			snapshot_site(&(*rows)[n++], s);
	pthread_mutex_unlock(&lock);
	return (ssize_t)n;
}

memstats_size_t memstats_foreach_site(int (*fn)(const struct memstats_row *row, void *arg), void *arg)
{
	struct memstats_row *rows;
	ssize_t n = registry_snapshot(&rows);
	size_t i;

	if (n < 0)
		return 0;
	/* fn runs outside the lock, on the snapshot, so it may take its time */
	for (i = 0; i < (size_t)n; i++) {
		if (fn(&rows[i], arg)) {
			i++;
			break;
		}
	}
	free(rows);
	return i;
}

/* Atomic stores, as the adds are atomic: an add racing with the reset lands
 * before or after it, and either is fine. */
static void counters_zero(struct memstats_counters *c)
{
	__atomic_store_n(&c->calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->failed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->alloc_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->free_bytes, 0, __ATOMIC_RELAXED);
}

void memstats_reset(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nobjects; i++)
		for_each_site(s, &objects[i])
			counters_zero(&s->c);
	pthread_mutex_unlock(&lock);
}
