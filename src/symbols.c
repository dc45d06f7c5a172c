/* symbols.c - what code an address is: its object, its function, and with
 * debug information its file and line and the functions inlined there.
 * elfutils' libdw reads the symbol tables and DWARF (made for the job: line
 * tables, inline frames, split and separate debug files); it is opened with
 * dlopen the first time the runtime may need it (symbols_init(), at
 * start-up when there are wrappers or the preload library), so a program
 * that never needs it never loads it, and one on a machine without it gets
 * function names from the dynamic symbol table (dladdr) instead.
 *
 * One session (Dwfl) over the process's mappings, under its own lock, taken
 * under no other lock of ours. Under it, nothing takes ld.so's load lock
 * (dlopen is done before, dladdr only without libdw and without the lock;
 * dl_iterate_phdr takes only the lock ld.so holds while it changes its
 * list), so a dlclose in another thread, which runs destructors under the
 * load lock, never waits on a thread that waits on ld.so. The session is
 * made again once an object was loaded or unloaded since (one loaded into a
 * hole of another's range would be taken for that one), or when an address
 * is in no module it knows.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Built without elfutils' headers (Debian libdw-dev), or for a static
 * program: no DWARF, names from dladdr only. */
#if defined(MEMSTATS_STATIC_RUNTIME) || !__has_include(<elfutils/libdwfl.h>)
#define NO_LIBDW 1
#else
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#endif

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t dw_once = PTHREAD_ONCE_INIT;
static int have_dw;
static int session_stale;

#ifndef NO_LIBDW
/* libdw's functions, from dlopen. */
#define LIBDW_FUNCTIONS(X)                                                                              \
	X(dwfl_begin) X(dwfl_end) X(dwfl_report_begin) X(dwfl_report_end) X(dwfl_linux_proc_report)     \
	X(dwfl_linux_proc_find_elf) X(dwfl_build_id_find_debuginfo) X(dwfl_addrmodule)                  \
	X(dwfl_module_addrinfo) X(dwfl_module_addrdie) X(dwfl_module_info) X(dwfl_module_nextcu)         \
	X(dwarf_child) X(dwarf_siblingof) X(dwarf_tag) X(dwarf_attr_integrate) X(dwarf_attr)             \
	X(dwarf_formstring) X(dwarf_formudata) X(dwarf_getsrcfiles) X(dwarf_filesrc) X(dwarf_haspc)      \
	X(dwarf_getsrc_die) X(dwarf_linesrc) X(dwarf_lineno)

static struct {
#define FIELD_(name) __typeof__(name) *name;
	LIBDW_FUNCTIONS(FIELD_)
#undef FIELD_
} dw;

static Dwfl *session;
static Dwfl_Callbacks callbacks;

/* The objects that loading libdw brought in (libdw, libelf, and what libdw
 * loads itself: libdebuginfod, a curl, a TLS library): their calls are the
 * runtime's, as its own are (their exit handlers free what they allocated
 * while it loaded them). Written once, before have_dw is published. */
#define OWN_MAX 64
#define BEFORE_MAX 1024
static struct {
	uintptr_t lo, hi;
} owned[OWN_MAX];
static int nowned;

struct objects {
	uintptr_t base[BEFORE_MAX];
	int n, full;
};

static int list_base(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct objects *o = arg;

	(void)size;
	if (o->n < BEFORE_MAX)
		o->base[o->n++] = info->dlpi_addr;
	else
		o->full = 1;
	return 0;
}

static int add_new(struct dl_phdr_info *info, size_t size, void *arg)
{
	const struct objects *before = arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	for (int i = 0; i < before->n; i++)
		if (before->base[i] == info->dlpi_addr)
			return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD) {
			lo = info->dlpi_addr + ph->p_vaddr < lo ? info->dlpi_addr + ph->p_vaddr : lo;
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi ? info->dlpi_addr + ph->p_vaddr + ph->p_memsz : hi;
		}
	}
	if (hi > lo && nowned < OWN_MAX)
		owned[nowned++] = (__typeof__(owned[0])){ lo, hi };
	return 0;
}

static void open_libdw(void)
{
	struct objects *before = calloc(1, sizeof(*before));
	void *h;

	memstats__busy++;
	if (before)
		dl_iterate_phdr(list_base, before);
	h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h && before && !before->full)
		dl_iterate_phdr(add_new, before);
	free(before);
	memstats__busy--;
	if (!h)
		return;
