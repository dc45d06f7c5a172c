/* track.c - live tracking (MEMSTATS_TRACK=1): each block that instrumented
 * code allocated, until instrumented code frees it, with its site, size and
 * birth time; per site, the live blocks and bytes and their peak.
 *
 * Every thread has a tracker, in its state (thread.c): its own table of the blocks it allocated
 * (live-table.c), and its own share of each site's live blocks and bytes,
 * written without a lock or an atomic read-modify-write. A free looks in
 * the freeing thread's table first; a block from another thread is found
 * under the registry lock in the others' tables (or in the orphans, the
 * blocks of threads gone). The freeing thread takes the block off its own
 * share, so a site's live count (its flushed count plus every share) stays
 * exact. A share is flushed into the site's atomic count when it strays far
 * from zero. A share keeps its highest bytes since its last flush, which is
 * all an allocation checks (one comparison, no shared line); a peak is raised
 * to the flushed count plus that high mark at each flush and at each report
 * (plus every thread's mark), so it is exact in one thread; otherwise the
 * marks were reached at different times, and a peak may be off by up to
 * twice FLUSH bytes per thread (a mark at +FLUSH, a share now at -FLUSH).
 *
 * Sampled (MEMSTATS_TRACK=sample): each thread counts down the bytes its
 * calls allocate, from an exponentially distributed gap of mean
 * sample_bytes (no lock, no shared line on the way); the block that takes
 * the countdown below zero is tracked, standing for 1/(1 - e^(-size/S))
 * blocks of its size (about S/size for a small block, 1 for a large one),
 * which makes the live counts unbiased estimates. A map of counts by
 * address lets a free skip the tables when its block cannot be sampled.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define FLUSH 16384                      /* bytes a share may hold unflushed */
#define CHUNK_SITES 1024                 /* site_live records per chunk */
#define MAX_CHUNKS 4096                  /* 4M sites: ids beyond are not tracked */

struct share {                           /* a thread's part of a site's live blocks */
	int64_t blocks, bytes;
	int64_t high;                    /* its highest bytes since its last flush */
};

struct site_live {                       /* a site's flushed shares and peak; atomics */
	int64_t blocks, bytes, peak;
};

int track_on;
int track_sampled;                       /* MEMSTATS_TRACK=sample */
memstats_u64 track_sample_bytes;
const unsigned int track_age_min_s[MEMSTATS_AGE_BUCKETS] = {
#define AGE_(seconds) seconds,
	MEMSTATS_AGES(AGE_)
#undef AGE_
};

__thread struct tracker *track_mine __attribute__((tls_model("initial-exec")));
static struct live_table orphans;        /* blocks of threads gone; registry held */
static struct site_live *chunks[MAX_CHUNKS];
static int64_t live_bytes, peak_bytes;   /* the process's (flushed), atomics */
static memstats_u64 foreign_frees;

/* ---- time ---------------------------------------------------------------- */

unsigned int track_ticks_per_s(void)
{
	return CLOCK_TICKS_PER_S;
}

#ifdef MEMSTATS_TEST_HOOKS
unsigned int track_clock_skew;

static unsigned int skew(void)
{
	return __atomic_load_n(&track_clock_skew, __ATOMIC_RELAXED);
}
#else
static unsigned int skew(void)
{
	return 0;
}
#endif

/* Every allocation reads the coarse clock (the vDSO's, 4 ns): a thread
 * of ours keeping a tick would be cheaper, but would make every tracked
 * process, and every forked child, multithreaded behind its back. */
static unsigned int track_now(void)
{
	return clock_ticks() + skew();
}

int track_age_bucket(unsigned int age_ticks)
{
	unsigned int s = age_ticks / track_ticks_per_s();
	int b = 0;

	while (b + 1 < MEMSTATS_AGE_BUCKETS && s >= track_age_min_s[b + 1])
		b++;
	return b;
}

/* ---- shares and peaks ---------------------------------------------------- */

