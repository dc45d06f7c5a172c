/* memstats-int.h - what the runtime's files share. The runtime is built with
 * MEMSTATS_DISABLE, so the libc calls below are the real ones and the runtime
 * can never recurse into its own instrumentation.
 */
#ifndef MEMSTATS_INT_H
#define MEMSTATS_INT_H

#ifndef MEMSTATS_DISABLE
#error "the runtime must be built with -DMEMSTATS_DISABLE"
#endif

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "memstats.h"

#define MS_HIDDEN __attribute__((visibility("hidden")))

/* ---- counters (alloc.c, free.c, alloc-aligned.c) ---------------------- */

static inline memstats_u64 counter_get(const memstats_u64 *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static inline void counters_add(struct memstats_counters *t, const struct memstats_counters *c)
{
	t->calls += counter_get(&c->calls);
	t->failed += counter_get(&c->failed);
	t->bytes += counter_get(&c->bytes);
	t->alloc_bytes += counter_get(&c->alloc_bytes);
	t->free_bytes += counter_get(&c->free_bytes);
}

/* Adds a site's live data to another row's (rows of one site). */
static inline void live_add(struct memstats_live *t, const struct memstats_live *l)
{
	t->blocks += l->blocks;
	t->bytes += l->bytes;
	t->peak_bytes += l->peak_bytes;
	for (int b = 0; b < MEMSTATS_AGE_BUCKETS; b++) {
		t->age_blocks[b] += l->age_blocks[b];
		t->age_bytes[b] += l->age_bytes[b];
	}
}

/* ---- thread-counters.c: per-thread slots, one per site ----------------- */

struct slots {
	size_t cap;                       /* c[0..cap) exist; ids start at 1 */
	struct memstats_counters *c;
	struct slots *next;
};

MS_HIDDEN extern __thread struct slots *slots_mine __attribute__((tls_model("initial-exec")));
/* Whether callers may count inline (memstats_tls_.limit > 0): set once at
 * start-up, before any thread has slots. */
MS_HIDDEN extern int slots_inline;
MS_HIDDEN struct memstats_counters *slot_slow(struct memstats_site *s);
MS_HIDDEN void slots_init(void);
MS_HIDDEN void slots_after_fork(void);
MS_HIDDEN void slots_total(const struct memstats_site *s, struct memstats_counters *out);
MS_HIDDEN void slots_reset(struct memstats_site *s);
MS_HIDDEN void slots_inline_pause(void);  /* this thread's calls out of line */
MS_HIDDEN void slots_inline_resume(void); /* and inline again */

/* This thread's slot for s: the per-call fast path, no lock, no atomic
 * read-modify-write. NULL only when out of memory. */
static inline struct memstats_counters *site_slot(struct memstats_site *s)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);
	struct slots *t = slots_mine;

	if (__builtin_expect(id && t && id < t->cap, 1))
		return &t->c[id];
	return slot_slow(s);
}

/* Only the owning thread writes a slot; readers load it. Relaxed load and
 * store compile to plain instructions, and keep the compiler (and TSan)
 * from tearing or flagging them. */
