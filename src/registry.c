/* registry.c - what the runtime knows, under its one lock: every object
 * (the executable or a shared object) and its sites, the number each site
 * gets at its first call, and every thread's state (listed here for
 * counters.c and track.c to read).
 *
 * An object is known by its load base and path. Its C sites sit in its
 * "memstats" section, registered by the constructor every instrumented file
 * emits (many files, one object: deduped by base). C++ sites live outside
 * any section and are listed at their first call, when every site gets its
 * number (the index of its per-thread slots, see counters.c). Walking a
 * section steps by the record's size but checks the magic and, where a tool
 * put padding between records, moves on by the records' alignment instead.
 *
 * When an object is unloaded (dlclose), its sites are copied out, strings
 * included (kept); loaded again from the same path, its sites take back
 * their numbers and counts from those copies. The executable is never
 * unloaded: its sites are read where they are, at exit too. Reads of site
 * memory happen under the lock, so an object cannot be unmapped under a
 * report. Nothing that takes ld.so's lock (dladdr), runs user code or
 * writes a report happens under it: callers ask ld.so first.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "internal.h"

struct object {
	const void *base;                 /* dli_fbase while loaded; NULL once unloaded */
	char *name;                       /* its path (ours) */
	struct memstats_site *start, *stop; /* its section, while loaded */
	struct memstats_site *kept;       /* copies of its sites from earlier lives, sorted */
	size_t nkept;                     /* (TAKEN: taken back by a site of this life) */
	int unloaded;
	int executable;                   /* the program itself: never unloaded */
};

struct late_site {                        /* a site outside any section (C++), listed at its first call */
	struct memstats_site *site;
	size_t obj;                       /* index in objects[] */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct object *objects;
static size_t nobjects, cap_objects;
static struct late_site *late;
static size_t nlate, cap_late;
static struct memstats_site **by_id;      /* by_id[id]: the site (or its copy) */
static unsigned int next_id = 1;
static size_t cap_by_id;
struct thread *registry_threads;

/* Only locks: start-up is the entry points' business (init.c). Across a
 * fork, fork.c holds it; the child, one thread, releases it. */
void registry_lock(void)
{
	pthread_mutex_lock(&lock);
}

void registry_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

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

/* A kept array is dense, written by us: a copy a site of a later life took
 * back is marked TAKEN, never searched past (its counters could hold the
 * magic's value). */
#define for_each_kept_site(s, o)                                                                 \
	for (struct memstats_site *s = (o)->kept; s < (o)->kept + (o)->nkept; s++)                  \
		if (!(s->flags & MEMSTATS_SITE_TAKEN))

/* Where the executable is loaded: the object holding its program headers
 * (by address, not by a name argv[0] may have changed). */
static const void *executable_base(void)
{
	static const void *base;
	static int known;
	Dl_info info;

	if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
		if (dladdr((void *)getauxval(AT_PHDR), &info))
			base = info.dli_fbase;
		__atomic_store_n(&known, 1, __ATOMIC_RELEASE);
	}
	return base;
}

/* The base and path of the object holding addr; *executable says whether
 * it is the program itself. */
