/* test_track.c - live tracking: the table of live blocks, age buckets, and
 * the runtime's per-site live counts driven through memstats_malloc(, NULL) & co.
 * with sites of our own and a clock the tests move on (track_clock_skew).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

/* ---- the table ------------------------------------------------------- */

static struct live entry(uintptr_t key, memstats_u64 size, unsigned int id)
{
	return (struct live){ key, size, id, 7 };
}

static void put(struct live_table *t, uintptr_t key, memstats_u64 size, unsigned int id)
{
	struct live v = entry(key, size, id), stale;

	if (live_full(t))
		ck_assert_int_eq(live_rebuild(t), 0);
	ck_assert_int_eq(live_put(t, &v, &stale), 0);
}

START_TEST(test_table_put_take)
{
	struct live_table t = { 0 };
	struct live out;

	ck_assert_int_eq(live_take(&t, 0x1000, &out), 0); /* empty, no array yet */
	put(&t, 0x1000, 10, 3);
	put(&t, 0x2000, 20, 4);
	ck_assert_int_eq(live_take(&t, 0x3000, &out), 0);
	ck_assert_int_eq(live_take(&t, 0x2000, &out), 1);
	ck_assert_uint_eq(out.size, 20);
	ck_assert_uint_eq(out.id, 4);
	ck_assert_uint_eq(out.born, 7);
	ck_assert_int_eq(live_take(&t, 0x2000, &out), 0); /* once only */
	ck_assert_int_eq(live_take(&t, 0x1000, &out), 1);
	ck_assert_uint_eq(out.id, 3);
	live_free(&t);
}
END_TEST

/* A block freed where we could not see, its address handed out again: the
 * new entry replaces the stale one, which is handed back. */
START_TEST(test_table_stale_entry_replaced)
{
	struct live_table t = { 0 };
	struct live v = entry(0x1000, 99, 9), stale, out;

	put(&t, 0x1000, 10, 3);
	ck_assert_int_eq(live_put(&t, &v, &stale), 1);
	ck_assert_uint_eq(stale.size, 10);
	ck_assert_uint_eq(stale.id, 3);
	ck_assert_int_eq(live_take(&t, 0x1000, &out), 1);
	ck_assert_uint_eq(out.size, 99);
	ck_assert_int_eq(live_take(&t, 0x1000, &out), 0);
	live_free(&t);
}
END_TEST

/* Gone entries keep their address: a put stops at its own gone entry, and
 * still finds a live entry for its address that lies past another's gone
 * one (here in neighbouring slots: one page, 16 bytes apart). */
START_TEST(test_table_gone_entries)
{
	struct live_table t = { 0 };
	struct live v = entry(0x1010, 77, 8), stale, out;

	put(&t, 0x1000, 10, 3);
	put(&t, 0x1010, 20, 4);
	ck_assert_int_eq(live_take(&t, 0x1000, &out), 1);
	ck_assert_int_eq(live_put(&t, &v, &stale), 1); /* past 0x1000's gone entry */
	ck_assert_uint_eq(stale.size, 20);
	ck_assert_int_eq(live_take(&t, 0x1000, &out), 0);
	put(&t, 0x1000, 30, 5); /* its own gone entry again */
	ck_assert_uint_eq(t.used, 2);
	ck_assert_int_eq(live_take(&t, 0x1000, &out), 1);
	ck_assert_uint_eq(out.size, 30);
	ck_assert_int_eq(live_take(&t, 0x1010, &out), 1);
	ck_assert_uint_eq(out.size, 77);
	ck_assert_uint_eq(out.id, 8);
	ck_assert_int_eq(live_take(&t, 0x1010, &out), 0);
	live_free(&t);
}
END_TEST

/* Another thread's take (the free of a block from elsewhere) meets a gone
 * entry of that block's address, which the owner is giving to another
 * block: it must find nothing, never the other block's entry. Each round,
 * the owner leaves 0x2000's gone entry in the slot it shares with 0x1000,
 * lets the other thread look for 0x2000, and puts 0x1000 there meanwhile.
 * A race: without the key read again after the id, it failed in two runs
 * of three here; it cannot fail with it. */
