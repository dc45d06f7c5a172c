/* callers.c - calls counted by return address: the "caller" rows.
 *
 * Two kinds of calls get here. A call at a macro site inside a declared
 * wrapper (MEMSTATS_WRAPPERS): the site itself counts nothing, the call is
 * counted at the line that called the wrapper. A call the preload library
 * saw from code built without the header. Either way the call is known by
 * a short chain of addresses: the call's own return address (pc) and, for
 * a wrapper site, the return address of the function holding the site (ra:
 * the wrapper's caller, or its caller's caller when the wrapper is inlined,
 * which debug information sorts out at report time). When the function at
 * ra is itself a wrapper (xstrdup calling xmalloc, not inlined) that is not
 * enough: the call walks the stack (the unwinder) to the first frame that
 * is not a wrapper. Only such calls walk; the rest find their record in a
 * small cache of the calling thread's, or with one probe of the table.
 *
 * Each distinct chain gets a record (struct caller), numbered like a site,
 * so that counting, tracking, folding at thread exit and reports all work
 * on it as on any site. Records are found through a hash table read
 * without a lock (entries are written once and published; a grown table
 * replaces the old one, which is kept for readers still in it) and added
 * under callers_lock. What a record's addresses are (file, line, function,
 * wrappers) is worked out when a report is written (resolve()), or when
 * the object holding them is unloaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "internal.h"

#define CALLER_DEPTH 8
#define WALK_DEPTH 32

struct caller {
	struct memstats_site site;        /* what counts: number, own counters, op, api, type */
	const struct memstats_site *from; /* the macro site in a wrapper it was counted at; NULL: preload */
	unsigned int naddr;
	uintptr_t addr[CALLER_DEPTH];     /* pc, then return addresses up the stack */
	int resolved;                     /* the fields below are set (release) */
	char *file, *func;                /* the caller's (ours) */
	unsigned int line;
	char *object;                     /* the object of the attributed call (ours) */
	uintptr_t offset;                 /* its return address in that object */
	uintptr_t func_offset;            /* and from its function's start */
	const char *via[MEMSTATS_VIA_MAX]; /* wrapper names (wrappers.c's), outermost first */
	struct caller *next;
};

/* DEAD: an entry whose addresses were an unloaded object's (never matches) */
enum entry_kind { ENTRY_SHORT, ENTRY_CHAIN, ENTRY_ADDRESS, ENTRY_DEAD };

struct entry {                            /* written once, then published */
	enum entry_kind kind;
	uintptr_t tag, a0, a1;            /* SHORT: (tag, pc, ra); ADDRESS: (0, address, 0) */
	struct caller *c;                 /* SHORT: NULL when the call must walk; CHAIN: the record */
	int is_wrapper;                   /* ADDRESS: its function is a wrapper */
};

struct table {
	size_t mask, used;
	struct entry *slot[];
};

unsigned int callers_epoch;

static pthread_mutex_t callers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct table *table;               /* read with acquire loads */
static struct caller *all;                /* every record, newest first: added under callers_lock,
					     read without it (never freed) */

void callers_fork_prepare(void)
{
	pthread_mutex_lock(&callers_lock);
}

void callers_fork_after(void)
{
	pthread_mutex_unlock(&callers_lock);
}

