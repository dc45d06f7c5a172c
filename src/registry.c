/* registry.c - every site the runtime knows, by the object it lives in.
 *
 * An object (the executable or a shared object) is known by its load base
 * and path. Its C sites sit in its "memstats" section, registered by the
 * constructor every instrumented file emits (many files, one object: deduped
 * by base). C++ sites live outside the section and are listed at their first
 * call, when every site gets its number (the index of its per-thread slots,
 * see thread-counters.c). Walking a section steps by the record's size but
 * checks the magic and, where a tool put padding between records, moves on
 * by the records' alignment instead.
 *
 * When an object is unloaded (dlclose), its sites are copied out, strings
 * included; an object loaded again gets new sites, and reports add the rows
 * of one site up (merge_rows). Reads of site memory happen under the lock,
 * so an object cannot be unmapped under a report; a snapshot copies the
 * strings out, and the report is written after the lock is released.
 * Nothing that takes ld.so's lock (dladdr), runs user code or writes a
 * report happens under it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memstats-int.h"

struct object {
	const void *base;                 /* dli_fbase while loaded; NULL once retired */
	char *name;                       /* its path (ours) */
	struct memstats_site *start, *stop; /* its section, while loaded */
	struct memstats_site *kept;       /* copies of its sites from earlier lives, sorted */
	size_t nkept;                     /* (magic 0: taken back by a site of this life) */
	int retired;                      /* unloaded */
	int executable;                   /* the program itself: never unloaded */
};

struct listed {                           /* a C++ site, listed at its first call */
	struct memstats_site *site;
	size_t obj;                       /* index in objects[] */
};

static pthread_mutex_t first_lock, *lock = &first_lock; /* recursive: set up by registry_init() */
static struct object *objects;
static size_t nobjects, cap_objects;
static struct listed *listed;
static size_t nlisted, cap_listed;

/* array with room for one more than its n elements of size (*cap of them),
 * or NULL if out of memory (array is then untouched). */