static struct live_table shared_table;
static unsigned long round_go, round_done;

static void *take_gone(void *arg)
{
	long *wrong = arg;
	struct live out;

	for (unsigned long r = 1; r <= 2000000; r++) {
		while (__atomic_load_n(&round_go, __ATOMIC_ACQUIRE) != r)
			;
		*wrong += live_take(&shared_table, 0x2000, &out);
		__atomic_store_n(&round_done, r, __ATOMIC_RELEASE);
	}
	return NULL;
}

START_TEST(test_table_take_from_another_thread)
{
	struct live a = entry(0x1000, 1, 1), b = entry(0x2000, 2, 2), stale, out;
	long wrong = 0;
	pthread_t t;

	ck_assert_int_eq(live_rebuild(&shared_table), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, take_gone, &wrong), 0);
	for (unsigned long r = 1; r <= 2000000; r++) {
		live_put(&shared_table, &b, &stale);
		live_take(&shared_table, 0x2000, &out); /* 0x2000 gone, its address kept */
		__atomic_store_n(&round_go, r, __ATOMIC_RELEASE);
		live_put(&shared_table, &a, &stale); /* into that gone slot */
		while (__atomic_load_n(&round_done, __ATOMIC_ACQUIRE) != r)
			;
		ck_assert_int_eq(live_take(&shared_table, 0x1000, &out), 1);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(wrong, 0);
	live_free(&shared_table);
}
END_TEST

static void count_each(const struct live *v, void *arg)
{
	((memstats_u64 *)arg)[0]++;
	((memstats_u64 *)arg)[1] += v->size;
}

/* Many blocks, in and out in another order, across rebuilds: each found
 * once, with its own data; gone slots are reused, so churn does not grow
 * the table. */
START_TEST(test_table_many_and_churn)
{
	enum { N = 20000 };
	struct live_table t = { 0 };
	struct live out;
	memstats_u64 seen[2] = { 0, 0 };
	size_t cap;

	for (uintptr_t i = 1; i <= N; i++)
		put(&t, i * 16, i, (unsigned int)i);
	live_each(&t, count_each, seen);
	ck_assert_uint_eq(seen[0], N);
	ck_assert_uint_eq(seen[1], (memstats_u64)N * (N + 1) / 2);
	for (uintptr_t i = N; i >= 1; i -= 2) { /* every other one, backwards */
		ck_assert_int_eq(live_take(&t, i * 16, &out), 1);
		ck_assert_uint_eq(out.size, i);
		ck_assert_uint_eq(out.id, i);
	}
	cap = t.mask + 1;
	for (uintptr_t round = 0; round < 50; round++) {
		for (uintptr_t i = 0; i < 1000; i++)
			put(&t, (1000000 + round * 1000 + i) * 16, 1, 1);
		for (uintptr_t i = 0; i < 1000; i++)
			ck_assert_int_eq(live_take(&t, (1000000 + round * 1000 + i) * 16, &out), 1);
	}
	ck_assert_uint_le(t.mask + 1, 2 * cap);
	for (uintptr_t i = 1; i <= N; i++)
		ck_assert_int_eq(live_take(&t, i * 16, &out), (int)(i % 2));
	live_free(&t);
}
END_TEST

START_TEST(test_age_buckets)
{
	const unsigned int s = track_ticks_per_s();

	ck_assert_int_eq(track_age_bucket(0), 0);
	ck_assert_int_eq(track_age_bucket(s - 1), 0);
	ck_assert_int_eq(track_age_bucket(s), 1);
	ck_assert_int_eq(track_age_bucket(10 * s - 1), 1);
	ck_assert_int_eq(track_age_bucket(10 * s), 2);
	ck_assert_int_eq(track_age_bucket(100 * s - 1), 2);
	ck_assert_int_eq(track_age_bucket(100 * s), 3);
	ck_assert_int_eq(track_age_bucket(1000 * s - 1), 3);
	ck_assert_int_eq(track_age_bucket(1000 * s), 4);
	ck_assert_int_eq(track_age_bucket(4000000000u), 4);
}
END_TEST

