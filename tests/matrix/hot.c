/* hot.c - the matrix's C program: threads on one hot site, nested calls,
 * members named like the API; it checks its own counts and exits non-zero
 * when one is wrong, so any build of it is a test. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counters { int free; int malloc; }; /* members named like the API */

#define THREADS 2
#define ROUNDS 50000

enum { L_HOT = __LINE__ + 4 };
static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		char *p = malloc(16 + (size_t)(i & 7));
		p[0] = 1;
		free(p);
	}
	return arg;
}

struct expect { unsigned line; const char *api; unsigned long long calls, live_blocks, live_bytes; int rows; };

static int check(const struct memstats_row *r, void *arg)
{
	struct expect *e = arg;

	if (r->line == e->line && strcmp(r->api, e->api) == 0 && strstr(r->file, "hot.c")) {
		e->rows++;
		e->calls = r->c.calls;
		e->live_blocks = r->live.blocks;
		e->live_bytes = r->live.bytes;
	}
	return 0;
}

/* live_bytes: what must be live with MEMSTATS_TRACK=1 (blocks: 1 if any) */
static int expect(unsigned line, const char *api, unsigned long long calls, unsigned long long live_bytes)
{
	struct expect e = { line, api, 0, 0, 0, 0 };
	const char *track = getenv("MEMSTATS_TRACK");
	int tracked = track && strcmp(track, "1") == 0;
	unsigned long long blocks = tracked && live_bytes ? 1 : 0;

	live_bytes = tracked ? live_bytes : 0;
	memstats_foreach_site(check, &e);
	if (e.rows == 1 && e.calls == calls && e.live_blocks == blocks && e.live_bytes == live_bytes)
		return 0;
	fprintf(stderr, "hot.c:%u %s: %d rows, %llu calls, %llu live blocks, %llu live bytes; "
		"expected 1 row, %llu calls, %llu, %llu\n", line, api, e.rows, e.calls, e.live_blocks, e.live_bytes,
		calls, blocks, live_bytes);
	return 1;
}

int main(void)
{
	struct counters c = { .free = 3, .malloc = 4 };
	pthread_t t[THREADS];
	int bad = 0;

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *d = strdup("x"); enum { L_DUP = __LINE__ };
	free(malloc(3)); enum { L_NESTED = __LINE__ };
	char *kept = calloc(10, 10); enum { L_KEPT = __LINE__ };
	bad |= expect(L_DUP, "strdup", 1, 2);
	(free)(d); /* uncounted, so d stays live for tracking */
	bad |= expect(L_HOT, "malloc", (unsigned long long)THREADS * ROUNDS, 0);
	bad |= expect(L_HOT + 2, "free", (unsigned long long)THREADS * ROUNDS, 0);
	bad |= expect(L_NESTED, "malloc", 1, 0);
	bad |= expect(L_NESTED, "free", 1, 0);
	bad |= expect(L_KEPT, "calloc", 1, 100);
	free(kept);
	bad |= expect(L_KEPT, "calloc", 1, 0);
	return bad || c.free + c.malloc != 7;
}