/* ---- the table ------------------------------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_short(enum entry_kind kind, uintptr_t tag, uintptr_t a0, uintptr_t a1)
{
	return mix(mix(mix((uint64_t)kind, tag), a0), a1);
}

static uint64_t hash_chain(uintptr_t tag, const uintptr_t *a, unsigned int n)
{
	uint64_t h = mix((uint64_t)ENTRY_CHAIN, tag);

	for (unsigned int i = 0; i < n; i++)
		h = mix(h, a[i]);
	return h;
}

static int same_chain(const struct caller *c, const uintptr_t *a, unsigned int n)
{
	return c->naddr == n && memcmp(c->addr, a, n * sizeof(*a)) == 0;
}

static int entry_matches(const struct entry *e, enum entry_kind kind, uintptr_t tag, uintptr_t a0, uintptr_t a1,
			 const uintptr_t *chain, unsigned int n)
{
	if (__atomic_load_n(&e->kind, __ATOMIC_RELAXED) != kind || e->tag != tag)
		return 0;
	if (kind == ENTRY_CHAIN)
		return same_chain(e->c, chain, n);
	return e->a0 == a0 && e->a1 == a1;
}

/* The entry for the key, or NULL: without a lock. */
static struct entry *find(uint64_t h, enum entry_kind kind, uintptr_t tag, uintptr_t a0, uintptr_t a1,
			  const uintptr_t *chain, unsigned int n)
{
	struct table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);

	for (size_t i = t ? h & t->mask : 0; t; i = (i + 1) & t->mask) {
		struct entry *e = __atomic_load_n(&t->slot[i], __ATOMIC_ACQUIRE);

		if (!e)
			return NULL;
		if (entry_matches(e, kind, tag, a0, a1, chain, n))
			return e;
	}
	return NULL;
}

static uint64_t entry_hash(const struct entry *e)
{
	if (e->kind == ENTRY_CHAIN)
		return hash_chain(e->tag, e->c->addr, e->c->naddr);
	return hash_short(e->kind, e->tag, e->a0, e->a1);
}

static void place(struct table *t, struct entry *e)
{
	size_t i = entry_hash(e) & t->mask;

	while (t->slot[i])
		i = (i + 1) & t->mask;
	__atomic_store_n(&t->slot[i], e, __ATOMIC_RELEASE);
	t->used++;
}

/* Adds e, growing the table past half full. callers_lock held. The old
 * table stays allocated: a reader may still be probing it. */
static int add_entry(struct entry *e)
{
	struct table *t = table;

	if (!t || (t->used + 1) * 2 > t->mask + 1) {
		size_t size = t ? 2 * (t->mask + 1) : 1024;
		struct table *n = calloc(1, sizeof(*n) + size * sizeof(n->slot[0]));

		if (!n)
			return -1;
		n->mask = size - 1;
		for (size_t i = 0; t && i <= t->mask; i++)
			if (t->slot[i])
				place(n, t->slot[i]);
		__atomic_store_n(&table, n, __ATOMIC_RELEASE);
		t = n;
	}
	place(t, e);
	return 0;
}

/* ---- records ---------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A new record for the chain, numbered. callers_lock held. */
static struct caller *new_caller(const struct memstats_site *from, unsigned int op, const char *api, const char *type,
				 const uintptr_t *chain, unsigned int n)
{
	struct caller *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	/* a site's strings are in its object, which may be unloaded: copied */
	c->site = (struct memstats_site){ .magic = MEMSTATS_SITE_MAGIC, .op = op, .flags = MEMSTATS_SITE_CALLER,
					  .api = from ? dup_or_null(api) : api, .type = from ? dup_or_null(type) : type };
	c->from = from;
	c->naddr = n < CALLER_DEPTH ? n : CALLER_DEPTH;
	memcpy(c->addr, chain, c->naddr * sizeof(*chain));
	if (!registry_number(&c->site)) {
		free(c);
		return NULL;
	}
	c->next = all;
	__atomic_store_n(&all, c, __ATOMIC_RELEASE); /* walks read the list without the lock */
	return c;
}

/* Whether the function holding the code at return address a is a declared
 * wrapper: cached per address (symbolisation costs, once). */
static int wrapper_at(uintptr_t a)
{
	uint64_t h = hash_short(ENTRY_ADDRESS, 0, a, 0);
	struct entry *e = find(h, ENTRY_ADDRESS, 0, a, 0, NULL, 0);
	struct frames scratch;
	int is;

	if (e)
		return e->is_wrapper;
	memstats__busy++;
	is = wrapper_named(symbols_function(a - 1, &scratch)) != NULL;
	memstats__busy--;
	pthread_mutex_lock(&callers_lock);
	if (!find(h, ENTRY_ADDRESS, 0, a, 0, NULL, 0) && (e = calloc(1, sizeof(*e)))) {
		*e = (struct entry){ .kind = ENTRY_ADDRESS, .a0 = a, .is_wrapper = is };
		if (add_entry(e) < 0)
			free(e);
	}
	pthread_mutex_unlock(&callers_lock);
	return is;
}

