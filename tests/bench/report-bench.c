/* report-bench.c - the time to write a report of N sites (default 100000),
 * each counted once, in each format; the median of 5 runs per format.
 * The sites are records of our own, listed by the runtime at their first
 * call as C++ sites are: the same rows a program with N call sites has.
 *   report-bench [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memstats.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "text", "json", "csv" };
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	struct memstats_site *sites = aligned_alloc(MEMSTATS_SITE_ALIGN, n * sizeof(*sites));
	char path[] = "/tmp/memstats-report-bench.XXXXXX";
	int fd = mkstemp(path);

	if (!sites || fd < 0)
		return 1;
	unlink(path);
	memset(sites, 0, n * sizeof(*sites));
	for (size_t i = 0; i < n; i++) {
		sites[i] = (struct memstats_site){ .magic = MEMSTATS_SITE_MAGIC, .line = (unsigned int)i + 1,
						   .op = MEMSTATS_OP_MALLOC, .file = "src/generated.c",
						   .func = "handler", .api = "malloc" };
		memstats_free(&sites[i], memstats_malloc(&sites[i], 16 + i % 100, NULL), NULL);
	}
	printf("report sites=%zu", n);
	for (int f = 0; f < 3; f++) {
		const struct memstats_options opt = { .format = (enum memstats_format)f };
		double t[5];

		for (int r = 0; r < 5; r++) {
			if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
				return 1;
			t[r] = now();
			if (memstats_dump_fd(fd, &opt) != 0)
				return 1;
			t[r] = now() - t[r];
		}
		qsort(t, 5, sizeof(t[0]), cmp);
		printf(" %s=%.1fms", names[f], t[2] * 1e3);
	}
	printf(" (%ld bytes of CSV)\n", (long)lseek(fd, 0, SEEK_END));
	return 0;
}
