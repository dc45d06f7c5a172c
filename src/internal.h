/* internal.h - what the runtime's files share, grouped by the file that owns
 * it, lowest layer first. A file calls only into the sections above its own
 * (scripts/deps.sh draws the graph from the objects; make check fails on a
 * cycle). One allocation, from the macro to the report:
 *
 *   memstats/sites.h   the site record and the inline counting
 *   alloc.c ...        the out-of-line wrappers  -> count.c (one counted call)
 *   count.c            -> thread.c (this thread's state) -> counters.c (its
 *                      slot for the site), track.c (its live block)
 *   api.c              memstats_dump() -> dump.c -> snapshot.c (rows, under
 *                      registry.c's lock) -> report.c (order, totals) ->
 *                      report-*.c (formats) -> output.c (where) -> writer.c
 *
 * The runtime is built with MEMSTATS_DISABLE, so the libc calls below are
 * the real ones and the runtime never recurses into its own instrumentation.
 */
#ifndef MEMSTATS_INTERNAL_H
#define MEMSTATS_INTERNAL_H

#ifndef MEMSTATS_DISABLE
#error "the runtime must be built with -DMEMSTATS_DISABLE"
#endif

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "memstats.h"

/* Internal names are hidden: reached without the GOT, never exported. */
#pragma GCC visibility push(hidden)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- relaxed access (header only) ---------------------------------------
 * A value one thread writes and others read: a relaxed load and store
 * compile to plain instructions, and keep the compiler (and TSan) from
 * tearing or flagging them. No lock prefix: only the owner adds. */
#define relaxed_get(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define relaxed_add(p, v) __atomic_store_n((p), relaxed_get(p) + (v), __ATOMIC_RELAXED)

/* The counters (MEMSTATS_COUNTERS in memstats.h), expanded. */
static inline void counters_add(struct memstats_counters *t, const struct memstats_counters *c)
{
#define ADD_(name, meaning) t->name += relaxed_get(&c->name);
	MEMSTATS_COUNTERS(ADD_)
#undef ADD_
}

static inline void counters_sub(struct memstats_counters *t, const struct memstats_counters *c)
{
#define SUB_(name, meaning) t->name -= c->name;
	MEMSTATS_COUNTERS(SUB_)
#undef SUB_
}

static inline int counters_any(const struct memstats_counters *c)
{
#define ANY_(name, meaning) || c->name
	return 0 MEMSTATS_COUNTERS(ANY_);
#undef ANY_
}

/* ---- busy.c: the runtime at work on its own account ---------------------- */

/* What a call counted by return address reads of its thread, in one place
 * (one load of its offset): the view of the thread's counter slots it
 * counts through (counters.c keeps it) and the busy mark. Exported for the
 * preload library; initial-exec, as both are loaded at start-up. */
struct callers_tls {
	struct memstats_counters *slot;   /* like memstats_tls_ (see counters.c) */
	unsigned int limit;
	int busy;                         /* the runtime at work on its own account */
};
extern __thread struct callers_tls memstats__callers_tls
	__attribute__((tls_model("initial-exec"), visibility("default")));

/* Non-zero while this thread does the runtime's own work: the preload
 * library counts no allocation then. */
#define memstats__busy (memstats__callers_tls.busy)

/* ---- writer.c: buffered output to a file descriptor --------------------- */

#define W_STALL_MS 10000                  /* a reader that takes nothing this long: given up on */

struct writer {
	int fd;
	int err;                          /* first errno seen, 0 if none; ETIMEDOUT: stalled */
	int stall_ms;                     /* how long a non-blocking fd may refuse every byte */
	size_t len;
	char buf[16384];
};

void w_init(struct writer *w, int fd);
void w_put(struct writer *w, const char *s, size_t n);
void w_str(struct writer *w, const char *s);
void w_u64(struct writer *w, memstats_u64 v);
void w_i64(struct writer *w, int64_t v);
void w_pad(struct writer *w, char c, size_t n);
void w_json_str(struct writer *w, const char *s);   /* quoted and escaped; NULL: null */
void w_csv_str(struct writer *w, const char *s);    /* quoted when needed; NULL: empty */
int w_flush(struct writer *w);                       /* 0, or -1 with errno */
size_t u64_len(memstats_u64 v);

/* ---- warn.c: one line on stderr ------------------------------------------ */