static const void *object_of(const void *addr, char *name, size_t size, int *executable)
{
	Dl_info info;
	int found = addr && dladdr(addr, &info);
	ssize_t n;

	*executable = 0;
	if (found && info.dli_fbase != executable_base()) {
		snprintf(name, size, "%s", info.dli_fname ? info.dli_fname : "?");
		return info.dli_fbase;
	}
	/* the executable (or all of a static program, which dladdr does not
	 * know): the kernel knows its path */
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
		if (!objects[i].unloaded && objects[i].base == base)
			return (ssize_t)i;
	}
	/* loaded again: the same object, whose sites take back their numbers
	 * and counts from the copies of its last life (take_kept()) */
	for (size_t i = 0; i < nobjects; i++) {
		if (objects[i].unloaded && strcmp(objects[i].name, name) == 0) {
			objects[i].unloaded = 0;
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

void registry_add_section(struct memstats_site *start, struct memstats_site *stop, const void *anchor)
{
	char name[PATH_MAX];
	int executable;
	const void *base = object_of(anchor, name, sizeof(name), &executable);
	ssize_t i;

	registry_lock();
	i = object_at(base, name, executable);
	if (i < 0) {
		/* not known, so never copied at its unload: its sites must never
		 * get a number that would lead into it */
		struct object lost = { .start = start, .stop = stop };

		for_each_section_site(s, &lost)
			__atomic_fetch_or(&s->flags, MEMSTATS_SITE_LOST, __ATOMIC_RELAXED);
	} else if (start && start < stop && !objects[i].start) {
		objects[i].start = start;
		objects[i].stop = stop;
		for_each_section_site(s, &objects[i])
			take_kept(&objects[i], s);
	}
	registry_unlock();
	if (i < 0) /* a warning is a write: never under the lock */
		warnf_fd(2, "memstats: out of memory: the sites of one object will not be reported\n");
}

/* A C++ record is made blank (see MEMSTATS_SITE_ in memstats/sites.h): its
 * first call describes it, once, under the lock; the magic, stored last,
 * says it is done. */
void registry_describe(struct memstats_site *s, const char *file, unsigned int line, const char *func,
		       unsigned int op, const char *api, const char *type)
{
	registry_lock();
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
	registry_unlock();
}

/* A site outside any section, at its first call: listed under its object
 * (which may take back a number it had in an earlier life). Registry held. */
static int list_late(struct memstats_site *s, const void *base, const char *name, int executable)
{
	struct late_site *more = grow(late, &cap_late, nlate, sizeof(*late));
	ssize_t i = object_at(base, name, executable);

	if (more)
		late = more;
	if (!more || i < 0)
		return -1;
	late[nlate++] = (struct late_site){ s, (size_t)i };
	take_kept(&objects[i], s);
	return 0;
}

/* s's number, handed out now. Registry held; 0 if out of memory. */
static unsigned int give_number(struct memstats_site *s)
{
	struct memstats_site **grown = grow(by_id, &cap_by_id, next_id, sizeof(*by_id));
	unsigned int id;

	if (!grown)
		return 0;
	by_id = grown;
	id = next_id++;
	by_id[id] = s;
	__atomic_store_n(&s->id, id, __ATOMIC_RELEASE);
	return id;
}

unsigned int registry_number(struct memstats_site *s)
{
	unsigned int id;

	registry_lock();
	id = give_number(s);
	registry_unlock();
	return id;
}

/* The object of loaded site s: the one whose section holds it, or under
 * which it is listed. Registry held; -1 if none. */
static ssize_t object_of_site(const struct memstats_site *s)
{
	for (size_t i = 0; i < nobjects; i++)
		if (objects[i].start && s >= objects[i].start && s < objects[i].stop)
			return (ssize_t)i;
	for (size_t l = 0; l < nlate; l++)
		if (late[l].site == s)
			return (ssize_t)late[l].obj;
	return -1;
}

int registry_add_named(struct memstats_site *d, const struct memstats_site *base)
{
	struct late_site *more;
	ssize_t i;
	int rc = -1;

	registry_lock();
	i = object_of_site(base);
	more = grow(late, &cap_late, nlate, sizeof(*late));
	if (more)
		late = more;
	if (more && i >= 0) {
		late[nlate++] = (struct late_site){ d, (size_t)i };
		take_kept(&objects[i], d);
		rc = d->id || give_number(d) ? 0 : -1;
		if (rc < 0)
			nlate--;
	}
	registry_unlock();
	return rc;
}

unsigned int site_id(struct memstats_site *s)
{
	unsigned int id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
	int in_section = s->flags & MEMSTATS_SITE_IN_SECTION, executable = 0;
	char name[PATH_MAX];
	const void *base = NULL;

	if (id || (s->flags & MEMSTATS_SITE_LOST))
		return id;
	if (!in_section) /* which object: asked before locking */
		base = object_of(s, name, sizeof(name), &executable);
	registry_lock();
	id = s->id;
	/* a site not listed (out of memory) is not numbered: nothing would
	 * copy it out before its object goes */
	if (!id && (in_section || list_late(s, base, name, executable) == 0))
		id = s->id ? s->id : give_number(s);
	registry_unlock();
	return id;
}

struct memstats_site *registry_site_of_id(unsigned int id)
{
	return id < next_id ? by_id[id] : NULL;
}

unsigned int registry_ids(void)
{
	return __atomic_load_n(&next_id, __ATOMIC_RELAXED);
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

		if (d->flags & MEMSTATS_SITE_TAKEN)
			continue; /* taken by a site of the same name already */
		d->flags |= MEMSTATS_SITE_TAKEN;
		if (d->id) {
			s->c = d->c;
			by_id[d->id] = s;
			__atomic_store_n(&s->id, d->id, __ATOMIC_RELEASE);
		}
		return;
	}
}

/* Calls fn on every site of object i: in its section, listed, and kept
 * from earlier lives. Registry held. */
static void walk_object(size_t i, site_fn fn, void *arg)
{
	if (objects[i].start)
		for_each_section_site(s, &objects[i])
			fn(s, objects[i].name, arg);
	for (size_t l = 0; l < nlate; l++)
		if (late[l].obj == i)
			fn(late[l].site, objects[i].name, arg);
	for_each_kept_site(s, &objects[i])
		fn(s, objects[i].name, arg);
}

void registry_walk(site_fn fn, void *arg)
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
	/* pool.c's row of a site of this object: its copy counts on, the row
	 * itself is found no more (the next object here is another) */
	if ((s->flags & (MEMSTATS_SITE_NAMED | MEMSTATS_SITE_KEPT)) == MEMSTATS_SITE_NAMED)
		__atomic_fetch_or(&s->flags, MEMSTATS_SITE_GONE, __ATOMIC_RELAXED);
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

static int lost_at_unload;
unsigned int registry_unloads;

/* Replaces object i's sites, in its section and listed, and those kept
 * from earlier lives, by one sorted copy that owns its strings. On failure
 * they are dropped: lost, but nothing points into unmapped memory. */
static void unload_object(size_t i)
{
	struct object *o = &objects[i];
	struct copying c = { NULL, 0, 0 };
	size_t n = 0, kept = 0;

	walk_object(i, count_one, &n);
	c.copy = malloc((n ? n : 1) * sizeof(*c.copy));
	if (c.copy)
		walk_object(i, copy_one, &c);
	if (!c.copy || c.fail) {
		lost_at_unload = 1; /* said once the lock is released */
		walk_object(i, forget_one, NULL); /* no number may lead into the unmapped object */
		for (size_t k = 0; c.copy && k < c.n; k++)
			free_strings(&c.copy[k]);
		free(c.copy);
		c.copy = NULL;
		c.n = 0;
	}
	for (size_t k = 0; k < o->nkept; k++)
		if (o->kept[k].flags & MEMSTATS_SITE_TAKEN) /* taken back: its strings are no one's */
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
	for (size_t l = 0; l < nlate; l++) /* the late sites now live in the copy */
		if (late[l].obj != i)
			late[kept++] = late[l];
	nlate = kept;
	o->unloaded = 1;
	o->base = NULL;
}

/* An object is being unloaded (dlclose), or the program exits: its sites
 * are copied out before its memory goes. The executable's never does.
 * Returns the object's base, or 0 (the executable). */
uintptr_t registry_unload(const void *anchor)
{
	char name[PATH_MAX];
	int executable;
	const void *base = object_of(anchor, name, sizeof(name), &executable);

	if (executable)
		return 0;
	registry_lock();
	for (size_t i = 0; i < nobjects; i++) {
		if (!objects[i].unloaded && objects[i].base == base) {
			unload_object(i);
			break;
		}
	}
	__atomic_fetch_add(&registry_unloads, 1, __ATOMIC_RELEASE); /* what was there may be another's now */
	registry_unlock();
	if (__atomic_exchange_n(&lost_at_unload, 0, __ATOMIC_RELAXED))
		warnf_fd(2, "memstats: out of memory: the sites of an unloaded object are lost\n");
	return (uintptr_t)base;
}

size_t registry_objects(void)
{
	size_t n;

	registry_lock();
	n = nobjects;
	registry_unlock();
	return n;
}

void registry_add_thread(struct thread *t)
{
	t->next = registry_threads;
	registry_threads = t;
}

void registry_remove_thread(struct thread *t)
{
	for (struct thread **p = &registry_threads; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			return;
		}
	}
}