/* ---- the runtime, with sites of our own -------------------------------- */

#define SITE(l, o, a) { MEMSTATS_SITE_MAGIC, (l), MEMSTATS_OP_##o, 0, 0, 0, "unit.c", "fn", (a), NULL, { 0, 0, 0, 0, 0 } }

static struct memstats_site s_malloc = SITE(1, MALLOC, "malloc");
static struct memstats_site s_calloc = SITE(2, CALLOC, "calloc");
static struct memstats_site s_realloc = SITE(3, REALLOC, "realloc");
static struct memstats_site s_free = SITE(4, FREE, "free");
static struct memstats_site s_strdup = SITE(5, STRDUP, "strdup");
static struct memstats_site s_thread = SITE(6, MALLOC, "malloc");
static struct memstats_site s_exit = SITE(7, MALLOC, "malloc");
static struct memstats_site s_big = SITE(8, MALLOC, "malloc");

static void tracking(void)
{
	setenv("MEMSTATS_OUTPUT", "off", 1); /* no report at the test's exit */
	runtime_enter();
	track_init(0);
}

/* The live data of the site at line. */
static struct memstats_live live_at(unsigned int line)
{
	struct memstats_row *rows;
	char *strings;
	struct memstats_live l;
	ssize_t n = snapshot_take(&rows, &strings);
	int found = 0;

	ck_assert_int_ge(n, 0);
	for (ssize_t i = 0; i < n; i++) {
		if (rows[i].line == line && strcmp(rows[i].file, "unit.c") == 0) {
			l = rows[i].live;
			found++;
		}
	}
	free(strings);
	free(rows);
	ck_assert_int_eq(found, 1);
	return l;
}

/* A site's live blocks, bytes and peak, exactly. */
#define ck_assert_live(l, blocks_, bytes_, peak_)            \
	do {                                                 \
		struct memstats_live l_ = (l);               \
		ck_assert_uint_eq(l_.blocks, (blocks_));     \
		ck_assert_uint_eq(l_.bytes, (bytes_));       \
		ck_assert_uint_eq(l_.peak_bytes, (peak_));   \
	} while (0)

static memstats_u64 foreign(void)
{
	memstats_u64 peak, f;

	track_totals(&peak, &f);
	return f;
}

START_TEST(test_live_leak_peak_and_free_elsewhere)
{
	void *p[4];

	tracking();
	for (int i = 0; i < 4; i++)
		p[i] = memstats_malloc(&s_malloc, 100, NULL);
	memstats_free(&s_free, p[3], NULL);
	ck_assert_live(live_at(1), 3, 300, 400);
	ck_assert_uint_eq(live_at(4).blocks, 0); /* a free site holds nothing */
	for (int i = 0; i < 3; i++)
		memstats_free(&s_free, p[i], NULL);
	ck_assert_live(live_at(1), 0, 0, 400);
	ck_assert_uint_eq(foreign(), 0);
}
END_TEST

START_TEST(test_live_requested_bytes_of_each_api)
{
	void *c, *s;
	struct memstats_live l;

	tracking();
	c = memstats_calloc(&s_calloc, 3, 7, NULL);
	s = memstats_strdup(&s_strdup, "hello", NULL);
	ck_assert_uint_eq(live_at(2).bytes, 21);
	l = live_at(5);
	ck_assert_uint_eq(l.blocks, 1);
	ck_assert_uint_eq(l.bytes, 6);
	memstats_free(&s_free, c, NULL);
	memstats_free(&s_free, s, NULL);
	ck_assert_uint_eq(live_at(2).blocks, 0);
	ck_assert_uint_eq(live_at(5).blocks, 0);
}
END_TEST

/* A realloc moves the block to the realloc's site; a failed one leaves it
 * where it was; realloc(p, 0) frees it. */