/* One whole line to fd (if >= 0), cut to fit 512 bytes; never SIGPIPE. */
void warnf_fd(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- clock.c: the clock that dates tracked blocks ------------------------ */

typedef int (*clock_fn)(clockid_t, struct timespec *);
extern clock_fn clock_coarse;     /* the vDSO's clock_gettime, else glibc's */
void clock_init(void);            /* track_init()'s: finds the vDSO's */

#define CLOCK_TICKS_PER_S 100u
/* The coarse monotonic clock in hundredths of a second, modulo 2^32: ages
 * are differences modulo 2^32, right up to 497 days. Unsigned, from the
 * clock's own origin: a multiply and a shift, no sign to fix. */
static inline unsigned int clock_ticks(void)
{
	struct timespec ts;

	clock_coarse(CLOCK_MONOTONIC_COARSE, &ts);
	return (unsigned int)ts.tv_sec * CLOCK_TICKS_PER_S + (unsigned int)ts.tv_nsec / (1000000000u / CLOCK_TICKS_PER_S);
}

/* ---- usable.c: usable sizes ----------------------------------------------- */

/* Whether glibc's chunk header (memstats_usable_ in memstats/sites.h) gives
 * the exact malloc_usable_size() in this process: set once at start-up. */
extern int usable_from_header;
/* The malloc behind the program's (the preload library's next one), if
 * not the one the name malloc finds: whether it is glibc's is checked. */
extern void *(*usable_allocator)(size_t);
void usable_init(void);
size_t usable_size_slow(void *p);

static inline size_t usable_size(void *p)
{
	if (__builtin_expect(relaxed_get(&usable_from_header), 1))
		return (size_t)memstats_usable_(p);
	return usable_size_slow(p);
}

/* ---- live-table.c: live blocks by address -------------------------------- */

#define LIVE_EMPTY 0

struct live {
	uintptr_t key;                    /* the block's address; LIVE_EMPTY in a slot never used */
	memstats_u64 size;                /* bytes requested */
	unsigned int id;                  /* the allocating site's number; 0 once the block is gone */
	unsigned int born;                /* track_now() when allocated */
};

struct live_table {
	struct live *e;                   /* e[0..mask], or NULL */
	size_t mask;
	size_t used;                      /* slots not empty (live or gone) */
	unsigned int shift;               /* 64 - log2(mask + 1) */
	size_t room;                      /* the most used before a rebuild: 3/4 of the slots; 0 without e */
};

/* Whether t must be rebuilt before the next live_put(): at most 3/4 full. */
static inline int live_full(const struct live_table *t)
{
	return t->used >= t->room;
}
/* A new array for t's live entries, at most half full. 0, or -1 (t untouched). */
int live_rebuild(struct live_table *t);

static inline uintptr_t live_key_at(const struct live *e)
{
	return __atomic_load_n(&e->key, __ATOMIC_RELAXED);
}

static inline unsigned int live_id_at(const struct live *e)
{
	return __atomic_load_n(&e->id, __ATOMIC_ACQUIRE);
}

/* Blocks of one 4 KiB page map to one run of 256 slots, in address order,
 * from a slot the page number picks (Fibonacci hashing): blocks allocated
 * one after the other land in neighbouring slots, so a table of millions of
 * blocks is walked a cache line at a time, not a miss per block (runs of
 * 32 slots take a fifth fewer instructions on a hash map of 400,000 blocks
 * but more time: its probes leave the cache lines; so does a probe step
 * from the key, which halved the hash map's tracking instructions and made
 * it 1.3 times slower). A run starts at any slot, not at a multiple of 256:
 * pages of 32-byte blocks fill half a run each, and runs that all but
 * coincide, as aligned ones did whenever three pages met, made probes of
 * 60 slots on a hash map of a million keys (4.29 -> 4.02 G instructions). */
static inline size_t live_first_slot(const struct live_table *t, uintptr_t key)
{
	size_t run = (size_t)(((uint64_t)(key >> 12) * 0x9e3779b97f4a7c15ull) >> t->shift);

	return (run + (size_t)((key >> 4) & 0xff)) & t->mask;
}

static inline void live_store(struct live *e, const struct live *v)
{
	__atomic_store_n(&e->key, v->key, __ATOMIC_RELAXED);
	__atomic_store_n(&e->size, v->size, __ATOMIC_RELAXED);
	__atomic_store_n(&e->born, v->born, __ATOMIC_RELAXED);
	__atomic_store_n(&e->id, v->id, __ATOMIC_RELEASE);
}

static inline void live_load(const struct live *e, uintptr_t key, unsigned int id, struct live *out)
{
	out->key = key;
	out->id = id;
	out->size = __atomic_load_n(&e->size, __ATOMIC_RELAXED);
	out->born = __atomic_load_n(&e->born, __ATOMIC_RELAXED);
}

/* Adds v (t must not be full). Returns 1 with *stale filled if an entry for
 * the same address was there (replaced), else 0. A freed address is most
 * often handed out again soon: its put stops at its own gone entry, since
 * no live entry for an address lies past one of its gone ones (a put stops
 * at the first it meets, and so does a take). */
static inline __attribute__((always_inline)) int live_put(struct live_table *t, const struct live *v, struct live *stale)
{
	size_t i = live_first_slot(t, v->key), slot = SIZE_MAX;

	for (;; i = (i + 1) & t->mask) {
		struct live *e = &t->e[i];
		uintptr_t key = live_key_at(e);
		unsigned int id;

		if (key == LIVE_EMPTY) {
			if (slot == SIZE_MAX) {
				slot = i;
				t->used++;
			}
			break;
		}
		id = live_id_at(e);
		if (key == v->key) {
			if (!id) /* its own gone entry: no live one lies further */
				break;
			live_load(e, key, id, stale); /* its block was freed where we could not see */
			live_store(e, v);
			return 1;
		}
		if (!id && slot == SIZE_MAX)
			slot = i;
	}
	live_store(&t->e[slot == SIZE_MAX ? i : slot], v);
	return 0;
}

/* Removes key's entry into *out: 1, or 0 if there is none. */
static inline __attribute__((always_inline)) int live_take(struct live_table *t, uintptr_t key, struct live *out)
{
	if (!t->e)
		return 0;
	for (size_t i = live_first_slot(t, key);; i = (i + 1) & t->mask) {
		struct live *e = &t->e[i];
		uintptr_t k = live_key_at(e);

		if (k == key) {
			unsigned int id = live_id_at(e);

			/* gone already (no live one further); or, read from another
			 * thread, the owner put another block in this gone slot
			 * between the two loads: the key read again tells */
			if (!id)
				return 0;
			live_load(e, k, id, out);
			if (live_key_at(e) != key)
				return 0;
			__atomic_store_n(&e->id, 0, __ATOMIC_RELEASE);
			return 1;
		}
		if (k == LIVE_EMPTY)
			return 0;
	}
}
void live_each(const struct live_table *t, void (*fn)(const struct live *v, void *arg), void *arg);
void live_free(struct live_table *t);   /* t empty again */

/* ---- path-walk.c: where a report's path leads ---------------------------- */

struct walk_end {
	int dirfd;                        /* the directory of the file (O_PATH), the caller closes it */
	int exists;                       /* the file is there: st is its lstat */
	struct stat st;
	char name[NAME_MAX + 1];          /* its name in dirfd */
};

/* Follows path to its file's directory, a component at a time, through no
 * symbolic link that fs.protected_symlinks would refuse. 0, or -1 with
 * errno set (EACCES for such a link, *why saying so). */
int path_walk(const char *path, struct walk_end *end, const char **why);
/* Whether fs.protected_symlinks lets follower follow a link owned by
 * link_owner in directory dir. */
int link_may_be_followed(uid_t link_owner, const struct stat *dir, uid_t follower);

/* ---- symbols.c: what code an address is ---------------------------------- */

struct frame {
	const char *func;                 /* NULL: not known */
	const char *file;                 /* NULL: no debug information */
	unsigned int line;
};

/* What symbols_lookup() finds at an address: its inline frames, innermost
 * first (frame k's file and line: where in it frame k-1 was called; frame
 * 0's: the address's own), and its object. Strings live in buf. */
struct frames {
	int n;
	struct frame f[16];
	uintptr_t func_offset;            /* from the start of its (real) function */
	uintptr_t module_start;           /* where its object is loaded */
	char module[1024];                /* its object's path ("" if not known) */
	size_t used;
	char buf[2048];
};

void symbols_init(void);                  /* libdw, if it is there: before it is needed */
int symbols_owns(uintptr_t addr);         /* in an object that loading libdw brought in */
void symbols_lookup(uintptr_t addr, struct frames *fr);
/* The name of the function whose code holds addr (scratch: fr). */
const char *symbols_function(uintptr_t addr, struct frames *fr);
void symbols_forget(void);                /* an object was unloaded: look again */
void symbols_fork_prepare(void);
void symbols_fork_after(void);

/* ---- options.c: the settings (MEMSTATS_*), read once ---------------------- */

enum output_kind { OUTPUT_STDERR, OUTPUT_STDOUT, OUTPUT_OFF, OUTPUT_PATH };

struct config {
	struct memstats_options report;   /* report.match points into match[] */
	enum output_kind output;
	unsigned int interval;            /* MEMSTATS_INTERVAL: seconds between reports; 0: none */
	int signal;                       /* MEMSTATS_SIGNAL: the signal that asks for one; 0: none */
	int track;                        /* MEMSTATS_TRACK: live tracking (1 exact, 2 sampled) */
	memstats_u64 sample;              /* MEMSTATS_SAMPLE: the mean bytes between samples */
	char path[PATH_MAX];              /* OUTPUT_PATH: the template, %p unexpanded */
	char match[256];
	char wrappers[4096];              /* MEMSTATS_WRAPPERS: function names, comma-separated */
	char fail[1024];                  /* MEMSTATS_FAIL: the fault injection spec (fail.c reads it) */
	int callers;                      /* start-up: wrappers named or the preload library there */
};

/* The process's settings: filled by start-up, read-only afterwards. */
extern struct config config;

typedef char *(*getenv_fn)(const char *name);

/* Fills *cfg from the file MEMSTATS_CONFIG names, then the environment
 * over it, through get (secure_getenv in the runtime: a setuid program reads
 * neither). A bad value or line writes one line naming it to warn_fd (if
 * >= 0) and leaves what was there. Returns the number of bad values. */
int config_parse(struct config *cfg, getenv_fn get, int warn_fd);

/* ---- wrappers.c: the program's allocator wrappers, by name ---------------- */

void wrappers_init(const char *list);     /* MEMSTATS_WRAPPERS's value, once */
size_t wrappers_count(void);
/* The stored name if name is a declared wrapper's (then marked as seen). */
const char *wrapper_named(const char *name);
size_t wrappers_unseen(const char **out, size_t max); /* the names no call was seen in */

/* ---- registry.c: what the runtime knows, under its one lock -------------
 * Every object (executable, shared object) and its sites; the number each
 * site gets at its first call; every thread's state. The lock only locks;
 * nothing under it calls into ld.so (dladdr), user code or a writer. */

void registry_lock(void);
void registry_unlock(void);

/* A section of sites of the object holding anchor. */
void registry_add_section(struct memstats_site *start, struct memstats_site *stop, const void *anchor);
/* The object holding anchor is being unloaded (or the program exits).
 * Returns its base, or 0 (the executable, never unloaded). */
uintptr_t registry_unload(const void *anchor);
extern unsigned int registry_unloads;    /* objects unloaded so far (relaxed reads) */
/* A C++ record's description (memstats__describe). */
void registry_describe(struct memstats_site *s, const char *file, unsigned int line, const char *func,
		       unsigned int op, const char *api, const char *type);
/* s's number, given at its first call (a site outside a section is listed
 * then); 0 if out of memory. */
unsigned int site_id(struct memstats_site *s);
struct memstats_site *registry_site_of_id(unsigned int id);  /* registry held */
unsigned int registry_ids(void);          /* one more than the highest number; registry held */
/* A number for a record of another module's (callers.c's), which walks it
 * itself; 0 if out of memory. */
unsigned int registry_number(struct memstats_site *s);
size_t registry_objects(void);            /* objects registered so far */
/* Lists d (pool.c's row of base for one name) under base's object, as a
 * site outside a section, and numbers it (or it takes back the number of
 * the same row in an earlier life of the object). 0, or -1. */
int registry_add_named(struct memstats_site *d, const struct memstats_site *base);

/* Calls fn on every site (in sections, listed, kept from unloaded objects),
 * with the path of its object. Registry held. */
typedef void (*site_fn)(struct memstats_site *s, const char *object, void *arg);
void registry_walk(site_fn fn, void *arg);

/* The threads' states (thread.c), listed here so that counting and tracking
 * can read every thread's part without depending on thread.c. */
struct thread;
extern struct thread *registry_threads;   /* registry held */
void registry_add_thread(struct thread *t);
void registry_remove_thread(struct thread *t);

/* ---- callers.c: calls counted by return address ------------------------- */

/* A thread's cache of the records its calls found last (in its state). */
#define CALLER_CACHE 64
struct caller_cache {
	uintptr_t tag, pc, ra;
	struct memstats_site *record;
	unsigned int id;                  /* its number */
};

/* The record that counts a call known by tag (the macro site from, in a
 * wrapper; or the preload library's api number), pc (the call's return
 * address) and ra (the return address of the function holding a wrapper
 * site; 0 from the preload library), through the thread's cache hot
 * (CALLER_CACHE entries, or NULL). NULL if out of memory. */
struct memstats_site *callers_lookup(struct caller_cache *hot, uintptr_t tag, const struct memstats_site *from,
				     unsigned int op, const char *api, const char *type, uintptr_t pc, uintptr_t ra);
static inline size_t callers_hot_slot(uintptr_t tag, uintptr_t pc)
{
	return (size_t)((pc ^ (pc >> 9) ^ (tag << 3)) & (CALLER_CACHE - 1));
}
static inline struct memstats_site *callers_record(struct caller_cache *hot, uintptr_t tag,
						   const struct memstats_site *from, unsigned int op, const char *api,
						   const char *type, uintptr_t pc, uintptr_t ra)
{
	struct caller_cache *h = hot ? &hot[callers_hot_slot(tag, pc)] : NULL;

	if (__builtin_expect(h && h->pc == pc && h->tag == tag && h->ra == ra, 1))
		return h->record;
	return callers_lookup(hot, tag, from, op, api, type, pc, ra);
}
/* Changes when an object is unloaded: a thread's cache of records by
 * address is dropped then, as its addresses may be another object's next. */
extern unsigned int callers_epoch;
void callers_resolve_all(void);           /* before a report: what every record is */
void callers_unloading(uintptr_t base);   /* the object at base is about to go */

struct caller_row {                       /* a record as callers_walk() shows it */
	struct memstats_site *site;       /* its number, counters, op, api, type */
	const char *file, *func, *object; /* NULL until resolved, or not known */
	unsigned int line;
	uintptr_t offset, func_offset;
	const char *const *via;           /* MEMSTATS_VIA_MAX names, NULL after the last */
};
void callers_walk(void (*fn)(const struct caller_row *row, void *arg), void *arg);
void callers_fork_prepare(void);
void callers_fork_after(void);

/* ---- counters.c: the per-call counts, per thread -------------------------
 * Every thread has its own slot per site number, written only by that
 * thread. A site's count is its own counters plus every thread's slot. */

struct slots {
	size_t cap;                       /* c[0..cap) exist; numbers start at 1 */
	struct memstats_counters *c;
	int all_out;                      /* an open scope: every call out of line (scope.c) */
	struct memstats_tls *tls;         /* the thread's views of them, once published, for */
	struct callers_tls *ctls;         /* another thread to empty (counters_route_all_out) */
};
/* Set once a fault injection spec was armed: every call out of line. */
extern int counters_all_out;
/* Sampled tracking's map of blocks, published in every thread's view. */
extern const unsigned short *counters_sample_map;
/* counters_all_out set, and every thread's views emptied (each thread's
 * calls out of line from its next one on). */
void counters_route_all_out(void);

/* Whether callers may count inline (memstats_tls_.limit > 0): set once at
 * start-up. */
extern int counters_inline_ok;

/* sl's slot for s, making room first (registry taken then). NULL if out of
 * memory: the call is then not counted, and the allocation still served. */
struct memstats_counters *counters_slot_slow(struct slots *sl, struct memstats_site *s);
static inline struct memstats_counters *counters_slot(struct slots *sl, struct memstats_site *s)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	if (__builtin_expect(id && id < sl->cap, 1))
		return &sl->c[id];
	return counters_slot_slow(sl, s);
}
/* memstats__callers_tls.slot and limit (busy.c) are the view of this
 * thread's slots that calls counted by return address use for callers seen
 * before (their record's number in a cache: the thread's, for wrapper
 * sites; the preload library's own): like memstats_tls_, limit 0 until the
 * thread has slots, when glibc's header is not the exact usable size, and
 * while live tracking is on. */
