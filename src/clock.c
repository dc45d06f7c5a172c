/* clock.c - the coarse monotonic clock that dates every tracked block,
 * read straight from the kernel's vDSO.
 *
 * Exact tracking reads the clock at every allocation (a block's age is
 * the difference with the report's time). glibc's clock_gettime() reaches
 * the vDSO's through its own wrapper, which costs as much again as the
 * read: 6.3 ns a call against 4.0 ns for the vDSO's function called
 * directly, on this project's 2-core machines, where a malloc+free pair
 * takes 10 ns. So start-up looks the function up once in the vDSO's own
 * symbol table (the kernel maps it into every process, AT_SYSINFO_EHDR).
 *
 * Only where the vDSO's function is a plain C function taking the C
 * library's struct timespec: x86-64 and aarch64 (64-bit). Elsewhere (i386
 * with 64-bit time_t wants __vdso_clock_gettime64, ppc64's has its own
 * calling convention, s390x's hash table has 64-bit words), under
 * MemorySanitizer (which cannot see the vDSO write the timespec), without
 * a vDSO (valgrind, some sandboxes) or without the symbol, glibc's
 * clock_gettime() stays. A clock_gettime() interposed by a preloaded
 * library (libfaketime) is not used for ages: they are the kernel's.
 * Nothing is allocated and no lock is taken: it runs in start-up, and is
 * safe in a static program.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>

#include "internal.h"

clock_fn clock_coarse = clock_gettime;

#if (defined(__x86_64__) || defined(__aarch64__)) && defined(__LP64__)
#define VDSO_DIRECT 1
#endif
#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#undef VDSO_DIRECT
#endif
#endif

#ifdef __x86_64__
#define VDSO_CLOCK "__vdso_clock_gettime"
#else
#define VDSO_CLOCK "__kernel_clock_gettime"
#endif

#if defined(__LP64__) && (defined(VDSO_DIRECT) || defined(MEMSTATS_TEST_HOOKS))
/* What the vDSO's dynamic section says (addresses already relocated). */
struct vdso {
	const ElfW(Sym) *sym;
	const char *str;
	const Elf32_Word *hash;           /* DT_HASH: its nchain is the symbol count */
	const Elf32_Word *gnu_hash;       /* DT_GNU_HASH: arm64 vDSOs since 6.11 have only this */
	uintptr_t bias;
};

static int vdso_read(const ElfW(Ehdr) *eh, struct vdso *v)
{
	const ElfW(Dyn) *dyn = NULL;
	int have_load = 0;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	for (int i = 0; i < eh->e_phnum; i++) {
		const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff + (size_t)i * eh->e_phentsize);

		if (ph->p_type == PT_LOAD && !have_load) {
			v->bias = (uintptr_t)eh + ph->p_offset - ph->p_vaddr;
			have_load = 1;
		} else if (ph->p_type == PT_DYNAMIC) {
			dyn = (const void *)((const char *)eh + ph->p_offset);
		}
	}
	if (!have_load || !dyn)
		return -1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *at = (const void *)(dyn->d_un.d_ptr + v->bias);

		if (dyn->d_tag == DT_SYMTAB)
			v->sym = at;
		else if (dyn->d_tag == DT_STRTAB)
			v->str = at;
		else if (dyn->d_tag == DT_HASH)
			v->hash = at;
		else if (dyn->d_tag == DT_GNU_HASH)
			v->gnu_hash = at;
	}
	return v->sym && v->str && (v->hash || v->gnu_hash) ? 0 : -1;
}

/* The number of symbols: DT_HASH says it (nchain); DT_GNU_HASH only through
 * its last chain, the one from the highest bucket, which ends on a hash
 * with its low bit set. */
static size_t vdso_nsyms(const struct vdso *v)
{
	const Elf32_Word *g = v->gnu_hash, *buckets, *chain;
	Elf32_Word nbuckets, first, last = 0;

	if (v->hash)
		return v->hash[1];
	nbuckets = g[0];
	first = g[1];
	buckets = (const Elf32_Word *)(const void *)((const ElfW(Addr) *)(const void *)(g + 4) + g[2]);
	chain = buckets + nbuckets;
	for (Elf32_Word b = 0; b < nbuckets; b++)
		if (buckets[b] > last)
			last = buckets[b];
	if (last < first)
		return first;
	while (!(chain[last - first] & 1))
		last++;
	return (size_t)last + 1;
}

/* The function named name in the vDSO image at eh, or NULL. */
static void *vdso_lookup(const ElfW(Ehdr) *eh, const char *name)
{
	struct vdso v = { 0 };
	size_t n;

	if (!eh || vdso_read(eh, &v) < 0)
		return NULL;
	n = vdso_nsyms(&v);
	for (size_t i = 0; i < n; i++) {
		const ElfW(Sym) *s = &v.sym[i];

		if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx != SHN_UNDEF &&
		    strcmp(v.str + s->st_name, name) == 0)
			return (void *)(s->st_value + v.bias);
	}
	return NULL;
}

#endif

/* Taken only if it answers, and agrees with glibc's to the second. */
void clock_init(void)
{
#ifdef VDSO_DIRECT
	clock_fn f = (clock_fn)vdso_lookup((const void *)getauxval(AT_SYSINFO_EHDR), VDSO_CLOCK);
	struct timespec a, b;

	if (!f || clock_gettime(CLOCK_MONOTONIC_COARSE, &a) != 0 || f(CLOCK_MONOTONIC_COARSE, &b) != 0)
		return;
	if (b.tv_sec - a.tv_sec > 1 || b.tv_sec < a.tv_sec)
		return;
	clock_coarse = f;
#endif
}

/* ---- test hooks ---------------------------------------------------------- */
#ifdef MEMSTATS_TEST_HOOKS
#ifdef __LP64__
void *clock_vdso_lookup(const void *image, const char *name)
{
	return vdso_lookup(image, name);
}
#endif

/* Whether clock_init() looks in the vDSO on this platform. */
int clock_direct(void)
{
#ifdef VDSO_DIRECT
	return 1;
#else
	return 0;
#endif
}
#endif
