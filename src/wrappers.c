/* wrappers.c - the program's own allocator wrappers (MEMSTATS_WRAPPERS), by
 * name: a counted call made inside one of them is counted at the line that
 * called it (callers.c). Names are read once at start-up; which of them a
 * call was seen in is kept, for the report to list those never seen (a
 * misspelt name, or a wrapper the run never called). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_WRAPPERS 256

static char names_buf[sizeof(config.wrappers)];
static const char *names[MAX_WRAPPERS];
static int seen[MAX_WRAPPERS];   /* a call was seen in it */
static size_t nnames;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names separated by commas, white space ignored, duplicates dropped. */
void wrappers_init(const char *list)
{
	char *p = names_buf, *name;

	strcpy(names_buf, list);
	for (char *q = names_buf; *q; q++)
		if (*q != ' ' && *q != '\t' && *q != '\n')
			*p++ = *q;
	*p = '\0';
	for (p = names_buf; (name = strsep(&p, ",")) && nnames < MAX_WRAPPERS;)
		if (*name)
			names[nnames++] = name;
	qsort(names, nnames, sizeof(*names), by_name);
	size_t k = 0;
	for (size_t i = 0; i < nnames; i++)
		if (!k || strcmp(names[i], names[k - 1]) != 0)
			names[k++] = names[i];
	nnames = k;
}

size_t wrappers_count(void)
{
	return nnames;
}

/* The stored name if name is a wrapper's (and it is then marked seen). */
const char *wrapper_named(const char *name)
{
	const char **hit;

	if (!nnames || !name)
		return NULL;
	hit = bsearch(&name, names, nnames, sizeof(*names), by_name);
	if (!hit)
		return NULL;
	__atomic_store_n(&seen[hit - names], 1, __ATOMIC_RELAXED);
	return *hit;
}

size_t wrappers_unseen(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nnames && n < max; i++)
		if (!__atomic_load_n(&seen[i], __ATOMIC_RELAXED))
			out[n++] = names[i];
	return n;
}