static int64_t get(const int64_t *v)
{
	return relaxed_get(v);
}

static void raise_peak(int64_t *peak, int64_t now)
{
	int64_t p = get(peak);

	while (now > p && !__atomic_compare_exchange_n(peak, &p, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static struct site_live *site_live(unsigned int id)
{
	struct site_live *c = id / CHUNK_SITES < MAX_CHUNKS ?
		__atomic_load_n(&chunks[id / CHUNK_SITES], __ATOMIC_ACQUIRE) : NULL;

	return c ? &c[id % CHUNK_SITES] : NULL;
}

/* Site records for ids below n. Registry held. */
static int chunks_for(size_t n)
{
	for (size_t k = 0; k * CHUNK_SITES < n && k < MAX_CHUNKS; k++) {
		if (!chunks[k]) {
			struct site_live *c = calloc(CHUNK_SITES, sizeof(*c));

			if (!c)
				return -1;
			__atomic_store_n(&chunks[k], c, __ATOMIC_RELEASE);
		}
	}
	return 0;
}

/* Room in t's shares for site id. NULL if out of memory or past the
 * tracked ids. */
static __attribute__((noinline)) struct share *share_grow(struct tracker *t, unsigned int id)
{
	size_t cap;
	struct share *grown;

	if (id / CHUNK_SITES >= MAX_CHUNKS)
		return NULL;
	registry_lock(); /* a report reads the shares: it must not see them half copied */
	for (cap = t->nshare ? t->nshare : 64; cap <= id;)
		cap *= 2;
	grown = chunks_for(cap) == 0 ? calloc(cap, sizeof(*grown)) : NULL;
	if (grown) {
		if (t->share)
			memcpy(grown, t->share, t->nshare * sizeof(*grown));
		free(t->share);
		t->share = grown;
		t->nshare = cap;
	}
	registry_unlock();
	return grown ? &t->share[id] : NULL;
}

/* This thread's share of site id, made on first use. */
static struct share *share_of(struct tracker *t, unsigned int id)
{
	return __builtin_expect(id < t->nshare, 1) ? &t->share[id] : share_grow(t, id);
}

static void set(int64_t *v, int64_t to)
{
	__atomic_store_n(v, to, __ATOMIC_RELAXED);
}

/* A share's bytes go into the flushed count *total, its high mark into
 * *peak first: even a mark at or below zero, which after memstats_reset()
 * (a share's mark then starts at its bytes if below zero) may be the
 * highest since; with none since the last flush the mark is 0, and total
 * alone was live then. The mark is zeroed before the bytes
 * are published (release), and a report reads the flushed count (acquire)
 * before the marks (high_marks()): it never adds a share's bytes twice, once
 * flushed and once in the mark; at worst it misses a mark this flush has
 * raised the peak with already. */
static void flush_bytes(int64_t *total, int64_t *peak, int64_t *bytes, int64_t *high)
{
	raise_peak(peak, get(total) + get(high));
	set(high, 0);
	__atomic_add_fetch(total, get(bytes), __ATOMIC_RELEASE);
	set(bytes, 0);
}

/* Share sh of site id goes into the site's flushed counts and peak. */
static __attribute__((noinline)) void flush(unsigned int id, struct share *sh)
{
	struct site_live *sl = site_live(id); /* there since the share is (share_grow) */

	__atomic_add_fetch(&sl->blocks, get(&sh->blocks), __ATOMIC_RELAXED);
	set(&sh->blocks, 0);
	flush_bytes(&sl->bytes, &sl->peak, &sh->bytes, &sh->high);
}

static __attribute__((noinline)) void flush_process(struct tracker *t)
{
	flush_bytes(&live_bytes, &peak_bytes, &t->bytes, &t->high);
}

/* Whichever of share sh and t's process share went past a threshold. */
static __attribute__((noinline)) void flush_either(struct tracker *t, struct share *sh, unsigned int id)
{
	if (get(&sh->bytes) > FLUSH || get(&sh->bytes) < -FLUSH)
		flush(id, sh);
	if (get(&t->bytes) > FLUSH || get(&t->bytes) < -FLUSH)
		flush_process(t);
}

/* n blocks of size bytes in all are live in t's share sh of site id
 * (account_rise) or gone (account_fall); heap: not a pool's objects, which
 * the process's live bytes do not count. The path of every tracked call: no
 * atomic read-modify-write, no shared line unless a share is flushed.
 *
 * A rise is all that can set a peak, and only a rise can take a share past
 * FLUSH, a fall past -FLUSH: each way tests its own two. A fall leaves the
 * high mark alone: it is never below the bytes but after memstats_reset(),
 * whose stored peak holds what a fall from there could reach. */
static inline __attribute__((always_inline)) void rise(int64_t *bytes, int64_t *high, int64_t size, int64_t *now)
{
	int64_t b = get(bytes) + size;

	set(bytes, b);
	if (b > get(high))
		set(high, b);
	*now = b;
}

static inline __attribute__((always_inline)) void account_rise(struct tracker *t, struct share *sh, unsigned int id,
							       int64_t n, int64_t size, int heap)
{
	int64_t b, all = 0;

	set(&sh->blocks, get(&sh->blocks) + n);
	rise(&sh->bytes, &sh->high, size, &b);
	if (heap)
		rise(&t->bytes, &t->high, size, &all);
	if (__builtin_expect(b > FLUSH || all > FLUSH, 0))
		flush_either(t, sh, id);
}

static inline __attribute__((always_inline)) void account_fall(struct tracker *t, struct share *sh, unsigned int id,
							       int64_t n, int64_t size, int heap)
{
	int64_t b = get(&sh->bytes) - size, all = 0;

	set(&sh->blocks, get(&sh->blocks) - n);
	set(&sh->bytes, b);
	if (heap) {
		all = get(&t->bytes) - size;
		set(&t->bytes, all);
	}
	if (__builtin_expect(b < -FLUSH || all < -FLUSH, 0))
		flush_either(t, sh, id);
}

/* ---- sampling ------------------------------------------------------------ */

/* The map: sampled live blocks per address bucket (atomics). */
#define MAP_BITS 16
static uint16_t sampled_at[1 << MAP_BITS];

/* the header's MEMSTATS_SAMPLE_BUCKET_: the inline free reads the map too */
static size_t bucket(uintptr_t key)
{
	return (size_t)MEMSTATS_SAMPLE_BUCKET_((void *)key);
}

/* Exact, every bucket may hold a tracked block: the map is all ones. */
const unsigned short *track_sample_map(void)
{
	if (track_on && !track_sampled)
		for (size_t i = 0; i < NELEM(sampled_at); i++)
			sampled_at[i] = 1;
	return track_on ? sampled_at : NULL;
}

/* Whether block p may be a sampled one (its bucket holds some). */
static int maybe_sampled(uintptr_t key)
{
	return __atomic_load_n(&sampled_at[bucket(key)], __ATOMIC_RELAXED) != 0;
}

static void unmark(uintptr_t key)
{
	if (track_sampled)
		__atomic_sub_fetch(&sampled_at[bucket(key)], 1, __ATOMIC_RELAXED);
}

/* e^-x for x >= 0, and ln(u) for u in (0, 1]: no libm in the runtime. */
static double exp_neg(double x)
{
	double r, term = 1, sum = 1;
	int k = 0;

	if (x > 700)
		return 0;
	while (x > 0.5) { /* e^-x = (e^-(x/2))^2 */
		x /= 2;
		k++;
	}
	r = -x;
	for (int i = 1; i < 14; i++) {
		term *= r / i;
		sum += term;
	}
	while (k--)
		sum *= sum;
	return sum;
}

static double ln(double u)
{
	int e = 0;
	double t, t2, sum = 0;

	while (u < 0.5) {
		u *= 2;
		e--;
	}
	t = (u - 1) / (u + 1);
	t2 = t * t;
	for (int i = 19; i >= 1; i -= 2)
		sum = sum * t2 + 1.0 / i;
	return 2 * t * sum + e * 0.6931471805599453;
}

static uint64_t next_random(struct tracker *t)
{
	static uint64_t threads_seeded;

	if (!t->rng) /* a fixed seed per thread, by the order threads sample in */
		t->rng = 0x9e3779b97f4a7c15ull * (__atomic_add_fetch(&threads_seeded, 1, __ATOMIC_RELAXED) * 2 + 1);
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

/* The bytes until the next sample: exponential, mean track_sample_bytes. */
static int64_t next_gap(struct tracker *t)
{
	double u = ((double)(next_random(t) >> 11) + 1) / 9007199254740992.0; /* (0, 1] */

	return (int64_t)(-(double)track_sample_bytes * ln(u)) + 1;
}

/* What sampled block v counts for: its weight, with
 * the fraction rounded by a fixed function of its address (unbiased over
 * blocks, and the same at its free as at its allocation). */
static void weights(const struct live *v, int64_t *blocks, int64_t *bytes)
{
	double w, frac;

	w = 1 / (1 - exp_neg((double)(v->size ? v->size : 1) / (double)track_sample_bytes));
	frac = (double)(((uint64_t)v->key * 0xbf58476d1ce4e5b9ull) >> 11) / 9007199254740992.0;
	*blocks = (int64_t)(w + frac);
	*bytes = (int64_t)(w * (double)v->size + frac);
}

/* The blocks and bytes block v counts for: itself when exact, its weight
 * when sampled (sampled: track_sampled, read once by the caller or known,
 * as the stores between would reload it). */
static inline __attribute__((always_inline)) void block_counts(const struct live *v, int sampled, int64_t *blocks,
							       int64_t *bytes)
{
	*blocks = 1;
	*bytes = (int64_t)v->size;
	if (sampled)
		weights(v, blocks, bytes);
}

/* Block v is live: this thread's shares grow. */
static inline __attribute__((always_inline)) void account_alloc(struct tracker *t, const struct live *v, int sampled)
{
	struct share *sh = share_of(t, v->id);
	int64_t n, size;

	if (!sh)
		return;
	block_counts(v, sampled, &n, &size);
	account_rise(t, sh, v->id, n, size, !(v->key & POOL_KEY));
}

/* Block v is gone: this thread's shares shrink (whichever thread made it). */
static inline __attribute__((always_inline)) void account_free(struct tracker *t, const struct live *v, int sampled)
{
	struct share *sh = share_of(t, v->id);
	int64_t n, size;

	if (!sh)
		return;
	block_counts(v, sampled, &n, &size);
	account_fall(t, sh, v->id, n, size, !(v->key & POOL_KEY));
}

/* ---- threads gone -------------------------------------------------------- */

static void orphan_one(const struct live *v, void *arg)
{
	struct live stale;

	(void)arg;
	if (!live_full(&orphans) || live_rebuild(&orphans) == 0)
		live_put(&orphans, v, &stale);
}

/* t's thread is gone: its shares go into the sites, its blocks to the
 * orphans. Registry held. */
void track_thread_gone(struct tracker *t)
{
	if (track_mine == t) /* the thread's own, at its exit */
		track_mine = NULL;
	for (unsigned int id = 1; id < t->nshare; id++)
		flush(id, &t->share[id]);
	flush_process(t);
	live_each(&t->table, orphan_one, NULL);
	live_free(&t->table);
	free(t->share);
	t->share = NULL;
	t->nshare = 0;
}

void track_init(memstats_u64 sample_bytes)
{
	clock_init();
	track_sample_bytes = sample_bytes;
	track_sampled = sample_bytes != 0;
	track_on = 1;
}

/* ---- the calls ----------------------------------------------------------- */

/* The ways out of insert(), kept out of its frame. */
static __attribute__((noinline)) int grow_table(struct tracker *t)
{
	int rc;

	registry_lock(); /* no other thread is reading the table */
	rc = live_rebuild(&t->table);
	registry_unlock();
	return rc;
}

static __attribute__((noinline)) void replaced(struct tracker *t, const struct live *stale)
{
	account_free(t, stale, track_sampled); /* freed by code we do not see, then reused */
	unmark(stale->key);
}

static inline __attribute__((always_inline)) void insert(struct tracker *t, const struct live *v, int sampled)
{
	struct live stale;

	if (__builtin_expect(live_full(&t->table), 0) && grow_table(t) < 0)
		return; /* not tracked: its free will count as foreign */
	if (__builtin_expect(live_put(&t->table, v, &stale), 0))
		replaced(t, &stale);
	account_alloc(t, v, sampled);
}

static __attribute__((noinline)) void alloc_slow(struct tracker *t, unsigned int id, uintptr_t key, memstats_u64 size,
						 unsigned int born)
{
	insert(t, &(struct live){ key, size, id, born }, 0);
}

/* Exact tracking's allocations and frees, the inline path's every tracked
 * call: most find their slot at the first probe (empty, or the address's
 * own gone entry: malloc hands a freed address out again soon) and their
 * share there already, and are written out here with nothing between;
 * the rest go the whole way (insert(), take_block()). Before/after: 441 ->
 * 395 instructions a tracked malloc+free pair (callgrind). */
static inline __attribute__((always_inline)) void exact_alloc(struct tracker *t, unsigned int id, uintptr_t key,
							      memstats_u64 size)
{
	struct live_table *tab = &t->table;
	unsigned int born = track_now();

	if (__builtin_expect(!live_full(tab) && id < t->nshare, 1)) {
		struct live *e = &tab->e[live_first_slot(tab, key)];
		uintptr_t k = live_key_at(e);

		if (__builtin_expect(k == LIVE_EMPTY || (k == key && !live_id_at(e)), 1)) {
			tab->used += k == LIVE_EMPTY;
			live_store(e, &(struct live){ key, size, id, born });
			account_rise(t, &t->share[id], id, 1, (int64_t)size, !(key & POOL_KEY));
			return;
		}
	}
	alloc_slow(t, id, key, size, born);
}

/* 1 if key's block was in its first slot, live, and is now gone; else 0,
 * with nothing changed. The owner's own table: no other thread takes this
 * block while it frees it. */
static inline __attribute__((always_inline)) int exact_free(struct tracker *t, uintptr_t key)
{
	struct live_table *tab = &t->table;
	struct live *e;
	unsigned int id;
	int64_t size;

	if (__builtin_expect(!tab->e, 0))
		return 0;
	e = &tab->e[live_first_slot(tab, key)];
	if (live_key_at(e) != key || !(id = live_id_at(e)) || id >= t->nshare)
		return 0;
	size = (int64_t)__atomic_load_n(&e->size, __ATOMIC_RELAXED);
	__atomic_store_n(&e->id, 0, __ATOMIC_RELEASE);
	account_fall(t, &t->share[id], id, 1, size, !(key & POOL_KEY));
	return 1;
}

void track_alloc(struct tracker *t, struct memstats_site *s, void *p, memstats_u64 size)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	if (!t || !id)
		return;
	if (track_sampled) {
		/* the thread's countdown, shared with the inline path */
		if ((memstats_tls_.sample_left -= (long long)size) > 0)
			return; /* not this one */
		track_sample(t, s, p, size);
		return;
	}
	exact_alloc(t, id, (uintptr_t)p, size);
}

static __attribute__((noinline)) void sample(struct tracker *t, unsigned int id, void *p, memstats_u64 size)
{
	memstats_tls_.sample_left = next_gap(t);
	if (!p || !id)
		return;
	__atomic_add_fetch(&sampled_at[bucket((uintptr_t)p)], 1, __ATOMIC_RELAXED);
	insert(t, &(struct live){ (uintptr_t)p, size, id, track_now() }, 1);
}

void track_sample(struct tracker *t, struct memstats_site *s, void *p, memstats_u64 size)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	if (__builtin_expect(track_sampled, 0)) {
		sample(t, id, p, size);
		return;
	}
	track_mine = t; /* exact: this thread's next tracked calls take the short way */
	track_exact_alloc(t, s, p, size);
}

void track_exact_alloc(struct tracker *t, struct memstats_site *s, void *p, memstats_u64 size)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	memstats_tls_.sample_left = LLONG_MIN / 2; /* every block: the countdown kept below zero */
	if (p && id)
		exact_alloc(t, id, (uintptr_t)p, size);
}


/* p's entry, under the lock, from another thread's table or the orphans. */
static __attribute__((noinline)) int take_elsewhere(struct tracker *t, void *p, struct live *out)
{
	int found;

	registry_lock();
	found = live_take(&orphans, (uintptr_t)p, out);
	for (struct thread *o = registry_threads; o && !found; o = o->next)
		if (&o->tracker != t)
			found = live_take(&o->tracker.table, (uintptr_t)p, out);
	registry_unlock();
	return found;
}

/* p's entry, from this thread's table or, failing that, elsewhere. */
static inline __attribute__((always_inline)) int take(struct tracker *t, void *p, struct live *out)
{
	if (__builtin_expect(t && live_take(&t->table, (uintptr_t)p, out), 1))
		return 1;
	return take_elsewhere(t, p, out);
}

static inline __attribute__((always_inline)) int take_block(struct tracker *t, void *p, struct live *saved)
{
	int sampled = track_sampled;

	if (sampled && !maybe_sampled((uintptr_t)p))
		return 0; /* sampled or not: never in a table */
	if (!take(t, p, saved))
		return 0;
	if (sampled)
		unmark(saved->key);
	if (t)
		account_free(t, saved, sampled);
	return 1;
}

int track_take(struct tracker *t, void *p, struct live *saved)
{
	return take_block(t, p, saved);
}

void track_restore(struct tracker *t, const struct live *saved)
{
	if (!t)
		return;
	if (track_sampled)
		__atomic_add_fetch(&sampled_at[bucket(saved->key)], 1, __ATOMIC_RELAXED);
	insert(t, saved, track_sampled);
}

/* Sampled, a block not found was not sampled: no foreign free is known. */
void track_foreign(void)
{
	if (!track_sampled)
		__atomic_add_fetch(&foreign_frees, 1, __ATOMIC_RELAXED);
}

static __attribute__((noinline)) void free_slow(struct tracker *t, void *p)
{
	struct live gone;

	if (!take_block(t, p, &gone))
		track_foreign();
}

void track_exact_free(struct tracker *t, void *p)
{
	if (!exact_free(t, (uintptr_t)p))
		free_slow(t, p);
}

void track_free(struct tracker *t, void *p)
{
	if (__builtin_expect(t && !track_sampled, 1))
		track_exact_free(t, p);
	else
		free_slow(t, p);
}

/* A pool object (pool.c) is live from its p_alloc to its p_free, apart
 * from heap blocks: the same address is often a live block of the pool's
 * own malloc too. Its key has the top bit set, which no user address has;
 * its bytes count at its row, never in the process's live bytes and peak
 * (the heap block holding it counts there). */
void track_pool_alloc(struct tracker *t, struct memstats_site *s, const void *p, memstats_u64 size)
{
	track_alloc(t, s, (void *)((uintptr_t)p | POOL_KEY), size);
}

/* An object never seen allocated is no foreign free of the heap's. */
void track_pool_free(struct tracker *t, const void *p)
{
	struct live gone;

	(void)track_take(t, (void *)((uintptr_t)p | POOL_KEY), &gone);
}

/* ---- reports ------------------------------------------------------------- */

/* The flushed count *total plus the threads' high marks since their last
 * flush, for site id, or, id 0, for the process: the peak a report knows
 * of. Registry held. */
static int64_t high_marks(const int64_t *total, unsigned int id)
{
	int64_t sum = __atomic_load_n(total, __ATOMIC_ACQUIRE); /* before the marks: flush_bytes() */

	for (struct thread *t = registry_threads; t; t = t->next) {
		struct tracker *k = &t->tracker;

		if (!id)
			sum += get(&k->high);
		else if (id < k->nshare)
			sum += get(&k->share[id].high);
	}
	return sum;
}

static struct memstats_live *ages;       /* by id, during a snapshot */
static unsigned int nages, snapshot_now;

static void age_one(const struct live *v, void *arg)
{
	int b = track_age_bucket(snapshot_now - v->born);

	int64_t n, bytes;

	(void)arg;
	block_counts(v, track_sampled, &n, &bytes);
	if (v->id < nages) {
		ages[v->id].age_blocks[b] += (memstats_u64)n;
		ages[v->id].age_bytes[b] += (memstats_u64)bytes;
	}
}

void track_snapshot_begin(unsigned int nids)
{
	if (!track_on)
		return;
	ages = calloc(nids ? nids : 1, sizeof(*ages));
	nages = ages ? nids : 0;
	snapshot_now = track_now();
	live_each(&orphans, age_one, NULL);
	for (struct thread *t = registry_threads; t; t = t->next)
		live_each(&t->tracker.table, age_one, NULL);
	raise_peak(&peak_bytes, high_marks(&live_bytes, 0));
}

static memstats_u64 not_negative(int64_t v)
{
	return v > 0 ? (memstats_u64)v : 0; /* only while a share is being changed */
}

void track_snapshot_row(unsigned int id, struct memstats_live *out)
{
	struct site_live *sl = site_live(id);
	int64_t blocks, bytes;

	memset(out, 0, sizeof(*out));
	if (!track_on || !id || !sl)
		return;
	if (id < nages)
		*out = ages[id];
	raise_peak(&sl->peak, high_marks(&sl->bytes, id));
	blocks = get(&sl->blocks);
	bytes = get(&sl->bytes);
	for (struct thread *t = registry_threads; t; t = t->next) {
		if (id < t->tracker.nshare) {
			blocks += get(&t->tracker.share[id].blocks);
			bytes += get(&t->tracker.share[id].bytes);
		}
	}
	out->blocks = not_negative(blocks);
	out->bytes = not_negative(bytes);
	out->peak_bytes = not_negative(get(&sl->peak));
}

void track_snapshot_end(void)
{
	free(ages);
	ages = NULL;
	nages = 0;
}

void track_totals(memstats_u64 *peak, memstats_u64 *foreign)
{
	*peak = not_negative(get(&peak_bytes));
	*foreign = __atomic_load_n(&foreign_frees, __ATOMIC_RELAXED);
}

static int64_t below_zero(int64_t v)
{
	return v < 0 ? v : 0;
}

/* After memstats_reset(), peaks start again from what is live, the stored
 * peaks from the whole count, the high marks from the shares, but never
 * above zero: a share read just before its owner flushed it must not come
 * back as a mark over the flushed count that holds it already. */
void track_reset_peaks(void)
{
	int64_t all = get(&live_bytes);

	for (struct thread *t = registry_threads; t; t = t->next) {
		struct tracker *k = &t->tracker;

		for (size_t id = 0; id < k->nshare; id++)
			set(&k->share[id].high, below_zero(get(&k->share[id].bytes)));
		set(&k->high, below_zero(get(&k->bytes)));
		all += get(&k->bytes);
	}
	__atomic_store_n(&peak_bytes, all, __ATOMIC_RELAXED);
	for (unsigned int k = 0; k < MAX_CHUNKS && chunks[k]; k++) {
		for (unsigned int i = 0; i < CHUNK_SITES; i++) {
			unsigned int id = k * CHUNK_SITES + i;
			struct memstats_live now;

			track_snapshot_row(id, &now);
			__atomic_store_n(&chunks[k][i].peak, (int64_t)now.bytes, __ATOMIC_RELAXED);
		}
	}
}
