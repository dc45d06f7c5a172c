/* own-malloc.c - a program's own allocator, built without memstats: small
 * blocks from an arena behind a size word, big ones straight from mmap (a
 * block at the very start of a mapping: nothing readable before it). The
 * runtime must see it is not glibc's before reading any block's header. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

static char arena[1 << 24] __attribute__((aligned(16)));
static size_t used;

static void *big(size_t n)
{
	void *p = mmap(NULL, (n + 4095) & ~(size_t)4095, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *malloc(size_t n)
{
	size_t need = ((n + 15) & ~(size_t)15) + 16;
	char *p;

	if (n >= (1 << 20))
		return big(n);
	if (used + need > sizeof(arena)) {
		errno = ENOMEM;
		return NULL;
	}
	p = arena + used;
	used += need;
	*(size_t *)(p + 8) = n;
	return p + 16;
}

void free(void *p)
{
	(void)p;
}

size_t malloc_usable_size(void *p)
{
	if (!p || (char *)p < arena || (char *)p >= arena + sizeof(arena))
		return 0;
	return ((size_t *)p)[-1];
}

void *calloc(size_t a, size_t b)
{
	size_t n;
	void *p;

	if (__builtin_mul_overflow(a, b, &n))
		return NULL;
	p = malloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *realloc(void *o, size_t n)
{
	void *p = malloc(n);
	size_t u = malloc_usable_size(o);

	if (p && o)
		memcpy(p, o, u < n ? u : n);
	return p;
}

int posix_memalign(void **r, size_t a, size_t n)
{
	char *p = malloc(n + a);

	if (!p)
		return ENOMEM;
	*r = p;
	return 0;
}

void *aligned_alloc(size_t a, size_t n)
{
	void *p;

	return posix_memalign(&p, a, n) ? NULL : p;
}

void *memalign(size_t a, size_t n)
{
	return aligned_alloc(a, n);
}

void *valloc(size_t n)
{
	return aligned_alloc(4096, n);
}

void *pvalloc(size_t n)
{
	return aligned_alloc(4096, n);
}
