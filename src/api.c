/* api.c - the public entry points that are not allocation wrappers: the
 * registration the header's constructors make, and memstats_dump() & co.
 * Each enters the runtime first (start-up, a forked child's pending work),
 * then hands the work to the module that owns it.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

void memstats__register(struct memstats_site *start, struct memstats_site *stop, const void *anchor)
{
	runtime_enter();
	memstats__busy++;
	registry_add_section(start, stop, anchor);
	memstats__busy--;
}

/* Its callers resolved while the object is still there (wrapper sites in
 * it, calls from it), then its sites copied out. */
void memstats__unregister(const void *anchor)
{
	uintptr_t base;

	memstats__busy++;
	base = registry_unload(anchor);
	if (base)
		callers_unloading(base);
	memstats__busy--;
}

void memstats__describe(struct memstats_site *s, const char *file, unsigned int line, const char *func,
			unsigned int op, const char *api, const char *type)
{
	runtime_enter();
	memstats__busy++;
	registry_describe(s, file, line, func, op, api, type);
	memstats__busy--;
}

void memstats__preload_start(void *(*next_malloc)(size_t))
{
	usable_allocator = next_malloc;
	runtime_enter();
}

int memstats__preload_own(const void *pc)
{
	return symbols_owns((uintptr_t)pc);
}

void memstats__preload_unloading(uintptr_t base)
{
	runtime_enter();
	memstats__busy++;
	callers_unloading(base);
	memstats__busy--;
}

int memstats_dump(void)
{
	int rc;

	runtime_enter();
	memstats__busy++;
	rc = dump_configured();
	memstats__busy--;
	return rc;
}

int memstats_dump_fd(int fd, const struct memstats_options *opts)
{
	int rc;

	runtime_enter();
	memstats__busy++;
	rc = dump_to_fd(fd, opts ? opts : &config.report);
	memstats__busy--;
	return rc;
}

void memstats_get_options(struct memstats_options *opts)
{
	runtime_enter();
	*opts = config.report;
}

static void reset_one(struct memstats_site *s, const char *object, void *arg)
{
	(void)object;
	(void)arg;
	counters_reset(s);
}

static void reset_caller(const struct caller_row *row, void *arg)
{
	(void)arg;
	counters_reset(row->site);
}

void memstats_reset(void)
{
	runtime_enter();
	registry_lock();
	registry_walk(reset_one, NULL);
	callers_walk(reset_caller, NULL);
	if (track_on)
		track_reset_peaks();
	registry_unlock();
}

memstats_size_t memstats_foreach_site(int (*fn)(const struct memstats_row *row, void *arg), void *arg)
{
	struct memstats_row *rows;
	char *strings;
	ssize_t n;
	size_t i;

	runtime_enter();
	memstats__busy++;
	callers_resolve_all();
	n = snapshot_take(&rows, &strings);
	memstats__busy--;
	if (n < 0)
		return 0;
	/* fn runs without the lock: it may allocate, dlopen, ... */
	for (i = 0; i < (size_t)n; i++) {
		if (fn(&rows[i], arg)) {
			i++;
			break;
		}
	}
	memstats__busy++;
	free(strings);
	free(rows);
	memstats__busy--;
	return i;
}

int memstats_fail_set(const char *spec)
{
	runtime_enter();
	if (fail_set(spec) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