extern int counters_callers_ok;           /* set once at start-up */

/* What the callers' inline counting and the preload library may use of this
 * thread's sl (NULL: none, every call out of line). */
void counters_publish(struct slots *sl);
void counters_fold(struct slots *sl);     /* a thread gone: its counts into the sites; registry held */
void counters_total(const struct memstats_site *s, struct memstats_counters *out); /* registry held */
void counters_reset(struct memstats_site *s); /* from now on s counts from zero; registry held */

/* ---- track.c: live tracking (MEMSTATS_TRACK=1) ---------------------------- */

struct share;
struct tracker {                          /* a thread's part of the live blocks */
	struct live_table table;          /* blocks this thread allocated */
	struct share *share;              /* its share of each site's live blocks, by number */
	size_t nshare;
	int64_t bytes;                    /* its share of the process's live bytes */
	int64_t high;                     /* the highest since it was last flushed */
	uint64_t rng;                     /* sampled: its random numbers (0: not seeded yet) */
};

extern int track_on;                      /* set once at start-up */
extern int track_sampled;                 /* MEMSTATS_TRACK=sample: track_on too */
extern memstats_u64 track_sample_bytes;   /* its mean gap between samples */
void track_init(memstats_u64 sample_bytes); /* 0: exact */
/* Sampled: block p (counted) is the thread's next sample; a new gap drawn
 * into memstats_tls_.sample_left, the countdown the inline path shares.
 * Exact: p is tracked, and the thread's next calls take the short way. */
