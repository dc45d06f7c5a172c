/* floor.c - the least exact live tracking can cost on this machine: the
 * tight loop's malloc+free pairs, plain, then with the smallest tracker
 * that still dates each block, written in line in the loop: one clock read
 * an allocation (the runtime's own clock_ticks()), one open-addressed
 * table of the live blocks, one count of them. No threads, sites, peaks, shares,
 * growth or calls into a library: what memstats does beyond this is what
 * its contract asks (per-site and per-thread counts, peaks, blocks freed by
 * other threads, a table that grows) and the calls from the inline path.
 *
 * Prints the median plain pair and, for the clock alone, the table alone
 * and both, the median and range of ROUNDS interleaved rounds' ratios (each
 * over the same round's plain run, as run.sh's ranges), and which clock
 * it read: the vDSO's, or glibc's where there is none (valgrind).
 * Usage: floor [ROUNDS] [PAIRS]   (built by make bench, linked with clock.o)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define TABLE (1u << 16)

struct entry {
	uintptr_t key;                   /* 0 empty, 1 gone */
	uint32_t size, born;
};

static struct entry table[TABLE];
static long live_blocks, live_bytes;
static void *volatile sink;

static size_t slot_of(uintptr_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 48);
}

static void put(void *p, size_t size, unsigned int born)
{
	size_t i = slot_of((uintptr_t)p);

	while (table[i].key > 1 && table[i].key != (uintptr_t)p)
		i = (i + 1) & (TABLE - 1);
	table[i] = (struct entry){ (uintptr_t)p, (uint32_t)size, born };
	live_blocks++;
	live_bytes += (long)size;
}

static void take(void *p)
{
	size_t i = slot_of((uintptr_t)p);

	while (table[i].key != (uintptr_t)p) {
		if (!table[i].key)
			return;
		i = (i + 1) & (TABLE - 1);
	}
	table[i].key = 1;
	live_blocks--;
	live_bytes -= table[i].size;
}

/* kind: bit 0 the clock, bit 1 the table */
static __attribute__((noinline)) void pairs(long n, int kind)
{
	for (long i = 0; i < n; i++) {
		size_t size = 16 + (size_t)(i & 31);
		void *p = malloc(size);
		unsigned int born = (kind & 1) ? clock_ticks() : 0;

		if (kind & 2)
			put(p, size, born);
		sink = p;
		if (kind & 2)
			take(p);
		free(p);
	}
}

static double seconds(long n, int kind)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	pairs(n, kind);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	long n = argc > 2 ? atol(argv[2]) : 20000000;
	double *t[4];
	const char *name[4] = { "plain", "clock", "table", "both" };

	if (rounds < 1 || n < 1) {
		fprintf(stderr, "usage: floor [ROUNDS] [PAIRS]\n");
		return 2;
	}
	for (int k = 0; k < 4; k++)
		if (!(t[k] = malloc((size_t)rounds * sizeof(*t[k])))) {
			perror("floor");
			return 1;
		}
	clock_init();
	pairs(n / 10, 3); /* warm-up */
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 4; k++)
			t[k][r] = seconds(n, k);
	for (int k = 3; k >= 0; k--) /* each round's ratio to its own plain run */
		for (int r = 0; r < rounds; r++)
			t[k][r] = k ? t[k][r] / t[0][r] : t[0][r] * 1e9 / (double)n;
	for (int k = 0; k < 4; k++)
		qsort(t[k], (size_t)rounds, sizeof(t[k][0]), by_value);
	printf("floor tight clock=%s plain=%.1fns", clock_coarse == clock_gettime ? "glibc" : "vdso", median(t[0], rounds));
	for (int k = 1; k < 4; k++)
		printf(" %s_ratio=%.2f (%.2f-%.2f)", name[k], median(t[k], rounds), t[k][0], t[k][rounds - 1]);
	printf(" (%ld live)\n", live_blocks);
	return 0;
}