#define LOAD_(name) dw.name = (__typeof__(name) *)dlsym(h, #name); if (!dw.name) return;
	LIBDW_FUNCTIONS(LOAD_)
#undef LOAD_
	callbacks.find_elf = dw.dwfl_linux_proc_find_elf;
	callbacks.find_debuginfo = dw.dwfl_build_id_find_debuginfo;
	__atomic_store_n(&have_dw, 1, __ATOMIC_RELEASE);
}

#else
static void open_libdw(void)
{
}
#endif

void symbols_init(void)
{
	pthread_once(&dw_once, open_libdw);
}

int symbols_owns(uintptr_t addr)
{
#ifndef NO_LIBDW
	for (int i = 0; i < __atomic_load_n(&have_dw, __ATOMIC_ACQUIRE) * nowned; i++)
		if (addr >= owned[i].lo && addr < owned[i].hi)
			return 1;
#endif
	(void)addr;
	return 0;
}

void symbols_fork_prepare(void)
{
	pthread_mutex_lock(&sym_lock);
}

void symbols_fork_after(void)
{
	pthread_mutex_unlock(&sym_lock);
}

void symbols_forget(void)
{
	__atomic_store_n(&session_stale, 1, __ATOMIC_RELAXED);
}

/* A copy of s in fr's buffer (NULL if it does not fit, or s is NULL). */
static const char *keep(struct frames *fr, const char *s)
{
	size_t n = s ? strlen(s) + 1 : 0;
	char *d;

	if (!s || fr->used + n > sizeof(fr->buf))
		return NULL;
	d = fr->buf + fr->used;
	memcpy(d, s, n);
	fr->used += n;
	return d;
}

/* The frames and module from dladdr, where libdw is not there: the
 * function from the dynamic symbol table, no file or line. */
static void lookup_dladdr(uintptr_t addr, struct frames *fr)
{
	Dl_info info;

	if (!dladdr((void *)addr, &info))
		return;
	snprintf(fr->module, sizeof(fr->module), "%s", info.dli_fname ? info.dli_fname : "");
	fr->module_start = (uintptr_t)info.dli_fbase;
	if (info.dli_sname) {
		fr->f[0] = (struct frame){ keep(fr, info.dli_sname), NULL, 0 };
		fr->n = 1;
		fr->func_offset = addr - (uintptr_t)info.dli_saddr;
	}
}

#ifndef NO_LIBDW
/* How many objects were ever loaded and unloaded: a session is good while
 * these stay what they were (an object loaded into a hole of another's
 * range would otherwise be taken for that one). */
static int count_loads(struct dl_phdr_info *info, size_t size, void *arg)
{
	unsigned long long *gen = arg;

	(void)size;
	gen[0] = info->dlpi_adds;
	gen[1] = info->dlpi_subs;
	return 1;
}

static unsigned long long session_gen[2];

/* The session, made (again) when needed. sym_lock held. */
static Dwfl *get_session(int fresh)
{
	unsigned long long gen[2] = { 0, 0 };

	dl_iterate_phdr(count_loads, gen);
	if (gen[0] != session_gen[0] || gen[1] != session_gen[1]) {
		fresh = 1;
		session_gen[0] = gen[0];
		session_gen[1] = gen[1];
	}
	if (session && (fresh || __atomic_exchange_n(&session_stale, 0, __ATOMIC_RELAXED))) {
		dw.dwfl_end(session);
		session = NULL;
	}
	if (!session && (session = dw.dwfl_begin(&callbacks))) {
		dw.dwfl_report_begin(session);
		dw.dwfl_linux_proc_report(session, getpid());
		dw.dwfl_report_end(session, NULL, NULL);
	}
	return session;
}

/* The module holding addr, the session made again once if none does. */
static Dwfl_Module *module_of(uintptr_t addr)
{
	Dwfl *s = get_session(0);
	Dwfl_Module *m = s ? dw.dwfl_addrmodule(s, addr) : NULL;

	if (!m && s && (s = get_session(1)))
		m = dw.dwfl_addrmodule(s, addr);
	return m;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	return dw.dwarf_attr_integrate(die, DW_AT_name, &a) ? dw.dwarf_formstring(&a) : NULL;
}

/* Where an inlined function was called: file and line in its caller. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, const char **file, unsigned int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word idx, l;
	Dwarf_Files *files;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dw.dwarf_attr(inl, DW_AT_call_line, &a) && dw.dwarf_formudata(&a, &l) == 0)
		*line = (unsigned int)l;
	if (dw.dwarf_attr(inl, DW_AT_call_file, &a) && dw.dwarf_formudata(&a, &idx) == 0 &&
	    dw.dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && idx < nfiles)
		*file = dw.dwarf_filesrc(files, idx, NULL, NULL);
}

/* The inline frames at addr from DWARF, innermost first. */
/* The compile unit holding addr: from .debug_aranges, or, as clang writes
 * none, from each unit's own ranges. */