void track_sample(struct tracker *t, struct memstats_site *s, void *p, memstats_u64 size);
/* The short way of the inline path's tracked calls (count.c): this
 * thread's tracker once a tracked call of its own has gone the whole way
 * with exact tracking (the runtime started; NULL again when the thread
 * exits). A forked child with work pending gets no inline call meanwhile
 * (periodic.c routes its calls out), so it needs no check of its own. */
extern __thread struct tracker *track_mine __attribute__((tls_model("initial-exec")));
void track_exact_alloc(struct tracker *t, struct memstats_site *s, void *p, memstats_u64 size);
void track_exact_free(struct tracker *t, void *p);
const unsigned short *track_sample_map(void); /* the map the inline free reads; NULL unless sampled */
/* Block p, of size bytes requested at site s (counted already), is live. */
void track_alloc(struct tracker *t, struct memstats_site *s, void *p, memstats_u64 size);
/* Block p is about to be freed; a block not tracked counts as foreign. */
void track_free(struct tracker *t, void *p);
/* realloc: takes p's entry out before the call (1 if tracked), and puts it
 * back if the call failed. */
int track_take(struct tracker *t, void *p, struct live *saved);
void track_restore(struct tracker *t, const struct live *saved);
void track_foreign(void);                 /* a block not tracked was freed */
/* A pool object (pool.c's), tracked apart from the heap's blocks. */
#define POOL_KEY ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1))
void track_pool_alloc(struct tracker *t, struct memstats_site *s, const void *p, memstats_u64 size);
void track_pool_free(struct tracker *t, const void *p);
void track_thread_gone(struct tracker *t); /* its blocks become orphans; registry held */
unsigned int track_ticks_per_s(void);
/* The age bucket (0..MEMSTATS_AGE_BUCKETS-1) of a block age_ticks old. */
int track_age_bucket(unsigned int age_ticks);
extern const unsigned int track_age_min_s[MEMSTATS_AGE_BUCKETS];

