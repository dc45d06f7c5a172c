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
	registry_add_section(start, stop, anchor);
}

void memstats__unregister(const void *anchor)
{
	registry_unload(anchor);
}

void memstats__describe(struct memstats_site *s, const char *file, unsigned int line, const char *func,
			unsigned int op, const char *api, const char *type)
{
	runtime_enter();
	registry_describe(s, file, line, func, op, api, type);
}

int memstats_dump(void)
{
	runtime_enter();
	return dump_configured();
}

int memstats_dump_fd(int fd, const struct memstats_options *opts)
{
	runtime_enter();
	return dump_to_fd(fd, opts ? opts : &config.report);
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

void memstats_reset(void)
{
	runtime_enter();
	registry_lock();
	registry_walk(reset_one, NULL);
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
	n = snapshot_take(&rows, &strings);
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