static void *grow(void *array, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? 2 * *cap : 16;
	void *p;

	if (n < *cap)
		return array;
	p = realloc(array, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

static struct memstats_site *next_site(struct memstats_site *s, struct memstats_site *stop)
{
	char *p = (char *)s;

	while (p < (char *)stop && ((struct memstats_site *)p)->magic != MEMSTATS_SITE_MAGIC)
		p += MEMSTATS_SITE_ALIGN;
	return (struct memstats_site *)p;
}

#define for_each_section_site(s, o) \
	for (struct memstats_site *s = next_site((o)->start, (o)->stop); s < (o)->stop; s = next_site(s + 1, (o)->stop))

#define for_each_kept_site(s, o) \
	for (struct memstats_site *s = next_site((o)->kept, (o)->kept + (o)->nkept); s < (o)->kept + (o)->nkept; \
	     s = next_site(s + 1, (o)->kept + (o)->nkept))

/* The base and path of the object holding addr; *executable says whether
 * it is the program itself. */
static const void *object_of(const void *addr, char *name, size_t size, int *executable)
{
	Dl_info info;
	int found = addr && dladdr(addr, &info);
	ssize_t n;

	*executable = 0;
	if (found && info.dli_fname && *info.dli_fname && strcmp(info.dli_fname, program_invocation_name) != 0) {
		snprintf(name, size, "%s", info.dli_fname);
		return info.dli_fbase;
	}
	/* the executable: dladdr names it as it was invoked, or not at all
	 * when static; the kernel knows its path */
	*executable = 1;
	n = readlink("/proc/self/exe", name, size - 1);
	name[n > 0 ? n : 0] = '\0';
	return found ? info.dli_fbase : NULL;
}

/* Index of the loaded object at base (named name), added if new; -1 if out
 * of memory. Registry held: the caller asked ld.so (object_of) before taking
 * the lock, as dlopen and dlclose hold ld.so's lock while they run our
 * constructors and destructors, which take ours. */
static ssize_t object_at(const void *base, const char *name, int executable)
{
	char *copy;

	for (size_t i = 0; i < nobjects; i++) {
		if (!objects[i].retired && objects[i].base == base)
			return (ssize_t)i;
	}
	/* loaded again: the same object, whose sites take back their numbers
	 * and counts from the copies of its last life (take_kept()) */
	for (size_t i = 0; i < nobjects; i++) {
		if (objects[i].retired && strcmp(objects[i].name, name) == 0) {
			objects[i].retired = 0;
			objects[i].base = base;
			return (ssize_t)i;
		}
	}
	struct object *grown = grow(objects, &cap_objects, nobjects, sizeof(*objects));

	copy = strdup(name);
	if (grown)
		objects = grown;
	if (!copy || !grown) {
		free(copy);
		return -1;
	}
	objects[nobjects] = (struct object){ .base = base, .name = copy, .executable = executable };
	return (ssize_t)nobjects++;
}

static void take_kept(struct object *o, struct memstats_site *s);

void memstats__register(struct memstats_site *start, struct memstats_site *stop, const void *anchor)
{
	char name[PATH_MAX];
	int executable;
	const void *base = object_of(anchor, name, sizeof(name), &executable);
	ssize_t i;

	registry_hold();
	i = object_at(base, name, executable);
	if (i < 0)
		warnf_fd(2, "memstats: out of memory: the sites of one object will not be reported\n");
	else if (start && start < stop && !objects[i].start) {
		objects[i].start = start;
		objects[i].stop = stop;
		for_each_section_site(s, &objects[i])
			take_kept(&objects[i], s);
	}
	registry_release();
}

/* A C++ record is made blank (see MEMSTATS_SITE_ in memstats.h): its first
 * call describes it, once, under the lock; the magic, stored last, says it
 * is done. */
void memstats__describe(struct memstats_site *s, const char *file, unsigned int line, const char *func,
			unsigned int op, const char *api, const char *type)
{
	registry_hold();
	if (!s->magic) {
		s->line = line;
		s->op = op;
		s->flags = 0;
		s->file = file;
		s->func = func;
		s->api = api;
		s->type = type;
		__atomic_store_n(&s->magic, MEMSTATS_SITE_MAGIC, __ATOMIC_RELEASE);
	}
	registry_release();
}

static struct memstats_site **by_id;      /* by_id[id]: the site (or its copy) */
static unsigned int next_id = 1;
static size_t cap_by_id;

unsigned int site_id(struct memstats_site *s)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
	struct memstats_site **grown;

	char name[PATH_MAX];
	const void *base = NULL;
	int executable = 0;

	if (id)
		return id;
	if (!(s->flags & MEMSTATS_SITE_LISTED)) /* C++: which object, asked before locking */
		base = object_of(s, name, sizeof(name), &executable);
	registry_hold(); /* may come first: a C++ static initializer allocates before our constructors */
	id = s->id;
	if (!id && (grown = grow(by_id, &cap_by_id, next_id, sizeof(*by_id)))) {
		by_id = grown;
		if (!(s->flags & MEMSTATS_SITE_LISTED)) { /* C++: not in a section */
			struct listed *more = grow(listed, &cap_listed, nlisted, sizeof(*listed));
			ssize_t i = object_at(base, name, executable);

			if (more)
				listed = more;
			if (more && i >= 0) {
				listed[nlisted++] = (struct listed){ s, (size_t)i };
				take_kept(&objects[i], s);
			}
		}
		id = s->id;
		if (!id) {
			id = next_id++;
			by_id[id] = s;
			__atomic_store_n(&s->id, id, __ATOMIC_RELEASE);
		}
	}
	registry_release();
	return id;
}

struct memstats_site *registry_site_of_id(unsigned int id)
{
	return id < next_id ? by_id[id] : NULL;
}

static char *dup_or_null(const char *s, int *fail)
{
	char *d = s ? strdup(s) : NULL;

	*fail |= s && !d;
	return d;
}

/* The copy takes the site's number, so the threads' slots for it count on
 * into the copy: nothing is moved out of them, so nothing races with a
 * thread still counting (at exit, threads may). */
static void copy_site(struct memstats_site *d, const struct memstats_site *s, int *fail)
{
	d->magic = s->magic;
	d->line = s->line;
	d->op = s->op;
	d->flags = s->flags;
	d->id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);
	d->file = dup_or_null(s->file, fail);
	d->func = dup_or_null(s->func, fail);
	d->api = dup_or_null(s->api, fail);
	d->type = dup_or_null(s->type, fail);
	memset(&d->c, 0, sizeof(d->c));
	counters_add(&d->c, &s->c);
}