START_TEST(test_live_realloc)
{
	void *p, *q;
	struct memstats_live l;

	tracking();
	p = memstats_malloc(&s_malloc, 10, NULL);
	p = memstats_realloc(&s_realloc, p, 5000, NULL);
	ck_assert_uint_eq(live_at(1).blocks, 0);
	l = live_at(3);
	ck_assert_uint_eq(l.blocks, 1);
	ck_assert_uint_eq(l.bytes, 5000);
	q = memstats_realloc(&s_realloc, p, SIZE_MAX / 2, NULL);
	ck_assert_ptr_null(q);
	l = live_at(3);
	ck_assert_uint_eq(l.blocks, 1); /* failed: p is still live */
	ck_assert_uint_eq(l.bytes, 5000);
	p = memstats_realloc(&s_realloc, p, 20000, NULL);
	ck_assert_uint_eq(live_at(3).bytes, 20000);
	ck_assert_uint_eq(live_at(3).peak_bytes, 20000);
	q = memstats_realloc(&s_realloc, p, 0, NULL);
	if (q) /* an allocator that returns a minimal block for size 0 */
		memstats_free(&s_free, q, NULL);
	ck_assert_uint_eq(live_at(3).blocks, 0);
	ck_assert_uint_eq(foreign(), 0);
}
END_TEST

/* Blocks the C library allocated, freed by instrumented code: counted
 * foreign, never confused with tracked ones. */
START_TEST(test_live_foreign_frees)
{
	void *p;

	tracking();
	p = memstats_malloc(&s_malloc, 8, NULL);
	memstats_free(&s_free, malloc(32), NULL);
	memstats_free(&s_free, memstats_realloc(&s_realloc, malloc(16), 64, NULL), NULL);
	ck_assert_uint_eq(foreign(), 2);
	ck_assert_uint_eq(live_at(1).blocks, 1);
	memstats_free(&s_free, p, NULL);
	ck_assert_uint_eq(foreign(), 2);
}
END_TEST

/* The tracked calls' common case (a block in its first slot) and the way
 * round it (a first slot another block holds, a stale entry, a block never
 * seen) give the same counts. Addresses of our own: tracking never reads
 * the blocks; the two here share their first slot. */
START_TEST(test_live_first_slots)
{
	struct tracker *k;
	uintptr_t a = 0x100000, b = a;

	tracking();
	memstats_free(&s_free, memstats_malloc(&s_malloc, 1, NULL), NULL); /* numbers the site, makes the table */
	k = &thread_get()->tracker;
	do /* another page's block with the same first slot */
		b += 16;
	while (live_first_slot(&k->table, b) != live_first_slot(&k->table, a) || (b >> 12) == (a >> 12));
	track_alloc(k, &s_malloc, (void *)a, 100);
	track_alloc(k, &s_malloc, (void *)b, 200);      /* one slot further */
	ck_assert_live(live_at(1), 2, 300, 300);
	track_free(k, (void *)b);                        /* not in its first slot */
	ck_assert_live(live_at(1), 1, 100, 300);
	track_free(k, (void *)a);                        /* in it */
	ck_assert_live(live_at(1), 0, 0, 300);
	track_alloc(k, &s_malloc, (void *)b, 200);      /* its first slot: a's gone entry */
	track_alloc(k, &s_malloc, (void *)b, 50);       /* freed where we could not see, then reused */
	ck_assert_live(live_at(1), 1, 50, 300);
	ck_assert_uint_eq(foreign(), 0);
	track_free(k, (void *)b);
	track_free(k, (void *)b);                        /* gone already: foreign */
	track_free(k, (void *)0x200000);                 /* never seen */
	ck_assert_live(live_at(1), 0, 0, 300);
	ck_assert_uint_eq(foreign(), 2);
}
END_TEST

/* The inline path's tracked calls (memstats__sampled, memstats__untrack)
 * take the short way through the thread's tracker once one has gone the
 * whole way, and never after the thread's state is gone: a destructor of
 * the program's that runs later must not reach the freed tracker. */
static pthread_key_t later_key;
static struct tracker *seen_later = (struct tracker *)1;

static void later(void *arg)
{
	(void)arg;
	seen_later = track_mine;
}

