/* wrapped.c - the matrix's wrapper program: its allocations go through
 * wrappers (in another function, nested, static inline, a free wrapper);
 * the matrix runs it with MEMSTATS_WRAPPERS naming them, and it checks that
 * each call was counted at the line that called the wrapper, with the
 * wrappers in via, and nothing at the wrappers' own lines. Built with -g
 * (an inlined wrapper's caller comes from the inline frames). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static inline void *ymalloc(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void xfree(void *p)
{
	free(p);
}

struct want { unsigned line; const char *op; unsigned long long calls, bytes; const char *via; };
struct seen { const struct want *w; unsigned long long calls, bytes; char via[64]; int rows, wrapper_rows; };

static int look(const struct memstats_row *r, void *arg)
{
	struct seen *s = arg;

	if (!r->file || !strstr(r->file, "wrapped.c"))
		return 0;
	if (r->func && (strcmp(r->func, "xmalloc") == 0 || strcmp(r->func, "xfree") == 0) && r->c.calls)
		s->wrapper_rows++;
	if (r->line != s->w->line || strcmp(r->op, s->w->op) != 0)
		return 0;
	if (!s->rows++)
		for (int i = 0; i < MEMSTATS_VIA_MAX && r->via[i]; i++)
			snprintf(s->via + strlen(s->via), sizeof(s->via) - strlen(s->via), "%s%s", i ? ">" : "", r->via[i]);
	s->calls += r->c.calls;
	s->bytes += r->c.bytes;
	return 0;
}

static int expect(const struct want *w)
{
	struct seen s = { w, 0, 0, "", 0, 0 };

	memstats_foreach_site(look, &s);
	if (s.rows && s.calls == w->calls && s.bytes == w->bytes && strcmp(s.via, w->via) == 0 && !s.wrapper_rows)
		return 0;
	fprintf(stderr, "wrapped.c:%u %s: %d rows, %llu calls, %llu bytes, via %s, %d rows at the wrappers; "
		"expected %llu calls, %llu bytes, via %s\n", w->line, w->op, s.rows, s.calls, s.bytes, s.via,
		s.wrapper_rows, w->calls, w->bytes, w->via);
	return 1;
}

static void *keep[8];

int main(void)
{
	int bad = 0;

	for (int i = 0; i < 3; i++) {
		keep[i] = xmalloc(10); enum { L_LOOP = __LINE__ };
		static const struct want w = { L_LOOP, "malloc", 3, 30, "xmalloc" };
		if (i == 2)
			bad |= expect(&w);
	}
	keep[3] = xstrdup("hello"); enum { L_NESTED = __LINE__ };
	keep[4] = ymalloc(7); enum { L_INLINE = __LINE__ };
	xfree(keep[0]); enum { L_FREE = __LINE__ };
	const struct want nested = { L_NESTED, "malloc", 1, 6, "xstrdup>xmalloc" };
	const struct want inlined = { L_INLINE, "malloc", 1, 7, "ymalloc" };
	const struct want freed = { L_FREE, "free", 1, 0, "xfree" };
	bad |= expect(&nested);
	bad |= expect(&inlined);
	bad |= expect(&freed);
	return bad;
}