/* For a snapshot (registry held): begin() walks the tables once (numbers
 * below nids), row() fills a site's live data, end() frees what begin() made. */
void track_snapshot_begin(unsigned int nids);
void track_snapshot_row(unsigned int id, struct memstats_live *out);
void track_snapshot_end(void);
void track_totals(memstats_u64 *peak_bytes, memstats_u64 *foreign_frees);
void track_reset_peaks(void);             /* registry held */

/* ---- thread.c: one state per thread, for counting and tracking ----------- */

/* scope.c: a thread's open scopes; count.c adds to it while depth > 0. */
struct scope_state {
	unsigned int depth;               /* scopes open */
	unsigned int seq;                 /* scopes begun so far: the newest's number */
	memstats_u64 acc[6];              /* calls, failed, bytes, alloc_bytes, free_bytes, allocation calls */
	struct live_table blocks;         /* allocated while one is open: born = seq then */
};
void scope_alloc(struct scope_state *sc, memstats_u64 req, void *p, int failed);
void scope_free(struct scope_state *sc, void *ptr);
/* freed: the old block when realloc freed or moved it, else NULL */
void scope_realloc(struct scope_state *sc, void *freed, memstats_u64 old_usable, memstats_u64 size, void *p);

struct thread {
	struct slots slots;               /* counters.c */
	struct scope_state scope;         /* scope.c */
	struct tracker tracker;           /* track.c */
	struct caller_cache *callers;     /* callers.c's, made at the thread's first caller row */
	unsigned int callers_epoch;       /* callers_epoch when callers was filled */
	struct pool_cache *pools;         /* pool.c's last rows, made at the thread's first pool call */
	struct thread *next;              /* registry_threads */
};

/* This thread's state, made at its first counted call (then listed, and
 * folded into the sites when the thread exits). NULL if out of memory. */
extern __thread struct thread *thread_mine __attribute__((tls_model("initial-exec")));
struct thread *thread_new(void);
static inline struct thread *thread_get(void)
{
	struct thread *t = thread_mine;

	return __builtin_expect(t != NULL, 1) ? t : thread_new();
}
void thread_after_fork_child(void);       /* the others are gone: folded */
void thread_route_out(void);              /* this thread's calls out of line for a while */
void thread_route_in(void);               /* and inline again */

/* ---- rows.c: the fields of a report's rows, and their order ---------------- */