static void *short_way(void *arg)
{
	void *p = malloc(16);

	memstats_free(&s_free, memstats_malloc(&s_thread, 8, NULL), NULL); /* numbers the site */
	ck_assert_ptr_null(track_mine);
	memstats__sampled(&s_thread, p, 16);
	ck_assert_ptr_eq(track_mine, &thread_mine->tracker);
	memstats__sampled(&s_thread, p, 16); /* through track_mine, replacing its own entry as stale */
	ck_assert_live(live_at(6), 1, 16, 16);
	memstats__untrack(p);
	ck_assert_live(live_at(6), 0, 0, 16);
	free(p);
	ck_assert_int_eq(pthread_setspecific(later_key, arg), 0);
	return NULL;
}

START_TEST(test_live_short_way)
{
	pthread_t t;

	tracking();
	memstats_free(&s_free, memstats_malloc(&s_malloc, 1, NULL), NULL); /* memstats' key before ours */
	ck_assert_int_eq(pthread_key_create(&later_key, later), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, short_way, &later_key), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_ptr_null(seen_later);
	ck_assert_uint_eq(foreign(), 0);
	pthread_key_delete(later_key);
}
END_TEST

/* Time moves on through the test's clock: the ages follow. */
START_TEST(test_live_ages)
{
	void *old, *young;
	struct memstats_live l;
	const unsigned int s = track_ticks_per_s();

	tracking();
	old = memstats_malloc(&s_malloc, 100, NULL);
	__atomic_add_fetch(&track_clock_skew, 150 * s, __ATOMIC_RELAXED);
	young = memstats_malloc(&s_malloc, 10, NULL);
	l = live_at(1);
	ck_assert_uint_eq(l.age_blocks[0], 1);
	ck_assert_uint_eq(l.age_bytes[0], 10);
	ck_assert_uint_eq(l.age_blocks[3], 1); /* [100, 1000) s */
	ck_assert_uint_eq(l.age_bytes[3], 100);
	__atomic_add_fetch(&track_clock_skew, 900 * s, __ATOMIC_RELAXED);
	l = live_at(1);
	ck_assert_uint_eq(l.age_blocks[3], 1);
	ck_assert_uint_eq(l.age_blocks[4], 1);
	ck_assert_uint_eq(l.age_blocks[0] + l.age_blocks[1] + l.age_blocks[2], 0);
	memstats_free(&s_free, old, NULL);
	memstats_free(&s_free, young, NULL);
}
END_TEST

struct batch {
	void *p[64];
	int n;
};

static void *alloc_batch(void *arg)
{
	struct batch *b = arg;

	for (int i = 0; i < b->n; i++)
		b->p[i] = memstats_malloc(&s_thread, 50, NULL);
	return NULL;
}

static void *free_batch(void *arg)
{
	struct batch *b = arg;

	for (int i = 0; i < b->n; i++)
		memstats_free(&s_free, b->p[i], NULL);
	return NULL;
}

/* Blocks of a thread gone (orphans), freed by others: resolved, not foreign. */
START_TEST(test_live_other_threads)
{
	struct batch b = { .n = 64 };
	pthread_t t;
	struct memstats_live l;

	tracking();
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_batch, &b), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	l = live_at(6);
	ck_assert_uint_eq(l.blocks, 64);
	ck_assert_uint_eq(l.bytes, 3200);
	b.n = 40;
	free_batch(&b); /* main frees 40 of the gone thread's blocks */
	ck_assert_uint_eq(live_at(6).blocks, 24);
	for (int i = 0; i < 24; i++)
		b.p[i] = b.p[40 + i];
	b.n = 24;
	ck_assert_int_eq(pthread_create(&t, NULL, free_batch, &b), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_live(live_at(6), 0, 0, 3200);
	ck_assert_uint_eq(foreign(), 0);
}
END_TEST

static pthread_barrier_t held, done;

static void *alloc_and_wait(void *arg)
{
	alloc_batch(arg);
	pthread_barrier_wait(&held);
	pthread_barrier_wait(&done);
	return NULL;
}

