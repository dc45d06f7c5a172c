/* bench.c - allocation workloads, built three ways from this one source
 * (plain, with memstats, with the atomic baseline) by `make bench`.
 *   bench WORKLOAD   runs it once and prints the seconds its loop took
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *volatile sink; /* keeps the compiler from removing pairs */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* tight: small malloc/free pairs, one thread */
static void tight(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(16 + (size_t)(i & 31));
		sink = p;
		free(p);
	}
}

/* wrapped: the same pairs through a project's wrappers (out of line, as
 * in another file); with memstats, MEMSTATS_WRAPPERS=bench_xmalloc,bench_xfree
 * counts them at this loop's line. */
__attribute__((noinline)) void *bench_xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) void bench_xfree(void *p)
{
	free(p);
	__asm__ __volatile__(""); /* a call, as a wrapper elsewhere would make */
}

static void wrapped(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = bench_xmalloc(16 + (size_t)(i & 31));
		sink = p;
		bench_xfree(p);
	}
}

/* pool: a free-list pool's hits (no malloc once warm), as a server's pool
 * of buffers: with memstats its get and put say memstats_pool_alloc and
 * memstats_pool_free; the plain build has them as nothing. */
#ifndef memstats_pool_alloc
#define memstats_pool_alloc(name, size, ptr) ((void)(name), (void)(size), (void)(ptr))
#define memstats_pool_free(name, size, ptr) ((void)(name), (void)(size), (void)(ptr))
#endif
struct bench_pool {
	const char *name;
	size_t size;
	void *free_list;
};

__attribute__((noinline)) void *bench_pool_get(struct bench_pool *p)
{
	void *o = p->free_list;

	if (o)
		p->free_list = *(void **)o;
	else if (!(o = malloc(p->size)))
		abort();
	memstats_pool_alloc(p->name, p->size, o);
	return o;
}

__attribute__((noinline)) void bench_pool_put(struct bench_pool *p, void *o)
{
	memstats_pool_free(p->name, p->size, o);
	*(void **)o = p->free_list;
	p->free_list = o;
}

static void pool(long n)
{
	static struct bench_pool buffers = { "buffer", 64, NULL };
	void *o[4];

	for (long i = 0; i < n; i++) {
		for (int k = 0; k < 4; k++)
			o[k] = bench_pool_get(&buffers);
		sink = o[i & 3];
		for (int k = 0; k < 4; k++)
			bench_pool_put(&buffers, o[k]);
	}
}

/* ring: 1024 live blocks of 16..4096 bytes, each replaced in turn */
static void ring(long n)
{
	static void *slot[1024];
	uint32_t s = 42;

	for (long i = 0; i < n; i++) {
		size_t k = (size_t)i & 1023;
		free(slot[k]);
		slot[k] = malloc(16 + rnd(&s) % 4081);
	}
	for (size_t k = 0; k < 1024; k++) {
		free(slot[k]);
		slot[k] = NULL;
	}
}

/* threads: two threads on the same call sites */
static void *tight_thread(void *arg)
{
	tight(*(long *)arg);
	return NULL;
}

static void threads(long n)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, tight_thread, &n);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

/* realistic: a hash map of 1e6 strdup'd keys, looked up, torn down */
struct entry {
	char *key;
	long value;
	struct entry *next;
};

static void realistic(long n)
{
	size_t nb = 1 << 20;
	struct entry **tab = calloc(nb, sizeof(*tab));
	char key[32];
	long found = 0;

	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "key-%ld-%lx", i, i * 2654435761UL);
		size_t h = 0;
		for (const char *c = key; *c; c++)
			h = h * 31 + (unsigned char)*c;
		struct entry *e = malloc(sizeof(*e));
		e->key = strdup(key);
		e->value = i;
		e->next = tab[h & (nb - 1)];
		tab[h & (nb - 1)] = e;
	}
	for (long i = 0; i < n; i += 3) {
		snprintf(key, sizeof(key), "key-%ld-%lx", i, i * 2654435761UL);
		size_t h = 0;
		for (const char *c = key; *c; c++)
			h = h * 31 + (unsigned char)*c;
		for (struct entry *e = tab[h & (nb - 1)]; e; e = e->next)
			found += strcmp(e->key, key) == 0;
	}
	for (size_t b = 0; b < nb; b++) {
		for (struct entry *e = tab[b], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(tab);
	sink = (void *)found;
}

/* realloc: vectors grown one element at a time, by realloc each time */
static void grow(long n)
{
	for (long v = 0; v < n; v++) {
		int *vec = NULL;
		for (int i = 1; i <= 256; i++) {
			vec = realloc(vec, (size_t)i * sizeof(*vec));
			vec[i - 1] = i;
		}
		sink = vec;
		free(vec);
	}
}

static const struct {
	const char *name;
	void (*run)(long n);
	long n;
} workloads[] = {
	{ "tight", tight, 60000000 },
	{ "wrapped", wrapped, 60000000 },
	{ "ring", ring, 6000000 },
	{ "threads", threads, 30000000 },
	{ "realistic", realistic, 1000000 },
	{ "realloc", grow, 300000 },
	{ "pool", pool, 15000000 },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; (argc == 2 || argc == 3) && i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (strcmp(argv[1], workloads[i].name) == 0) {
			long n = argc == 3 ? atol(argv[2]) : workloads[i].n;
			double t0 = now();

			workloads[i].run(n);
			printf("%.4f\n", now() - t0);
			return 0;
		}
	}
	fprintf(stderr, "usage: %s tight|wrapped|ring|threads|realistic|realloc|pool [ITERATIONS]\n", argv[0]);
	return 2;
}
