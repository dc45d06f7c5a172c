/* wrappers.h - the wrappers of test_wrappers: in util.c, in a shared
 * library (lib.c), and one static inline here, inlined where it is used. */
#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xrealloc(void *q, size_t n);
char *xstrdup(const char *s);
void xfree(void *p);
void *tmalloc(size_t n);
void *luaM_malloc_(size_t n);
void luaM_free_(void *p, size_t n);
void *zmalloc(size_t n);
void zfree(void *p);

static inline void *ymalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}