/* fork while another thread holds blocks: the child finds them. */
START_TEST(test_live_fork)
{
	struct batch b = { .n = 8 };
	pthread_t t;
	pid_t pid;
	int status;

	tracking();
	pthread_barrier_init(&held, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_and_wait, &b), 0);
	pthread_barrier_wait(&held);
	pid = fork();
	if (pid == 0) {
		struct memstats_live l;

		free_batch(&b);
		l = live_at(6);
		_exit(l.blocks == 0 && l.bytes == 0 && foreign() == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(live_at(6).blocks, 8); /* the parent's are untouched */
	pthread_barrier_wait(&done);
	pthread_join(t, NULL);
}
END_TEST

/* Peaks across a share's flushes (every 16 KiB a thread holds): a peak
 * reached between two flushes, one at a flush, and the process's, exact in
 * one thread; after memstats_reset(), from what is live again. */
START_TEST(test_live_peak_across_flushes)
{
	enum { N = 50, SIZE = 1000 };
	void *p[N];
	memstats_u64 peak, f;

	tracking();
	for (int i = 0; i < N; i++)
		p[i] = memstats_malloc(&s_malloc, SIZE, NULL);
	for (int i = 0; i < N; i++)
		memstats_free(&s_free, p[i], NULL);
	for (int i = 0; i < 10; i++)
		p[i] = memstats_malloc(&s_malloc, SIZE, NULL);
	memstats_free(&s_free, p[9], NULL);
	ck_assert_live(live_at(1), 9, 9 * SIZE, N * SIZE);
	track_totals(&peak, &f);
	ck_assert_uint_eq(peak, N * SIZE);
	memstats_reset();
	ck_assert_live(live_at(1), 9, 9 * SIZE, 9 * SIZE);
	track_totals(&peak, &f);
	ck_assert_uint_eq(peak, 9 * SIZE);
	for (int i = 0; i < 3; i++) /* 12 KiB above, then back: a peak between flushes */
		p[9 + i] = memstats_malloc(&s_malloc, 4 * SIZE, NULL);
	for (int i = 0; i < 3; i++)
		memstats_free(&s_free, p[9 + i], NULL);
	ck_assert_live(live_at(1), 9, 9 * SIZE, 21 * SIZE);
	for (int i = 0; i < 9; i++)
		memstats_free(&s_free, p[i], NULL);
	ck_assert_live(live_at(1), 0, 0, 21 * SIZE);
}
END_TEST

static void *alloc_free_10k(void *arg)
{
	(void)arg;
	memstats_free(&s_free, memstats_malloc(&s_exit, 10000, NULL), NULL);
	return NULL;
}

/* A thread that reached its peak below the flush threshold and exits: its
 * high mark goes into the site's peak and the process's. */
START_TEST(test_live_peak_of_a_thread_gone)
{
	pthread_t t;
	memstats_u64 peak, f;

	tracking();
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_free_10k, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_live(live_at(7), 0, 0, 10000);
	track_totals(&peak, &f);
	ck_assert_uint_eq(peak, 10000);
}
END_TEST

static void *big_blocks(void *arg)
{
	for (int i = 0; i < 20000; i++)
		memstats_free(&s_free, memstats_malloc(&s_big, 1 << 20, NULL), NULL);
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Reports while a thread's share is being flushed (each 1 MiB block
 * flushes at its allocation and at its free): never a peak of the share
 * counted twice, flushed and in its high mark. */
START_TEST(test_live_peak_reports_during_flushes)
{
	pthread_t t;
	int done = 0;

	tracking();
	memstats_free(&s_free, memstats_malloc(&s_big, 1 << 20, NULL), NULL); /* the row is there */
	ck_assert_int_eq(pthread_create(&t, NULL, big_blocks, &done), 0);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		ck_assert_uint_le(live_at(8).peak_bytes, 1 << 20);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_live(live_at(8), 0, 0, 1 << 20);
}
END_TEST

/* memstats_reset(): counters from zero, peaks from what is live now. */
START_TEST(test_live_reset)
{
	void *a = NULL, *b = NULL;
	struct memstats_live l;

	tracking();
	a = memstats_malloc(&s_malloc, 1000, NULL);
	b = memstats_malloc(&s_malloc, 500, NULL);
	memstats_free(&s_free, a, NULL);
	memstats_reset();
	l = live_at(1);
	ck_assert_uint_eq(l.blocks, 1);
	ck_assert_uint_eq(l.peak_bytes, 500);
	memstats_free(&s_free, b, NULL);
}
END_TEST

/* A peak reached after memstats_reset() at a share below zero (the thread
 * freed what a flush had published) outlives the share's next flush. */
START_TEST(test_live_peak_after_reset_below_zero)
{
	void *a, *b, *c;
	memstats_u64 peak, f;

	tracking();
	a = memstats_malloc(&s_malloc, 10000, NULL);
	b = memstats_malloc(&s_malloc, 10000, NULL); /* 20000: flushed */
	memstats_free(&s_free, a, NULL);              /* the share at -10000 */
	memstats_reset();
	ck_assert_live(live_at(1), 1, 10000, 10000);
	c = memstats_malloc(&s_malloc, 100, NULL);   /* 10100: the peak since */
	memstats_free(&s_free, c, NULL);
	memstats_free(&s_free, b, NULL);              /* -20000: flushed again */
	ck_assert_live(live_at(1), 0, 0, 10100);
	track_totals(&peak, &f);
	ck_assert_uint_eq(peak, 10100);
}
END_TEST

/* ---- the clock ------------------------------------------------------- */

/* The clock that dates blocks: start-up (track_init) takes the vDSO's own
 * function where the platform allows it (not glibc's wrapper), and it tells
 * the same time as glibc's. */
START_TEST(test_clock_from_the_vdso)
{
	struct timespec a, b, c;

	clock_coarse = clock_gettime;
	tracking();
	if (clock_direct() && getauxval(AT_SYSINFO_EHDR))
		ck_assert_ptr_ne((void *)clock_coarse, (void *)clock_gettime);
	else
		ck_assert_ptr_eq((void *)clock_coarse, (void *)clock_gettime);
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC_COARSE, &a), 0);
	ck_assert_int_eq(clock_coarse(CLOCK_MONOTONIC_COARSE, &b), 0);
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC_COARSE, &c), 0);
	ck_assert(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
	ck_assert(c.tv_sec > b.tv_sec || (c.tv_sec == b.tv_sec && c.tv_nsec >= b.tv_nsec));
}
END_TEST

