/* test_dso.c - an instrumented plugin loaded, used, unloaded, loaded again:
 * its sites name it, outlive it, add up over its lives, and a report racing
 * a dlclose never reads unmapped memory. PLUGIN is its path (from make).
 */
#include <dlfcn.h>
#include <malloc.h>
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

/* The child runs outside Check's runner, so without its assertions. */
static int row_of(int line, const char *api, struct memstats_row *r)
{
	static struct site_query q;

	memset(&q, 0, sizeof(q));
	q.file = "tests/integration/plugin/names.c";
	q.line = (unsigned int)line;
	q.api = api;
	memstats_foreach_site(site_query_fn, &q);
	*r = q.row;
	return q.found == 1;
}

/* With MEMSTATS_TRACK=1 (a child run with it): blocks a plugin allocated
 * stay live on its sites after dlclose, and are resolved there when the
 * program frees them; the block its destructor frees is not live. */
static int tracked_child(void)
{
	void *h = dlopen(PLUGIN, RTLD_NOW);
	char *(*name)(void) = h ? (char *(*)(void))dlsym(h, "plugin_name") : NULL;
	void (*keep)(void) = h ? (void (*)(void))dlsym(h, "plugin_keep") : NULL;
	int (*line)(void) = h ? (int (*)(void))dlsym(h, "plugin_strdup_line") : NULL;
	int (*kline)(void) = h ? (int (*)(void))dlsym(h, "plugin_keep_line") : NULL;
	int ls, lk, bad = 0;
	char *names[3];
	struct memstats_row r;

	if (!name || !keep || !line || !kline)
		return 10;
	ls = line();
	lk = kline();
	for (int i = 0; i < 3; i++)
		names[i] = name();
	keep();
	dlclose(h);
	free(names[0]);
	bad |= !row_of(ls, "strdup", &r) || r.live.blocks != 2 || r.live.bytes != 14 || r.live.peak_bytes != 21;
	bad |= (!row_of(lk, "malloc", &r) || r.live.blocks != 0 || r.live.peak_bytes != 1000) << 1;
	free(names[1]);
	free(names[2]);
	bad |= (!row_of(ls, "strdup", &r) || r.live.blocks != 0 || r.live.bytes != 0) << 2;
	return bad;
}

START_TEST(test_tracked_blocks_outlive_dlclose)
{
	static const char *const env[] = { "MEMSTATS_TRACK=1", "MEMSTATS_OUTPUT=off", NULL };

	ck_assert_int_eq(run_child_checking_itself("track", env), 0);
}
END_TEST

static void *use_plugin_once(void *arg)
{
	struct plugin *p = arg;

	(free)(p->name());
	return NULL;
}

/* One life of the plugin, its sites called from this thread and a new one.
 * Returns the line of its strdup. */
static int plugin_life(void)
{
	struct plugin p;
	pthread_t th;

	load(&p);
	(free)(p.name());
	p.keep();
	pthread_create(&th, NULL, use_plugin_once, &p);
	pthread_join(th, NULL);
	dlclose(p.handle);
	return p.strdup_line;
}

/* A plugin loaded again takes back its sites' numbers and counts: reloading
 * costs no memory per cycle (it once cost a copy of every site, and every
 * thread's slots grew by a number per site and reload). */
START_TEST(test_reloads_cost_nothing)
{
	size_t before, after;
	int line = 0;

	for (int i = 0; i < 20; i++)
		line = plugin_life();
	before = mallinfo2().uordblks;
	for (int i = 0; i < 300; i++)
		plugin_life();
	after = mallinfo2().uordblks;
	ck_assert_msg(after < before + 4096, "300 reloads took %zu bytes", after - before);
	struct memstats_row r = plugin_row("tests/integration/plugin/names.c", line, "strdup");
	ck_assert_uint_ge(r.c.calls, 2 * 320);
}
END_TEST

static void *magic_bytes_thread(void *fn)
{
	((void (*)(void))fn)();
	return NULL;
}

/* A site's counters equal to the record's magic, folded into the site when
 * its thread exited, then copied at dlclose and taken back at the next
 * dlopen: reports walk the copies by index (a walk that looked for the
 * magic inside them read a record at the wrong place and crashed). */