/* The counters and the live fields as data, for the formats. */
struct row_field {
	const char *name;                 /* the JSON key and CSV column */
	size_t offset;                    /* in struct memstats_row */
};
extern const struct row_field counter_fields[];
extern const size_t ncounter_fields;
extern const struct row_field live_fields[]; /* live_blocks, live_bytes, peak_live_bytes */
extern const size_t nlive_fields;

static inline memstats_u64 row_field_value(const struct memstats_row *r, const struct row_field *f)
{
	return *(const memstats_u64 *)(const void *)((const char *)r + f->offset);
}

int str_cmp(const char *a, const char *b);   /* strcmp, NULL as "" */
/* Orders rows by file, line, then what tells two sites on one line apart. */
int row_cmp_site(const struct memstats_row *a, const struct memstats_row *b);
/* What makes two rows one (a report adds them up): object, file, line,
 * func, op, api, type, kind, via; and the offset of a caller without a line. */
int row_cmp_identity(const struct memstats_row *a, const struct memstats_row *b);
int row_is_caller(const struct memstats_row *r);
int64_t row_balance(const struct memstats_counters *c); /* alloc_bytes - free_bytes */
void live_add(struct memstats_live *t, const struct memstats_live *l);

/* ---- snapshot.c: every site as a row, taken under the lock ---------------- */

/* One row per site, taken under the registry lock and returned without it:
 * *rows and *strings (which the rows' strings point into) are malloc'd,
 * the caller frees both. Returns the number of rows, or -1 with errno. */
ssize_t snapshot_take(struct memstats_row **rows, char **strings);

/* ---- text-table.c: aligned tables for people ------------------------------ */

enum cell_kind { CELL_SITE, CELL_TEXT, CELL_NUMBER, CELL_BLANK };

struct cell {
	enum cell_kind kind;
	const char *text;                 /* CELL_TEXT ("-" if NULL) */
	memstats_u64 number;              /* CELL_NUMBER */
};

struct column {
	const char *head;
	int right;                        /* numbers: right-aligned */
	/* row's cell (on the TOTAL line, only number cells are shown) */
	void (*get)(const struct memstats_row *row, const struct column *col, struct cell *out);
	size_t arg;                       /* for get: a field's offset, a bucket, ... */
};

/* A head line, one line per row, then a TOTAL line for total if not NULL.
 * Text columns are left-aligned, numbers right-aligned, two spaces apart. */
void table_write(struct writer *w, const struct column *cols, size_t ncols, const struct memstats_row *const *rows,
		 size_t nrows, const struct memstats_row *total);

/* ---- report.c, report-{text,json,csv,openmetrics}.c: a report ------------- */

struct report {
	struct memstats_row *rows;        /* the rows to print, in order */
	size_t nrows;
	size_t nmatched;                  /* rows before MEMSTATS_TOP cut them */
	size_t nsites;                    /* every site known */
	struct memstats_counters total;   /* over the nmatched rows */
	int track;                        /* live tracking is on: report live memory */
	memstats_u64 sampled;             /* sampled tracking: its mean gap in bytes; 0: exact or off */
	int callers;                      /* caller rows may be in it: JSON version 2 */
	struct memstats_live live;        /* over the nmatched heap rows; peak_bytes: the process's */
	struct memstats_live pool_live;   /* over the nmatched p_alloc rows (pool objects, apart) */
	memstats_u64 foreign_frees;
	long pid;
	const char *program;
	struct memstats_options opt;
};

/* Filters (match, all), totals, sorts and cuts (top) rows[0..n) in place.
 * The report borrows rows; opt->match is borrowed too. */
void report_prepare(struct report *rep, struct memstats_row *rows, size_t n, const struct memstats_options *opt);
int report_write(const struct report *rep, struct writer *w); /* in its format; 0 or -1 with errno */
void report_text(const struct report *rep, struct writer *w);
void report_json(const struct report *rep, struct writer *w);
void report_csv(const struct report *rep, struct writer *w);
void report_openmetrics(const struct report *rep, struct writer *w);

/* ---- output.c: where a report goes ---------------------------------------- */

/* Expands %p (pid), %n (seq, the report's number) and %% in tmpl into out.
 * Returns 0, or -1 (ENAMETOOLONG). */
int output_expand(const char *tmpl, long pid, unsigned long seq, char *out, size_t size);
/* Writes rep to path: through a temporary file renamed into place for a
 * regular file. 0, or -1 with errno set, and *why set when there is more to
 * say than errno's text. */
int output_to_path(const char *path, const struct report *rep, const char **why);
/* The temporary name for name: name.tmp.PID.N, name cut to fit name_max. */
void output_temp_name(const char *name, long pid, unsigned int seq, size_t name_max, char *out);

/* ---- dump.c: writing a report now ----------------------------------------- */

int dump_configured(void);                /* where MEMSTATS_OUTPUT says; 0 or -1 with errno */
int dump_to_fd(int fd, const struct memstats_options *opt);
void dump_fork_prepare(void);             /* fork.c: a report being written finishes first */
void dump_fork_parent(void);
void dump_fork_child(void);               /* the child numbers its reports from 0 */

/* ---- periodic.c: reports while the program runs --------------------------- */

void periodic_start(const struct config *cfg);
/* A forked child's thread starts at its first call into the runtime. */
extern int periodic_pending;
void periodic_resume(void);
void periodic_fork_prepare(void);         /* fork.c: no thread of ours crosses fork() */
void periodic_fork_parent(void);
void periodic_fork_child(void);

/* ---- fork.c: every lock taken across fork(), in one order ------------------
 * (its handlers are registered by its own constructor: nothing to call) */