struct walk {
	uintptr_t from;                   /* the frame above which the chain goes on */
	uintptr_t *chain;
	unsigned int n;
	int seen, frames;
};

/* One frame up the stack: frames up to from are skipped (the runtime's
 * own, the wrapper's), then each one joins the chain, and the first that
 * is not a wrapper ends the walk (an unwind costs per frame). */
static _Unwind_Reason_Code walk_one(struct _Unwind_Context *ctx, void *arg)
{
	struct walk *w = arg;
	uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);

	if (++w->frames > WALK_DEPTH || w->n >= CALLER_DEPTH)
		return _URC_END_OF_STACK;
	if (!w->seen) {
		w->seen = ip == w->from;
		return _URC_NO_REASON;
	}
	w->chain[w->n++] = ip;
	return wrapper_at(ip) ? _URC_NO_REASON : _URC_END_OF_STACK;
}

/* The chain of a call that must walk: start (pc, and ra for a site), then
 * the return addresses above the last one while the function they return
 * into is a wrapper, the first that is not included. */
static unsigned int walk_chain(uintptr_t pc, uintptr_t ra, uintptr_t *chain)
{
	struct walk w = { .from = ra ? ra : pc, .chain = chain };

	chain[w.n++] = pc;
	if (ra)
		chain[w.n++] = ra;
	_Unwind_Backtrace(walk_one, &w);
	return w.n;
}

/* The record of a walked chain, made at its first call. */
static struct caller *chain_record(uintptr_t tag, const struct memstats_site *from, unsigned int op, const char *api,
				   const char *type, const uintptr_t *chain, unsigned int n)
{
	uint64_t h = hash_chain(tag, chain, n);
	struct entry *e = find(h, ENTRY_CHAIN, tag, 0, 0, chain, n);
	struct caller *c = NULL;

	if (e)
		return e->c;
	pthread_mutex_lock(&callers_lock);
	if ((e = find(h, ENTRY_CHAIN, tag, 0, 0, chain, n))) {
		c = e->c;
	} else if ((e = calloc(1, sizeof(*e))) && (c = new_caller(from, op, api, type, chain, n))) {
		*e = (struct entry){ .kind = ENTRY_CHAIN, .tag = tag, .c = c };
		if (add_entry(e) < 0)
			free(e);
	} else {
		free(e);
	}
	pthread_mutex_unlock(&callers_lock);
	return c;
}

/* A key's first call: does it walk (the function it returns into is a
 * wrapper), or count at one record? */
static struct entry *first_call(uint64_t h, uintptr_t tag, const struct memstats_site *from, unsigned int op,
				const char *api, const char *type, uintptr_t pc, uintptr_t ra)
{
	int walks = wrappers_count() && wrapper_at(ra ? ra : pc);
	uintptr_t chain[2] = { pc, ra };
	struct entry *e;

	pthread_mutex_lock(&callers_lock);
	e = find(h, ENTRY_SHORT, tag, pc, ra, NULL, 0);
	if (!e && (e = calloc(1, sizeof(*e)))) {
		*e = (struct entry){ .kind = ENTRY_SHORT, .tag = tag, .a0 = pc, .a1 = ra };
		if ((!walks && !(e->c = new_caller(from, op, api, type, chain, ra ? 2 : 1))) || add_entry(e) < 0) {
			free(e);
			e = NULL;
		}
	}
	pthread_mutex_unlock(&callers_lock);
	return e;
}

/* The table's answer for a key: the record, or NULL with *walks set. */
static struct caller *lookup(uintptr_t tag, const struct memstats_site *from, unsigned int op, const char *api,
			     const char *type, uintptr_t pc, uintptr_t ra, int *walks)
{
	uint64_t h = hash_short(ENTRY_SHORT, tag, pc, ra);
	struct entry *e = find(h, ENTRY_SHORT, tag, pc, ra, NULL, 0);

	if (!e && !(e = first_call(h, tag, from, op, api, type, pc, ra)))
		return NULL;
	*walks = e->c == NULL;
	return e->c;
}