START_TEST(test_kept_copy_holding_the_magic)
{
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON, .all = 1 };
	int fd = open("/dev/null", O_WRONLY);
	struct plugin p;
	pthread_t th;

	load(&p);
	pthread_create(&th, NULL, magic_bytes_thread, dlsym(p.handle, "plugin_magic_bytes"));
	pthread_join(th, NULL);
	dlclose(p.handle);
	load(&p);
	ck_assert_int_eq(memstats_dump_fd(fd, &opt), 0);
	dlclose(p.handle);
	ck_assert_int_eq(memstats_dump_fd(fd, &opt), 0);
	close(fd);
}
END_TEST

struct late_use {
	char *(*name)(void);
	int unloaded;
};

static void *use_then_wait(void *arg)
{
	struct late_use *u = arg;

	(free)(u->name());
	while (!__atomic_load_n(&u->unloaded, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL; /* exits after the plugin is gone: its counts are folded */
}

/* The plugin's registration fails (out of memory): one warning, and its
 * sites get no number, which would lead into it after its dlclose (a
 * thread exiting then once wrote its counts into the unmapped plugin). */
static int oom_child(void) /* not a test: no Check assertion here */
{
	struct late_use u = { NULL, 0 };
	void *h = dlopen(PLUGIN, RTLD_NOW);
	pthread_t th;

	if (!h || !(u.name = (char *(*)(void))dlsym(h, "plugin_name")))
		return 3;
	pthread_create(&th, NULL, use_then_wait, &u);
	usleep(100000);
	dlclose(h);
	__atomic_store_n(&u.unloaded, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	return 0;
}

START_TEST(test_registration_out_of_memory)
{
	static const char *const env[] = { "LD_PRELOAD=" OOM_SHIM, "MEMSTATS_OUTPUT=off", NULL };
	char dir[256], out[300], err[300], *e;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	ck_assert_int_eq(run_child("oom", env, NULL, out, err), 0);
	e = slurp(err);
	ck_assert_msg(strstr(e, "memstats: out of memory: the sites of one object will not be reported"), "%s", e);
	(free)(e);
	rm_tree(dir);
}
END_TEST

/* A C++ plugin whose counted calls are in an inline function and a template
 * unloads at each dlclose, as it does without memstats (its records are no
 * unique symbols), and its sites stay in the reports. */
START_TEST(test_cxx_plugin_unloads)
{
	int inline_line = 0, template_line = 0;

	for (int life = 0; life < 3; life++) {
		void *h = dlopen(CXXPLUGIN, RTLD_NOW);

		ck_assert_msg(h != NULL, "%s", dlerror());
		inline_line = ((int (*)(void))dlsym(h, "cxx_inline_line"))();
		template_line = ((int (*)(void))dlsym(h, "cxx_template_line"))();
		((void (*)(void))dlsym(h, "cxx_work"))();
		dlclose(h);
		ck_assert_msg(dlopen(CXXPLUGIN, RTLD_NOW | RTLD_NOLOAD) == NULL,
			      "the C++ plugin is still mapped after dlclose number %d", life + 1);
	}
	struct memstats_row r = plugin_row("tests/integration/cxxplugin/plugin.cc", inline_line, "strdup");
	ck_assert_uint_eq(r.c.calls, 3);
	ck_assert_uint_eq(r.c.bytes, 3 * 7);
	ck_assert_str_eq(r.func, "cxx_copy");
	ck_assert_ptr_nonnull(strstr(r.object, "libcxxplugin.so"));
	/* both instantiations, one row */
	r = plugin_row("tests/integration/cxxplugin/plugin.cc", template_line, "malloc");
	ck_assert_uint_eq(r.c.calls, 6);
	ck_assert_uint_eq(r.c.bytes, 3 * (10 * sizeof(int) + 10 * sizeof(double)));
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0 && strcmp(argv[2], "track") == 0)
		return tracked_child();
	if (argc == 3 && strcmp(argv[1], "child") == 0 && strcmp(argv[2], "oom") == 0)
		return oom_child();

	Suite *s = suite_create("dso");
	TCase *tc = tcase_create("plugin");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sites_outlive_dlclose);
	tcase_add_test(tc, test_reloads_add_up);
	tcase_add_test(tc, test_report_racing_dlclose);
	tcase_add_test(tc, test_callbacks_may_dlopen);
	tcase_add_test(tc, test_tracked_blocks_outlive_dlclose);
	tcase_add_test(tc, test_cxx_plugin_unloads);
	tcase_add_test(tc, test_reloads_cost_nothing);
	tcase_add_test(tc, test_kept_copy_holding_the_magic);
	tcase_add_test(tc, test_registration_out_of_memory);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