/* A copy of this process's vDSO image, to be changed: its size is its
 * loaded segments'. NULL without one. */
static ElfW(Ehdr) *vdso_copy(size_t *size)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	ElfW(Ehdr) *copy;

	*size = 0;
	if (!eh)
		return NULL;
	for (int i = 0; i < eh->e_phnum; i++) {
		const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff + (size_t)i * eh->e_phentsize);

		if (ph->p_type == PT_LOAD && ph->p_offset + ph->p_filesz > *size)
			*size = ph->p_offset + ph->p_filesz;
	}
	copy = malloc(*size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, eh, *size);
	return copy;
}

/* The copy's dynamic entry tagged tag, or NULL. */
static ElfW(Dyn) *vdso_dyn(ElfW(Ehdr) *eh, ElfW(Sxword) tag)
{
	for (int i = 0; i < eh->e_phnum; i++) {
		ElfW(Phdr) *ph = (void *)((char *)eh + eh->e_phoff + (size_t)i * eh->e_phentsize);

		if (ph->p_type != PT_DYNAMIC)
			continue;
		for (ElfW(Dyn) *d = (void *)((char *)eh + ph->p_offset); d->d_tag != DT_NULL; d++)
			if (d->d_tag == tag)
				return d;
	}
	return NULL;
}

/* The lookup reads a vDSO with either symbol hash table (arm64's since
 * Linux 6.11 have only DT_GNU_HASH), finds nothing without the symbol
 * or without any table, and answers with the function's address in the
 * image it read. */