/* callers_record()'s way when its thread's cache has not the key. */
struct memstats_site *callers_lookup(struct caller_cache *hot, uintptr_t tag, const struct memstats_site *from,
				     unsigned int op, const char *api, const char *type, uintptr_t pc, uintptr_t ra)
{
	uintptr_t chain[CALLER_DEPTH];
	struct caller *c;
	int walks = 0;

	c = lookup(tag, from, op, api, type, pc, ra, &walks);
	if (walks) /* a different caller each time, maybe: never kept in the cache */
		c = chain_record(tag, from, op, api, type, chain, walk_chain(pc, ra, chain));
	else if (c && hot)
		hot[callers_hot_slot(tag, pc)] = (struct caller_cache){ tag, pc, ra, &c->site, relaxed_get(&c->site.id) };
	return c ? &c->site : NULL;
}

/* ---- what a record's addresses are ----------------------------------------- */

struct lframe {                           /* a frame of the logical stack, innermost first */
	const char *func, *file;          /* where in func the frame inside it was called */
	unsigned int line;
	unsigned int addr;                /* the chain address it was found at */
};


/* The logical stack of c's chain: the inline frames at each address. A
 * wrapper site's own function comes first, even where a tail call left no
 * frame of it (or there is no debug information to show one). */
static int logical_stack(const struct caller *c, struct lframe *lf, int max, struct frames *scratch,
			 uintptr_t *func_offset)
{
	int n = 0;

	for (unsigned int i = 0; i < c->naddr && n < max; i++) {
		struct frames *fr = &scratch[i];
		uintptr_t off;

		symbols_lookup(c->addr[i] - 1, fr);
		/* the wrapper's out-of-line call was a tail call: its own return
		 * address is the wrapper's, the same frames twice */
		if (i && c->addr[i] == c->addr[i - 1])
			continue;
		off = fr->func_offset;
		if (i == 0)
			*func_offset = off;
		for (int k = 0; k < fr->n && n < max; k++) {
			/* memstats' own inline functions (memstats_fast_malloc): where
			 * they were inlined is the call */
			if (n == 0 && fr->f[k].func && strncmp(fr->f[k].func, "memstats_", 9) == 0)
				continue;
			lf[n++] = (struct lframe){ fr->f[k].func, fr->f[k].file, fr->f[k].line, i };
		}
	}
	if (c->from && (!n || str_cmp(lf[0].func, c->from->func) != 0) && n < max) {
		memmove(lf + 1, lf, (size_t)n * sizeof(*lf));
		lf[0] = (struct lframe){ c->from->func, c->from->file, c->from->line, 0 };
		n++;
	}
	return n;
}

/* Works out c's row: the first frame outside every wrapper is the caller,
 * at the line where it called the next frame in; the wrappers passed are
 * its via. Symbolisation runs with no lock of ours held but the dump lock. */
static void resolve(struct caller *c)
{
	struct frames scratch[CALLER_DEPTH];
	struct lframe lf[64];
	uintptr_t func_offset = 0, at;
	int n = logical_stack(c, lf, NELEM(lf), scratch, &func_offset), j = 0, nvia = 0;
	const char *via[MEMSTATS_VIA_MAX] = { NULL };
	char *file, *func, *object;
	const struct frames *where;

	while (j < n && wrapper_named(lf[j].func))
		j++;
	for (int k = (j < n ? j : n) - 1; k >= 0 && nvia < MEMSTATS_VIA_MAX; k--)
		via[nvia++] = wrapper_named(lf[k].func);
	at = j < n ? lf[j].addr : c->naddr - 1;
	where = &scratch[at];
	file = j < n ? dup_or_null(lf[j].file) : NULL;
	func = j < n ? dup_or_null(lf[j].func) : NULL;
	object = dup_or_null(where->module[0] ? where->module : NULL);
	pthread_mutex_lock(&callers_lock);
	if (!c->resolved) {
		c->file = file;
		c->line = file ? lf[j].line : 0;
		c->func = func;
		c->object = object;
		c->offset = c->addr[at] - where->module_start;
		c->func_offset = at == 0 ? func_offset : where->func_offset;
		memcpy(c->via, via, sizeof(via));
		__atomic_store_n(&c->resolved, 1, __ATOMIC_RELEASE);
		file = func = object = NULL;
	}
	pthread_mutex_unlock(&callers_lock);
	free(file);
	free(func);
	free(object);
}