static Dwarf_Die *cu_of(Dwfl_Module *m, uintptr_t addr, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dw.dwfl_module_addrdie(m, addr, bias);

	if (cu)
		return cu;
	while ((cu = dw.dwfl_module_nextcu(m, cu, bias)))
		if (dw.dwarf_haspc(cu, addr - *bias) > 0)
			return cu;
	return NULL;
}

/* The scopes that hold pc below parent, outermost first (a function, then
 * the functions inlined in it and their blocks, down to the innermost),
 * found by walking down the unit's tree through the entries that hold pc
 * (and into namespaces and classes, which hold functions but no code).
 * Not dwarf_getscopes(): it follows an inlined function to its abstract
 * definition, which gcc's LTO puts in another unit, and then finds none. */
#define SCOPE_DEPTH 64
static int scopes_at(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *out, int max)
{
	Dwarf_Die child;

	if (max <= 0 || dw.dwarf_child(parent, &child) != 0)
		return 0;
	do {
		int n;

		switch (dw.dwarf_tag(&child)) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine:
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			if (dw.dwarf_haspc(&child, pc) > 0) {
				out[0] = child;
				return 1 + scopes_at(&out[0], pc, out + 1, max - 1);
			}
			break;
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			if ((n = scopes_at(&child, pc, out, max)) > 0)
				return n;
			break;
		}
	} while (dw.dwarf_siblingof(&child, &child) == 0);
	return 0;
}

static int dwarf_frames(Dwfl_Module *m, uintptr_t addr, struct frame *f, int max)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = cu_of(m, addr, &bias), scopes[SCOPE_DEPTH];
	Dwarf_Line *l;
	const char *file = NULL;
	int line = 0, n, k = 0;

	if (!cu)
		return 0;
	if ((l = dw.dwarf_getsrc_die(cu, addr - bias))) {
		file = dw.dwarf_linesrc(l, NULL, NULL);
		dw.dwarf_lineno(l, &line);
	}
	n = scopes_at(cu, addr - bias, scopes, SCOPE_DEPTH);
	for (int i = n - 1; i >= 0 && k < max; i--) { /* innermost first */
		int tag = dw.dwarf_tag(&scopes[i]);

		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		f[k++] = (struct frame){ die_name(&scopes[i]), file, line > 0 ? (unsigned int)line : 0 };
		if (tag == DW_TAG_subprogram)
			break;
		call_site(cu, &scopes[i], &file, (unsigned int *)&line);
	}
	return k;
}

static void lookup_dwarf(uintptr_t addr, struct frames *fr)
{
	struct frame f[NELEM(fr->f)];
	Dwfl_Module *m = module_of(addr);
	const char *name, *mainfile = NULL, *modname;
	Dwarf_Addr start = 0;
	GElf_Off off = 0;
	GElf_Sym sym;
	int n;

	if (!m)
		return;
	modname = dw.dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, &mainfile, NULL);
	snprintf(fr->module, sizeof(fr->module), "%s", mainfile ? mainfile : modname ? modname : "");
	fr->module_start = (uintptr_t)start;
	name = dw.dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
	fr->func_offset = off;
	n = dwarf_frames(m, addr, f, (int)NELEM(f));
	if (n == 0 && name)
		f[n++] = (struct frame){ name, NULL, 0 };
	for (int i = 0; i < n; i++)
		fr->f[fr->n++] = (struct frame){ keep(fr, f[i].func), keep(fr, f[i].file), f[i].line };
}

#else
static void lookup_dwarf(uintptr_t addr, struct frames *fr)
{
	(void)addr;
	(void)fr;
}
#endif

void symbols_lookup(uintptr_t addr, struct frames *fr)
{
	memset(fr, 0, offsetof(struct frames, buf));
	if (!have_dw) {
		lookup_dladdr(addr, fr);
		return;
	}
	pthread_mutex_lock(&sym_lock);
	lookup_dwarf(addr, fr);
	pthread_mutex_unlock(&sym_lock);
}

const char *symbols_function(uintptr_t addr, struct frames *fr)
{
	symbols_lookup(addr, fr);
	return fr->n ? fr->f[fr->n - 1].func : NULL;
}
