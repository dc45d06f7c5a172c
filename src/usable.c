/* usable.c - the usable size of a block, needed on every allocation and free
 * (alloc_bytes, free_bytes). malloc_usable_size() is a call into the C
 * library each time; glibc keeps the answer in the word before the block,
 * so that word is read inline instead, but only once start-up has shown it
 * is the truth: the process's malloc is glibc's own (not a sanitizer's,
 * valgrind memcheck's or a preloaded allocator's), and the header gives exactly what
 * malloc_usable_size() gives for blocks of every kind. Otherwise the call
 * stays.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int usable_from_header;

/* Under a sanitizer, a pointer its allocator does not own (a double free, a
 * pointer into a block) is left for free() or realloc() to diagnose:
 * malloc_usable_size() would stop the program first, with a vaguer report. */
extern int __sanitizer_get_ownership(const volatile void *p) __attribute__((weak));

size_t usable_size_slow(void *p)
{
	if (__sanitizer_get_ownership && !__sanitizer_get_ownership(p))
		return 0;
	return malloc_usable_size(p);
}

/* Whether malloc is the C library's, decided without touching a block:
 * glibc's malloc is an alias of its __libc_malloc, in libc.so as in a
 * static program; a preloaded allocator's malloc is not, and a static
 * program that brings its own malloc has no __libc_malloc at all. */
extern void *__libc_malloc(size_t size) __attribute__((weak));

void *(*usable_allocator)(size_t);

static int malloc_is_libc(void)
{
	void *(*fn)(size_t) = usable_allocator ? usable_allocator : malloc;

	return __libc_malloc && fn == __libc_malloc;
}

/* A valgrind tool that replaces malloc (memcheck, helgrind, massif, ...)
 * does it at the instruction level, so malloc is still __libc_malloc;
 * but it preloads its vgpreload_TOOL.so. Tools that leave malloc alone
 * (callgrind, cachegrind) preload vgpreload_core only. */
static int under_valgrind_malloc(void)
{
	const char *p = getenv("LD_PRELOAD");

	while (p && (p = strstr(p, "vgpreload_"))) {
		p += strlen("vgpreload_");
		if (strncmp(p, "core", 4) != 0)
			return 1;
	}
	return 0;
}

static int agrees(void *p)
{
	int ok = p && memstats_usable_(p) == malloc_usable_size(p);

	free(p);
	return ok;
}

/* The sizes sampled: heap blocks (below glibc's 128 KiB mmap threshold, even
 * once grown by half), and a mapped block above 32 MiB. No block between the
 * two: freeing one would raise glibc's dynamic mmap threshold and change how
 * the program's own large blocks are allocated. A mapped block's pages are
 * never touched, so it costs address space only. */
static void *sample(void *arg)
{
	static const size_t sizes[] = { 0, 1, 8, 24, 25, 100, 1000, 4096, 65536, (size_t)64 << 20 };
	void *p;
	int ok = 1;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ok &= agrees(malloc(sizes[i]));
		ok &= agrees(calloc(1, sizes[i]));
		ok &= agrees(realloc(malloc(sizes[i]), sizes[i] + sizes[i] / 2 + 7));
		ok &= posix_memalign(&p, 64, sizes[i]) == 0 && agrees(p);
		ok &= posix_memalign(&p, 4096, sizes[i]) == 0 && agrees(p);
	}
	*(int *)arg = ok;
	return NULL;
}

/* The sampling runs in a thread of its own, joined at once, so that its
 * blocks come from another arena: in the program's, the aligned blocks'
 * split-off pieces and the moved reallocs left free chunks below the top
 * (malloc_info: five, 81 to 4049 bytes), and a vector grown by realloc
 * then moved into them and split them (glibc's _int_free on every other
 * call: realloc 1.52x plain in instructions, 1.32x now). */
void usable_init(void)
{
	pthread_t t;
	int ok = 0;

#if !defined(__GLIBC__) || !(defined(__x86_64__) || defined(__i386__) || defined(__aarch64__))
	return;
#endif
	if (__sanitizer_get_ownership || under_valgrind_malloc() || !malloc_is_libc())
		return;
	if (pthread_create(&t, NULL, sample, &ok) == 0)
		pthread_join(t, NULL);
	__atomic_store_n(&usable_from_header, ok, __ATOMIC_RELAXED);
}