/* Every record not resolved yet whose chain has an address in [lo, hi)
 * (all: lo 0, hi UINTPTR_MAX). */
static void resolve_range(uintptr_t lo, uintptr_t hi)
{
	memstats__busy++;
	for (struct caller *c = __atomic_load_n(&all, __ATOMIC_ACQUIRE); c; c = c->next) {
		int in = 0;

		if (__atomic_load_n(&c->resolved, __ATOMIC_ACQUIRE))
			continue;
		for (unsigned int i = 0; i < c->naddr && !in; i++)
			in = c->addr[i] >= lo && c->addr[i] < hi;
		if (in)
			resolve(c);
	}
	memstats__busy--;
}

void callers_resolve_all(void)
{
	resolve_range(0, UINTPTR_MAX);
}

struct range {
	uintptr_t base, lo, hi;
};

static int find_range(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct range *r = arg;

	(void)size;
	if (info->dlpi_addr != r->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		r->lo = r->lo && r->lo < lo ? r->lo : lo;
		r->hi = r->hi > hi ? r->hi : hi;
	}
	return 1;
}

static int in_range(uintptr_t a, const struct range *r)
{
	return a >= r->lo && a < r->hi;
}

static int entry_in(const struct entry *e, const struct range *r)
{
	if (e->kind == ENTRY_CHAIN) {
		for (unsigned int i = 0; i < e->c->naddr; i++)
			if (in_range(e->c->addr[i], r))
				return 1;
	}
	return in_range(e->tag, r) || in_range(e->a0, r) || in_range(e->a1, r);
}

/* No entry leads to a record from an address in r any more: the next
 * object there is another, with calls of its own. Its records stay, with
 * what they counted. callers_lock held. */
static void forget_range(const struct range *r)
{
	for (size_t i = 0; table && i <= table->mask; i++) {
		struct entry *e = table->slot[i];

		if (e && e->kind != ENTRY_DEAD && entry_in(e, r))
			__atomic_store_n(&e->kind, ENTRY_DEAD, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&callers_epoch, 1, __ATOMIC_RELEASE);
}

/* The object loaded at base is about to be unloaded: its callers are
 * resolved now, while its file and memory are there, and forgotten by
 * address. */
void callers_unloading(uintptr_t base)
{
	struct range r = { base, 0, 0 };

	if (!__atomic_load_n(&all, __ATOMIC_ACQUIRE))
		return;
	dl_iterate_phdr(find_range, &r);
	if (r.hi > r.lo) {
		resolve_range(r.lo, r.hi);
		pthread_mutex_lock(&callers_lock);
		forget_range(&r);
		pthread_mutex_unlock(&callers_lock);
	}
	symbols_forget();
}

/* ---- reports ------------------------------------------------------------ */

/* Without callers_lock: a walk runs under the registry lock, which a new
 * record's numbering takes under callers_lock. A record not resolved yet
 * shows no file, function or object. */
void callers_walk(void (*fn)(const struct caller_row *row, void *arg), void *arg)
{
	for (struct caller *c = __atomic_load_n(&all, __ATOMIC_ACQUIRE); c; c = c->next) {
		struct caller_row row = { .site = &c->site, .via = c->via };

		if (__atomic_load_n(&c->resolved, __ATOMIC_ACQUIRE)) {
			row.file = c->file;
			row.func = c->func;
			row.line = c->line;
			row.object = c->object;
			row.offset = c->offset;
			row.func_offset = c->func_offset;
		}
		fn(&row, arg);
	}
}