static void free_strings(struct memstats_site *d)
{
	free((char *)d->file);
	free((char *)d->func);
	free((char *)d->api);
	free((char *)d->type);
}

/* What makes a site the same site in another life of its object. */
static int site_order(const struct memstats_site *a, const struct memstats_site *b)
{
	int d;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	if ((d = str_cmp(a->file, b->file)) || (d = str_cmp(a->func, b->func)) || (d = str_cmp(a->api, b->api)))
		return d;
	return str_cmp(a->type, b->type);
}

static int site_order_q(const void *a, const void *b)
{
	return site_order(a, b);
}

/* A reloaded object's site s takes back its number and counts from the
 * copy of its last life, which goes: reloading costs no new number, so no
 * thread's slots grow with reloads. Registry held. */
static void take_kept(struct object *o, struct memstats_site *s)
{
	size_t lo = 0, hi = o->nkept;

	while (lo < hi) { /* the first copy not before s */
		size_t mid = lo + (hi - lo) / 2;

		if (site_order(&o->kept[mid], s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < o->nkept && site_order(&o->kept[lo], s) == 0; lo++) {
		struct memstats_site *d = &o->kept[lo];

		if (d->magic != MEMSTATS_SITE_MAGIC)
			continue; /* taken by a site of the same name already */
		d->magic = 0;
		if (d->id) {
			s->c = d->c;
			by_id[d->id] = s;
			__atomic_store_n(&s->id, d->id, __ATOMIC_RELEASE);
		}
		return;
	}
}

typedef void (*site_fn)(struct memstats_site *s, const char *object, void *arg);

/* Calls fn on every site of object i: in its section, listed, and kept
 * from earlier lives. Registry held. */
static void walk_object(size_t i, site_fn fn, void *arg)
{
	if (objects[i].start)
		for_each_section_site(s, &objects[i])
			fn(s, objects[i].name, arg);
	for (size_t l = 0; l < nlisted; l++)
		if (listed[l].obj == i)
			fn(listed[l].site, objects[i].name, arg);
	for_each_kept_site(s, &objects[i])
		fn(s, objects[i].name, arg);
}

/* Calls fn on every site. Registry held. */
static void walk(site_fn fn, void *arg)
{
	for (size_t i = 0; i < nobjects; i++)
		walk_object(i, fn, arg);
}

static void count_one(struct memstats_site *s, const char *object, void *arg)
{
	(void)s;
	(void)object;
	++*(size_t *)arg;
}

struct copying {
	struct memstats_site *copy;
	size_t n;
	int fail;
};

/* A site of the object being unloaded goes to the copy: a kept one is
 * moved (strings and all), a loaded one copied. */
static void copy_one(struct memstats_site *s, const char *object, void *arg)
{
	struct copying *c = arg;
	struct memstats_site *d = &c->copy[c->n++];

	(void)object;
	if (s->flags & MEMSTATS_SITE_KEPT)
		*d = *s;
	else
		copy_site(d, s, &c->fail);
	d->flags |= MEMSTATS_SITE_KEPT;
	if (d->id)
		by_id[d->id] = d;
}

/* A site of an object about to be unmapped, not copied: its number must
 * lead nowhere. */
static void forget_one(struct memstats_site *s, const char *object, void *arg)
{
	(void)object;
	(void)arg;
	if (s->id)
		by_id[s->id] = NULL;
}

/* Replaces object i's sites, in its section and listed, and those kept
 * from earlier lives, by one sorted copy that owns its strings. On failure
 * they are dropped: lost, but nothing points into unmapped memory. */
static void retire(size_t i)
{
	struct object *o = &objects[i];
	struct copying c = { NULL, 0, 0 };
	size_t n = 0, kept = 0;

	walk_object(i, count_one, &n);
	c.copy = aligned_alloc(MEMSTATS_SITE_ALIGN, (n ? n : 1) * sizeof(*c.copy));
	if (c.copy)
		walk_object(i, copy_one, &c);
	if (!c.copy || c.fail) {
		warnf_fd(2, "memstats: out of memory: the sites of an unloaded object are lost\n");
		walk_object(i, forget_one, NULL); /* no number may lead into the unmapped object */
		for (size_t k = 0; c.copy && k < c.n; k++)
			free_strings(&c.copy[k]);
		free(c.copy);
		c.copy = NULL;
		c.n = 0;
	}
	for (size_t k = 0; k < o->nkept; k++)
		if (o->kept[k].magic != MEMSTATS_SITE_MAGIC) /* taken back: its strings are no one's */
			free_strings(&o->kept[k]);
	free(o->kept);
	if (c.copy) {
		qsort(c.copy, c.n, sizeof(*c.copy), site_order_q);
		for (size_t k = 0; k < c.n; k++)
			if (c.copy[k].id)
				by_id[c.copy[k].id] = &c.copy[k];
	}
	o->kept = c.copy;
	o->nkept = c.n;
	o->start = o->stop = NULL;
	for (size_t l = 0; l < nlisted; l++) /* the listed sites now live in the copy */
		if (listed[l].obj != i)
			listed[kept++] = listed[l];
	nlisted = kept;
	o->retired = 1;
	o->base = NULL;
}

/* An object is being unloaded (dlclose), or the program exits: its sites
 * are copied out before its memory goes. The executable's never does. */
void memstats__unregister(const void *anchor)
{
	char name[PATH_MAX];
	int executable;
	const void *base = object_of(anchor, name, sizeof(name), &executable);

	if (executable)
		return;
	registry_hold();
	for (size_t i = 0; i < nobjects; i++) {
		if (!objects[i].retired && objects[i].base == base) {
			retire(i);
			break;
		}
	}
	registry_release();
}

size_t registry_objects(void)
{
	registry_hold();
	size_t n = nobjects;
	registry_release();
	return n;
}

static void snapshot_site(struct memstats_row *r, const struct memstats_site *s, const char *object)
{
	r->file = s->file;
	r->line = s->line;
	r->func = s->func;
	r->op = op_name(s->op);
	r->api = s->api;
	r->type = s->type;
	r->object = object;
	slots_total(s, &r->c);
	track_snapshot_row(__atomic_load_n(&s->id, __ATOMIC_RELAXED), &r->live);
}

struct fill {
	struct memstats_row *rows;
	size_t n, max;
};

static void fill_one(struct memstats_site *s, const char *object, void *arg)
{
	struct fill *f = arg;

	if (f->n < f->max)
		snapshot_site(&f->rows[f->n++], s, object);
}

/* Rows of one site, in one object, sort next to each other. */
static int cmp_key(const void *pa, const void *pb)
{
	const struct memstats_row *a = pa, *b = pb;
	int d = str_cmp(a->object, b->object);

	return d ? d : row_cmp_site(a, b);
}

/* One row per site: a reloaded object's live sites and its earlier life's
 * copy are the same sites, so they are added up. */
static size_t merge_rows(struct memstats_row *rows, size_t n)
{
	size_t k = 0;

	qsort(rows, n, sizeof(*rows), cmp_key);
	for (size_t i = 0; i < n; i++) {
		if (k && cmp_key(&rows[k - 1], &rows[i]) == 0) {
			counters_add(&rows[k - 1].c, &rows[i].c);
			live_add(&rows[k - 1].live, &rows[i].live);
		} else
			rows[k++] = rows[i];
	}
	return k;
}

/* Points a row's strings at copies in *buf (advanced past them), so that
 * the row outlives the lock. */
static void own_strings(struct memstats_row *r, char **buf)
{
	const char **fields[] = { &r->file, &r->func, &r->api, &r->type, &r->object };

	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		if (*fields[k]) {
			size_t len = strlen(*fields[k]) + 1;

			memcpy(*buf, *fields[k], len);
			*fields[k] = *buf;
			*buf += len;
		}
	}
}

static size_t strings_size(const struct memstats_row *r)
{
	const char *fields[] = { r->file, r->func, r->api, r->type, r->object };
	size_t n = 0;

	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		n += fields[k] ? strlen(fields[k]) + 1 : 0;
	return n;
}

ssize_t registry_snapshot(struct memstats_row **rows, char **strings)
{
	struct fill f = { NULL, 0, 0 };
	size_t n, size = 0;
	char *p;

	registry_hold();
	walk(count_one, &f.max);
	f.rows = malloc((f.max ? f.max : 1) * sizeof(*f.rows));
	if (!f.rows) {
		registry_release();
		errno = ENOMEM;
		return -1;
	}
	track_snapshot_begin(next_id);
	walk(fill_one, &f);
	track_snapshot_end();
	n = merge_rows(f.rows, f.n);
	/* the rows get their own copies of the strings, which a dlclose could
	 * unmap once the lock is released */
	for (size_t i = 0; i < n; i++)
		size += strings_size(&f.rows[i]);
	*strings = p = malloc(size ? size : 1);
	for (size_t i = 0; p && i < n; i++)
		own_strings(&f.rows[i], &p);
	registry_release();
	if (!*strings) {
		free(f.rows);
		errno = ENOMEM;
		return -1;
	}
	*rows = f.rows;
	return (ssize_t)n;
}

void registry_hold(void)
{
	runtime_init(); /* sets the lock up the first time */
	pthread_mutex_lock(lock);
}

void registry_release(void)
{
	pthread_mutex_unlock(lock);
}

memstats_size_t memstats_foreach_site(int (*fn)(const struct memstats_row *row, void *arg), void *arg)
{
	struct memstats_row *rows;
	char *strings;
	ssize_t n = registry_snapshot(&rows, &strings);
	size_t i;

	if (n < 0)
		return 0;
	/* fn runs without the lock: it may allocate, dlopen, ... */
	for (i = 0; i < (size_t)n; i++) {
		if (fn(&rows[i], arg)) {
			i++;
			break;
		}
	}
	free(strings);
	free(rows);
	return i;
}

static void zero_one(struct memstats_site *s, const char *object, void *arg)
{
	(void)object;
	(void)arg;
	slots_reset(s);
}

void memstats_reset(void)
{
	registry_hold();
	walk(zero_one, NULL);
	if (track_on)
		track_reset_peaks();
	registry_release();
}

/* fork: the child gets the lock free and the registry whole, whatever
 * another thread of the parent was doing. */
static void before_fork(void)
{
	registry_hold();
}

static void after_fork_parent(void)
{
	registry_release();
}

static void init_lock(pthread_mutex_t *l)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(l, &attr);
	pthread_mutexattr_destroy(&attr);
}

/* The child gets a fresh lock, the registry being whole: the old one is held
 * by the forking thread under its parent's identity, which a recursive mutex
 * (and TSan) would go on seeing. Its few bytes per fork are not worth
 * reclaiming. */
static void after_fork_child(void)
{
	pthread_mutex_t *fresh = malloc(sizeof(*fresh));

	init_lock(fresh ? fresh : lock);
	if (fresh)
		lock = fresh;
	slots_after_fork();
	if (track_on)
		track_after_fork();
}

/* Once, before any use of the lock (runtime_init() sees to it). */
void registry_init(void)
{
	init_lock(&first_lock);
	slots_init();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
