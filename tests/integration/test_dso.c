/* test_dso.c - an instrumented plugin loaded, used, unloaded, loaded again:
 * its sites name it, outlive it, add up over its lives, and a report racing
 * a dlclose never reads unmapped memory. PLUGIN is its path (from make).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

struct plugin {
	void *handle;
	char *(*name)(void);
	void (*keep)(void);
	int strdup_line, keep_line, dtor_free_line;
};

static void load(struct plugin *p)
{
	int (*line)(void);

	p->handle = dlopen(PLUGIN, RTLD_NOW);
	ck_assert_msg(p->handle != NULL, "%s", dlerror());
	p->name = (char *(*)(void))dlsym(p->handle, "plugin_name");
	p->keep = (void (*)(void))dlsym(p->handle, "plugin_keep");
	line = (int (*)(void))dlsym(p->handle, "plugin_strdup_line");
	p->strdup_line = line();
	line = (int (*)(void))dlsym(p->handle, "plugin_keep_line");
	p->keep_line = line();
	line = (int (*)(void))dlsym(p->handle, "plugin_dtor_free_line");
	p->dtor_free_line = line();
}

/* The plugin's row at line with api: exactly one, in file file. */
static struct memstats_row plugin_row(const char *file, int line, const char *api)
{
	return site_in(file, (unsigned)line, api);
}

START_TEST(test_sites_outlive_dlclose)
{
	struct plugin p;

	load(&p);
	for (int i = 0; i < 3; i++)
		(free)(p.name());
	p.keep();
	dlclose(p.handle);

	struct memstats_row r = plugin_row("tests/integration/plugin/names.c", p.strdup_line, "strdup");
	ck_assert_uint_eq(r.c.calls, 3);
	ck_assert_uint_eq(r.c.bytes, 21);
	ck_assert_str_eq(r.func, "plugin_name");
	ck_assert_ptr_nonnull(strstr(r.object, "libplugin.so"));
	/* the free in the other file's destructor ran before the copy was made */
	r = plugin_row("tests/integration/plugin/other.c", p.dtor_free_line, "free");
	ck_assert_uint_eq(r.c.calls, 1);
	ck_assert_uint_eq(r.c.free_bytes, plugin_row("tests/integration/plugin/names.c", p.keep_line, "malloc").c.alloc_bytes);
}
END_TEST

START_TEST(test_reloads_add_up)
{
	struct plugin p;

	for (int life = 0; life < 3; life++) {
		load(&p);
		(free)(p.name());
		(free)(p.name());
		/* loaded: its live sites and its earlier lives' copy make one row */
		ck_assert_uint_eq(plugin_row("tests/integration/plugin/names.c", p.strdup_line, "strdup").c.calls,
				  2 * (unsigned)life + 2);
		dlclose(p.handle);
	}
	ck_assert_uint_eq(plugin_row("tests/integration/plugin/names.c", p.strdup_line, "strdup").c.calls, 6);
}
END_TEST

static volatile int stop;

static void *reload_forever(void *arg)
{
	struct plugin p;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		load(&p);
		(free)(p.name());
		dlclose(p.handle);
	}
	return arg;
}

START_TEST(test_report_racing_dlclose)
{
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_TEXT, .all = 1 };
	int fd = open("/dev/null", O_WRONLY);
	pthread_t th;

	pthread_create(&th, NULL, reload_forever, NULL);
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(memstats_dump_fd(fd, &opt), 0);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	close(fd);
}
END_TEST

/* A callback may do what any code does, dlopen included, while another
 * thread's dlclose holds ld.so's lock and runs our destructors: memstats
 * holds no lock of its own around the callback (it once did: deadlock). */
static int reopen(const struct memstats_row *r, void *arg)
{
	(void)r;
	(void)arg;
	dlclose(dlopen(PLUGIN2, RTLD_NOW));
	return 1;
}

static void *reload2_forever(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		void *h = dlopen(PLUGIN2, RTLD_NOW);
		char *(*name)(void) = (char *(*)(void))dlsym(h, "plugin_name");

		(free)(name());
		dlclose(h);
	}
	return arg;
}

START_TEST(test_callbacks_may_dlopen)
{
	struct plugin p;
	pthread_t th;

	load(&p); /* its sites make rows for the callback */
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, reload2_forever, NULL);
	for (int i = 0; i < 200; i++)
		ck_assert_uint_eq(memstats_foreach_site(reopen, NULL), 1);
	dlclose(p.handle);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dso");
	TCase *tc = tcase_create("plugin");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sites_outlive_dlclose);
	tcase_add_test(tc, test_reloads_add_up);
	tcase_add_test(tc, test_report_racing_dlclose);
	tcase_add_test(tc, test_callbacks_may_dlopen);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