/* ---- init.c: start-up, once, from the first entry into the runtime -------- */

extern int runtime_ready;
void runtime_start(void);

/* Every entry point (count.c, api.c) calls this first: start-up the first
 * time, and a forked child's pending work. */
static inline void runtime_enter(void)
{
	if (__builtin_expect(!__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE), 0))
		runtime_start();
	if (__builtin_expect(relaxed_get(&periodic_pending), 0))
		periodic_resume();
}

/* ---- count.c: one counted call, out of line -------------------------------- */

#define COUNT_NULL_FAILS 1u                /* a NULL result is a failure (malloc(0)'s is not) */
#define COUNT_INJECTED 2u                  /* the failure is MEMSTATS_FAIL's */

/* A call at site s inside a declared wrapper, from a caller the thread's
 * cache of caller records knows (pc, ra as below), is counted through the
 * callers' view, inline in the entry points: a declared wrapper's common
 * case, in a few loads. The record is looked up before the C library call
 * (and overlaps it), the slot after it (slots may move meanwhile). Any
 * other call goes the whole way: another site, a caller not seen yet, an
 * empty view (until the runtime has started, in a forked child whose
 * thread is pending, while tracking). */
static inline __attribute__((always_inline)) unsigned int count_wrapped_id(const struct memstats_site *s,
									     const void *pc, const void *ra)
{
	const struct thread *t = thread_mine;
	const struct caller_cache *h;

	if (!(relaxed_get(&s->flags) & MEMSTATS_SITE_WRAPPED) || !t || !t->callers)
		return 0;
	h = &t->callers[callers_hot_slot((uintptr_t)s, (uintptr_t)pc)];
	if (h->tag != (uintptr_t)s || h->pc != (uintptr_t)pc || h->ra != (uintptr_t)ra ||
	    t->callers_epoch != relaxed_get(&callers_epoch))
		return 0;
	return h->id;
}

static inline __attribute__((always_inline)) struct memstats_counters *count_callers_slot(unsigned int id)
{
	const struct callers_tls *v = &memstats__callers_tls;

	return __builtin_expect(id - 1u < v->limit, 1) ? v->slot + id : NULL;
}

void count_alloc_slow(struct memstats_site *s, memstats_u64 req, void *p, unsigned int flags, const void *pc,
		      const void *ra);
void count_free_slow(struct memstats_site *s, void *ptr, const void *pc, const void *ra);

/* An allocation call at site s that asked for req bytes and got p. pc: the
 * call's return address (the wrapper's own); ra: the return address of
 * the function holding the site (the macro's MEMSTATS_RA_); id: what
 * count_wrapped_id() said before the call. */
static inline __attribute__((always_inline)) void count_alloc_as(unsigned int id, struct memstats_site *s,
								 memstats_u64 req, void *p, unsigned int flags,
								 const void *pc, const void *ra)
{
	struct memstats_counters *c = count_callers_slot(id);

	if (c)
		memstats_count_(c, req, p, (flags & COUNT_NULL_FAILS) != 0);
	else
		count_alloc_slow(s, req, p, flags, pc, ra);
}

/* The same, looked up after the call. */
static inline __attribute__((always_inline)) void count_alloc(struct memstats_site *s, memstats_u64 req, void *p,
							      unsigned int flags, const void *pc, const void *ra)
{
	count_alloc_as(count_wrapped_id(s, pc, ra), s, req, p, flags, pc, ra);
}

/* A free at site s of ptr (not NULL), before it is freed. */
static inline __attribute__((always_inline)) void count_free(struct memstats_site *s, void *ptr, const void *pc,
							     const void *ra)
{
	struct memstats_counters *c = count_callers_slot(count_wrapped_id(s, pc, ra));

	if (c) {
		memstats_add_(&c->calls, 1);
		memstats_add_(&c->free_bytes, memstats_usable_(ptr));
	} else {
		count_free_slow(s, ptr, pc, ra);
	}
}

/* realloc: begin before the call (the old block leaves the live table:
 * once realloc returns, another thread may be given its address), end
 * after it with its result. */
struct realloc_count {
	memstats_u64 old_usable;
	void *old;                        /* the block given */
	unsigned int injected;            /* COUNT_INJECTED: the call failed by MEMSTATS_FAIL */
	int had_block;                    /* realloc(NULL, n) frees nothing */
	int tracked;
	struct live was;
};
/* The record that counts a call at site s (s, or its caller's record when
 * s is in a declared wrapper): for pool.c, which counts its own calls. */
struct memstats_site *count_record(struct thread *t, struct memstats_site *s, const void *pc, const void *ra);
void count_realloc_begin(struct realloc_count *rc, void *ptr);
void count_realloc_end(struct memstats_site *s, const struct realloc_count *rc, memstats_u64 size, void *p,
		       const void *pc, const void *ra);