static inline void slot_add(memstats_u64 *f, memstats_u64 v)
{
	__atomic_store_n(f, __atomic_load_n(f, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/* An allocation call at site s that asked for req bytes and got p; failed
 * says whether getting nothing was a failure (malloc(0) may return NULL);
 * freed is what it released (realloc's old block). */
MS_HIDDEN void site_count_alloc(struct memstats_site *s, memstats_u64 req, void *p, int failed, memstats_u64 freed);
/* A free at site s of ptr (not NULL), before it is freed. */
MS_HIDDEN void site_count_free(struct memstats_site *s, void *ptr);
/* usable.c: malloc_usable_size(p), read from glibc's chunk header when
 * usable_init() found that exact (usable_from_header), else asked for. */
MS_HIDDEN extern int usable_from_header;
MS_HIDDEN void usable_init(void);
MS_HIDDEN size_t usable_size_slow(void *p);

/* glibc's chunk: the word before the block holds the chunk's size, with
 * flags in its 3 low bits (2: mmapped). A heap chunk lends its block the
 * next chunk's first word; an mmapped one does not. */
static inline size_t usable_from_chunk(const void *p)
{
	/* through an integer: the compiler must not judge this read by the
	 * bounds of the block that malloc handed out */
	size_t head = *(const size_t *)((uintptr_t)p - sizeof(size_t));

	return (head & ~(size_t)7) - (head & 2 ? 2 * sizeof(size_t) : sizeof(size_t));
}

static inline size_t usable_size(void *p)
{
	if (__builtin_expect(__atomic_load_n(&usable_from_header, __ATOMIC_RELAXED), 1))
		return usable_from_chunk(p);
	return usable_size_slow(p);
}
MS_HIDDEN const char *op_name(unsigned int op);

/* ha-aligned.c: the smallest power of two >= align and >= sizeof(void *),
 * or 0 if there is none. */
MS_HIDDEN size_t aligned_round(size_t align);

/* ---- live-table.c: live blocks by address ------------------------------ */

#define LIVE_EMPTY 0
#define LIVE_GONE 1

struct live {
	uintptr_t key;                    /* the block's address; LIVE_EMPTY or LIVE_GONE in a free slot */
	memstats_u64 size;                /* bytes requested */
	unsigned int id;                  /* the allocating site's number */
	unsigned int born;                /* track_now() when allocated */
};

struct live_table {
	struct live *e;                   /* e[0..mask], or NULL */
	size_t mask;
	size_t used;                      /* slots not empty (live or gone) */
	unsigned int shift;               /* 64 - log2(mask + 1) */
};

/* Whether t must be rebuilt before the next live_put(): at most 3/4 full. */
static inline int live_full(const struct live_table *t)
{
	return !t->e || (t->used + 1) * 4 > (t->mask + 1) * 3;
}
/* A new array for t's live entries, at most half full. 0, or -1 (t untouched). */
MS_HIDDEN int live_rebuild(struct live_table *t);
/* Adds v (t must not be full). Returns 1 with *stale filled if an entry for
 * the same address was there (replaced), else 0. */
MS_HIDDEN int live_put(struct live_table *t, const struct live *v, struct live *stale);
/* Removes key's entry into *out: 1, or 0 if there is none. */
MS_HIDDEN int live_take(struct live_table *t, uintptr_t key, struct live *out);
MS_HIDDEN void live_each(const struct live_table *t, void (*fn)(const struct live *v, void *arg), void *arg);
MS_HIDDEN void live_free(struct live_table *t);   /* t empty again */

/* ---- track.c: live tracking (MEMSTATS_TRACK=1) ------------------------ */

MS_HIDDEN extern int track_on;            /* set once at start-up */
MS_HIDDEN void track_init(void);
MS_HIDDEN void track_after_fork(void);    /* in the child, registry held */
/* Block p, of size bytes requested at site s (counted already), is live. */
MS_HIDDEN void track_alloc(struct memstats_site *s, void *p, memstats_u64 size);
/* Block p is about to be freed: 1 if it was tracked, 0 if foreign (counted). */
MS_HIDDEN int track_free(void *p);
MS_HIDDEN extern unsigned int track_clock_skew;   /* tests: ticks added to the clock */
/* realloc: takes p's entry out before the call (1 if tracked), and puts it
 * back if the call failed. */
MS_HIDDEN int track_take(void *p, struct live *saved);
MS_HIDDEN void track_restore(const struct live *saved);
MS_HIDDEN void track_foreign(void);       /* a block not tracked was freed */
MS_HIDDEN unsigned int track_now(void);
MS_HIDDEN unsigned int track_ticks_per_s(void);
/* The age bucket (0..MEMSTATS_AGE_BUCKETS-1) of a block age_ticks old. */
MS_HIDDEN int track_age_bucket(unsigned int age_ticks);

/* For a snapshot (registry held): begin() walks the tables once (ids below
 * nids), row() fills a site's live data, end() frees what begin() made. */
MS_HIDDEN void track_snapshot_begin(unsigned int nids);
MS_HIDDEN void track_snapshot_row(unsigned int id, struct memstats_live *out);
MS_HIDDEN void track_snapshot_end(void);
MS_HIDDEN void track_totals(memstats_u64 *peak_bytes, memstats_u64 *foreign_frees);
MS_HIDDEN void track_reset_peaks(void);   /* registry held */

/* ---- registry.c: the sections of every instrumented object ------------ */

/* Snapshot of every known site, one row per site, taken under the lock
 * and returned without it: *rows and *strings (which the rows' strings
 * point into) are malloc'd, the caller frees both. Returns the number of
 * rows, or -1 with errno set. */
MS_HIDDEN ssize_t registry_snapshot(struct memstats_row **rows, char **strings);
MS_HIDDEN void registry_hold(void);
MS_HIDDEN void registry_release(void);
MS_HIDDEN size_t registry_objects(void);
/* s's number, given at its first call (a C++ site is listed then too); 0 if
 * out of memory. */
MS_HIDDEN unsigned int site_id(struct memstats_site *s);
MS_HIDDEN struct memstats_site *registry_site_of_id(unsigned int id);  /* registry held */
MS_HIDDEN void registry_init(void);       /* once, at start-up: fork handlers */

/* ---- options.c: the MEMSTATS_* environment ---------------------------- */

enum output_kind { OUTPUT_STDERR, OUTPUT_STDOUT, OUTPUT_OFF, OUTPUT_PATH };

struct config {
	struct memstats_options report;   /* report.match points into match[] */
	enum output_kind output;
	unsigned int interval;            /* MEMSTATS_INTERVAL: seconds between reports; 0: none */
	int signal;                       /* MEMSTATS_SIGNAL: the signal that asks for one; 0: none */
	char path[PATH_MAX];              /* OUTPUT_PATH: the template, %p unexpanded */
	char match[256];
	int track;                        /* MEMSTATS_TRACK: live tracking */
};

typedef char *(*getenv_fn)(const char *name);

/* Fills *cfg from the environment through get (secure_getenv in the
 * runtime). A bad value writes one line naming it to warn_fd (if >= 0) and
 * leaves the default. Returns the number of bad values. */
MS_HIDDEN int config_parse(struct config *cfg, getenv_fn get, int warn_fd);

/* ---- writer.c: buffered output to a file descriptor ------------------- */

#define W_STALL_MS 10000                  /* a reader that takes nothing this long: given up on */

struct writer {
	int fd;
	int err;                          /* first errno seen, 0 if none; ETIMEDOUT: stalled */
	int stall_ms;                     /* how long a non-blocking fd may refuse every byte */
	size_t len;
	char buf[16384];
};

MS_HIDDEN void w_init(struct writer *w, int fd);
MS_HIDDEN void w_put(struct writer *w, const char *s, size_t n);
MS_HIDDEN void w_str(struct writer *w, const char *s);
MS_HIDDEN void w_u64(struct writer *w, memstats_u64 v);
MS_HIDDEN void w_i64(struct writer *w, int64_t v);
MS_HIDDEN void w_pad(struct writer *w, char c, size_t n);
MS_HIDDEN void w_json_str(struct writer *w, const char *s);   /* quoted and escaped; NULL: null */
MS_HIDDEN void w_csv_str(struct writer *w, const char *s);    /* quoted when needed; NULL: empty */
MS_HIDDEN int w_flush(struct writer *w);                       /* 0, or -1 with errno */
MS_HIDDEN size_t u64_len(memstats_u64 v);

/* ---- report.c: rows to report, in order, with totals ------------------ */

struct report {
	struct memstats_row *rows;        /* the rows to print, in order */
	size_t nrows;
	size_t nmatched;                  /* rows before MEMSTATS_TOP cut them */
	size_t nsites;                    /* every site known */
	struct memstats_counters total;   /* over the nmatched rows */
	int track;                        /* live tracking is on: report live memory */
	struct memstats_live live;        /* over the nmatched rows; peak_bytes: the process's */
	memstats_u64 foreign_frees;
	long pid;
	const char *program;
	struct memstats_options opt;
};

/* Filters (match, all), totals, sorts and cuts (top) rows[0..n) in place.
 * The report borrows rows; opt->match is borrowed too. */
MS_HIDDEN void report_prepare(struct report *rep, struct memstats_row *rows, size_t n,
			      const struct memstats_options *opt);
MS_HIDDEN int report_write(const struct report *rep, struct writer *w);
MS_HIDDEN void report_text(const struct report *rep, struct writer *w);
MS_HIDDEN void report_live_text(const struct report *rep, struct writer *w);
/* The text tables' cells, padded to width: a site (file:line) and strings
 * on the left, numbers on the right. */
MS_HIDDEN size_t site_len(const struct memstats_row *r);
MS_HIDDEN void w_site(struct writer *w, const struct memstats_row *r, size_t width);
MS_HIDDEN void w_left(struct writer *w, const char *s, size_t width);
MS_HIDDEN void w_right(struct writer *w, memstats_u64 v, size_t width);
MS_HIDDEN void w_head(struct writer *w, const char *name, size_t width, int right);   /* a column's head */
MS_HIDDEN void report_json(const struct report *rep, struct writer *w);
MS_HIDDEN void report_csv(const struct report *rep, struct writer *w);
MS_HIDDEN int64_t report_balance(const struct memstats_counters *c);
/* Orders rows by file, line, then what tells two sites on one line apart. */
MS_HIDDEN int row_cmp_site(const struct memstats_row *a, const struct memstats_row *b);
MS_HIDDEN int str_cmp(const char *a, const char *b);   /* strcmp, NULL as "" */

/* ---- output.c: where a report goes ------------------------------------ */

/* Expands %p (pid), %n (seq, the report's number) and %% in tmpl into out.
 * Returns 0, or -1 (ENAMETOOLONG). */
MS_HIDDEN int output_expand(const char *tmpl, long pid, unsigned long seq, char *out, size_t size);
/* Writes rep to path: through a temporary file renamed into place for a
 * regular file (see output.c). 0, or -1 with errno set, and *why set when
 * there is more to say than errno's text. */
MS_HIDDEN int output_to_path(const char *path, const struct report *rep, const char **why);
/* The temporary name for name: name.tmp.PID.N, name cut to fit name_max. */
MS_HIDDEN void output_temp_name(const char *name, long pid, unsigned int seq, size_t name_max, char *out);

/* ---- path-walk.c: where a report's path leads -------------------------- */

struct walk_end {
	int dirfd;                        /* the directory of the file (O_PATH), the caller closes it */
	int exists;                       /* the file is there: st is its lstat */
	struct stat st;
	char name[NAME_MAX + 1];          /* its name in dirfd */
};

/* Follows path to its file's directory, a component at a time, through no
 * symbolic link that fs.protected_symlinks would refuse. 0, or -1 with
 * errno set (EACCES for such a link, *why saying so). */
MS_HIDDEN int path_walk(const char *path, struct walk_end *end, const char **why);
/* Whether fs.protected_symlinks lets follower follow a link owned by
 * link_owner in directory dir. */
MS_HIDDEN int link_may_be_followed(uid_t link_owner, const struct stat *dir, uid_t follower);

/* ---- reporter.c: reports while the program runs ----------------------- */

/* Once, at start-up: a thread that writes a report every cfg->interval
 * seconds and when cfg->signal arrives, if cfg asks for either. */
MS_HIDDEN void reporter_start(const struct config *cfg);
/* A forked child's reporter thread starts at its first call into the
 * runtime: the entry points call runtime_enter(). */
MS_HIDDEN extern int reporter_pending;
MS_HIDDEN void reporter_resume(void);
static inline void runtime_enter(void)
{
	if (__builtin_expect(__atomic_load_n(&reporter_pending, __ATOMIC_RELAXED), 0))
		reporter_resume();
}

/* ---- runtime.c -------------------------------------------------------- */

MS_HIDDEN void runtime_init(void);
MS_HIDDEN void warnf_fd(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MEMSTATS_INT_H */