START_TEST(test_clock_vdso_tables)
{
	const char *name = NULL;
	const ElfW(Ehdr) *real = (const void *)getauxval(AT_SYSINFO_EHDR);
	ElfW(Ehdr) *copy;
	ElfW(Dyn) *hash, *gnu;
	uintptr_t offset;
	size_t size;
	char *at;

	if (!clock_direct() || !real)
		return; /* no vDSO here (valgrind) or not looked in on this platform */
	name = clock_vdso_lookup(real, "__vdso_clock_gettime") ? "__vdso_clock_gettime" : "__kernel_clock_gettime";
	ck_assert_ptr_nonnull(clock_vdso_lookup(real, name));
	ck_assert_ptr_eq(clock_vdso_lookup(real, "memstats_no_such_function"), NULL);
	offset = (uintptr_t)clock_vdso_lookup(real, name) - (uintptr_t)real;
	copy = vdso_copy(&size);
	ck_assert_ptr_eq(clock_vdso_lookup(copy, name), (char *)copy + offset);
	hash = vdso_dyn(copy, DT_HASH);
	gnu = vdso_dyn(copy, DT_GNU_HASH);
	ck_assert(hash || gnu);
	if (hash && gnu) { /* each table alone */
		hash->d_tag = DT_DEBUG;
		ck_assert_ptr_eq(clock_vdso_lookup(copy, name), (char *)copy + offset);
		hash->d_tag = DT_HASH;
		gnu->d_tag = DT_DEBUG;
		ck_assert_ptr_eq(clock_vdso_lookup(copy, name), (char *)copy + offset);
		gnu->d_tag = DT_GNU_HASH;
	}
	if (hash)
		hash->d_tag = DT_DEBUG;
	if (gnu)
		gnu->d_tag = DT_DEBUG;
	ck_assert_ptr_eq(clock_vdso_lookup(copy, name), NULL);
	free(copy);
	copy = vdso_copy(&size); /* the name spelt otherwise in its string table */
	at = memmem(copy, size, name, strlen(name) + 1);
	ck_assert_ptr_nonnull(at);
	at[2] = 'X';
	ck_assert_ptr_eq(clock_vdso_lookup(copy, name), NULL);
	memcpy(copy, "\177ELG", 4); /* not an ELF image */
	ck_assert_ptr_eq(clock_vdso_lookup(copy, name), NULL);
	free(copy);
}
END_TEST

Suite *suite_track(void)
{
	Suite *s = suite_create("track");
	TCase *tc = tcase_create("table");
	tcase_set_timeout(tc, 60); /* the take from another thread runs two million rounds */

	tcase_add_test(tc, test_table_put_take);
	tcase_add_test(tc, test_table_stale_entry_replaced);
	tcase_add_test(tc, test_table_gone_entries);
	tcase_add_test(tc, test_table_take_from_another_thread);
	tcase_add_test(tc, test_table_many_and_churn);
	tcase_add_test(tc, test_age_buckets);
	tcase_add_test(tc, test_clock_vdso_tables);
	suite_add_tcase(s, tc);
	tc = tcase_create("runtime");
	tcase_add_test(tc, test_live_leak_peak_and_free_elsewhere);
	tcase_add_test(tc, test_live_peak_across_flushes);
	tcase_add_test(tc, test_live_peak_of_a_thread_gone);
	tcase_add_test(tc, test_live_peak_reports_during_flushes);
	tcase_add_test(tc, test_live_requested_bytes_of_each_api);
	tcase_add_test(tc, test_live_realloc);
	tcase_add_test(tc, test_live_foreign_frees);
	tcase_add_test(tc, test_live_first_slots);
	tcase_add_test(tc, test_live_short_way);
	tcase_add_test(tc, test_live_ages);
	tcase_add_test(tc, test_live_other_threads);
	tcase_add_test(tc, test_live_fork);
	tcase_add_test(tc, test_live_reset);
	tcase_add_test(tc, test_live_peak_after_reset_below_zero);
	tcase_add_test(tc, test_clock_from_the_vdso);
	suite_add_tcase(s, tc);
	return s;
}