/* What the preload library (src/preload/) counts, by number: X(name, op, api). */
#define PRELOAD_APIS(X)                                                                                 \
	X(MALLOC, MALLOC, "malloc") X(CALLOC, CALLOC, "calloc") X(REALLOC, REALLOC, "realloc")           \
	X(FREE, FREE, "free") X(STRDUP, STRDUP, "strdup") X(STRNDUP, STRNDUP, "strndup")                 \
	X(POSIX_MEMALIGN, MALLOC, "posix_memalign") X(ALIGNED_ALLOC, MALLOC, "aligned_alloc")            \
	X(MEMALIGN, MALLOC, "memalign") X(VALLOC, MALLOC, "valloc") X(PVALLOC, MALLOC, "pvalloc")        \
	X(NEW, MALLOC, "operator new") X(NEW_ARRAY, MALLOC, "operator new[]")                            \
	X(NEW_NOTHROW, MALLOC, "operator new(nothrow)") X(NEW_ARRAY_NOTHROW, MALLOC, "operator new[](nothrow)") \
	X(NEW_ALIGN, MALLOC, "operator new(align)") X(NEW_ARRAY_ALIGN, MALLOC, "operator new[](align)")  \
	X(NEW_ALIGN_NOTHROW, MALLOC, "operator new(align, nothrow)")                                     \
	X(NEW_ARRAY_ALIGN_NOTHROW, MALLOC, "operator new[](align, nothrow)")                             \
	X(DELETE, FREE, "operator delete") X(DELETE_ARRAY, FREE, "operator delete[]")                    \
	X(DELETE_SIZE, FREE, "operator delete(size)") X(DELETE_ARRAY_SIZE, FREE, "operator delete[](size)") \
	X(DELETE_ALIGN, FREE, "operator delete(align)") X(DELETE_ARRAY_ALIGN, FREE, "operator delete[](align)") \
	X(DELETE_SIZE_ALIGN, FREE, "operator delete(size, align)")                                       \
	X(DELETE_ARRAY_SIZE_ALIGN, FREE, "operator delete[](size, align)")                               \
	X(DELETE_NOTHROW, FREE, "operator delete(nothrow)") X(DELETE_ARRAY_NOTHROW, FREE, "operator delete[](nothrow)") \
	X(DELETE_ALIGN_NOTHROW, FREE, "operator delete(align, nothrow)")                                 \
	X(DELETE_ARRAY_ALIGN_NOTHROW, FREE, "operator delete[](align, nothrow)")

enum preload_api {
#define ENUM_(name, op, api) PRELOAD_##name,
	PRELOAD_APIS(ENUM_)
#undef ENUM_
	PRELOAD_COUNT_
};

/* The preload library's entry points (exported; pc: its caller's address).
 * A call it has not seen before from pc comes here; the number returned
 * (0: none) is the record its later calls from pc may count at directly,
 * through memstats__callers_tls, until an object is unloaded. */
#define PRELOAD_API_ __attribute__((visibility("default")))
PRELOAD_API_ unsigned int memstats__preload_alloc(unsigned int api, const void *pc, memstats_u64 req, void *p,
						  unsigned int flags);
PRELOAD_API_ unsigned int memstats__preload_free(unsigned int api, const void *pc, void *ptr);
PRELOAD_API_ void memstats__preload_realloc_begin(struct realloc_count *rc, void *ptr);
PRELOAD_API_ void memstats__preload_realloc_end(const void *pc, const struct realloc_count *rc, memstats_u64 size,
						void *p);
/* api.c: from its constructor, with the malloc it calls (for usable sizes) */
PRELOAD_API_ void memstats__preload_start(void *(*next_malloc)(size_t));
PRELOAD_API_ void memstats__preload_unloading(uintptr_t base); /* api.c: dlclose is about to run */
/* api.c: whether code at pc is the runtime's (besides libmemstats and the
 * preload library: the libraries it loaded for itself) */
PRELOAD_API_ int memstats__preload_own(const void *pc);

/* ---- fail.c: fault injection (MEMSTATS_FAIL, memstats_fail_set) ---------- */

extern int fail_armed;                    /* a spec was ever in force (counters_all_out then too) */
void fail_init(const char *spec, const char *log_path); /* start-up: MEMSTATS_FAIL, MEMSTATS_FAIL_LOG */
int fail_set(const char *spec);           /* memstats_fail_set()'s (api.c): 0, or -1 (warned) */
/* Whether this allocation call fails now (it counts as a matching call). */
int fail_decide(const char *file, unsigned int line, const char *func, const char *api, memstats_u64 size);
int fail_site(const struct memstats_site *s, memstats_u64 size); /* the same for a macro site */
/* The entry points' test: nothing but a load while no spec was armed.
 * COUNT_INJECTED when the call at s of size bytes is to fail, else 0. */
static inline unsigned int fail_flags(const struct memstats_site *s, memstats_u64 size)
{
	return __builtin_expect(relaxed_get(&fail_armed), 0) && fail_site(s, size) ? COUNT_INJECTED : 0;
}
/* What an injected failure returns: NULL, errno ENOMEM (set last: the
 * counting may have changed errno). */
#define fail_return(inj, p) ((inj) ? (errno = ENOMEM, (void *)0) : (p))

/* ---- pool.c: a project's own allocator (p_alloc, p_free) ------------------ */

void pool_fork_prepare(void);
void pool_fork_after(void);

/* ---- ha-aligned.c ---------------------------------------------------------- */

/* The smallest power of two >= align and >= sizeof(void *), or 0 if none. */
size_t aligned_round(size_t align);

/* ---- test hooks: only in the unit tests' build (-DMEMSTATS_TEST_HOOKS) ----- */
#ifdef MEMSTATS_TEST_HOOKS
extern unsigned int track_clock_skew;     /* track.c: ticks added to the clock */
extern unsigned int periodic_drain_delay_us; /* periodic.c: widens the wake-to-drain window */
void *clock_vdso_lookup(const void *image, const char *name); /* clock.c: in a copy of a vDSO */
int clock_direct(void);                   /* clock.c: whether this platform looks in the vDSO */
#endif

#pragma GCC visibility pop

#endif /* MEMSTATS_INTERNAL_H */
