/* test_pools.c - a project's own allocator: memstats_pool_alloc() and
 * memstats_pool_free() rows, one per pool name at a site, exact under
 * threads, across memstats_reset() and fork, live from p_alloc to p_free
 * apart from the heap's blocks, and at the callers' lines when the pool's
 * functions are declared wrappers. Runs itself again with
 * MEMSTATS_WRAPPERS=wrapped_get,wrapped_put and MEMSTATS_TRACK=1 (both are
 * read at start-up); raw_get and raw_put are the same pool, not declared.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <memstats.h>

#include "itest.h"

struct pool {
	const char *name;
	size_t size;
	void *free_list;
	pthread_mutex_t lock;
};

static struct pool buffers = { "buffer", 64, NULL, PTHREAD_MUTEX_INITIALIZER };
static struct pool sessions = { "session", 200, NULL, PTHREAD_MUTEX_INITIALIZER };
static int raw_alloc_line, raw_free_line, raw_miss_line;

static void *raw_get(struct pool *p)
{
	void *o;

	pthread_mutex_lock(&p->lock);
	if ((o = p->free_list))
		p->free_list = *(void **)o;
	pthread_mutex_unlock(&p->lock);
	if (!o) {
		o = malloc(p->size); raw_miss_line = __LINE__;
	}
	memstats_pool_alloc(p->name, p->size, o); raw_alloc_line = __LINE__;
	return o;
}

static void raw_put(struct pool *p, void *o)
{
	memstats_pool_free(p->name, p->size, o); raw_free_line = __LINE__;
	pthread_mutex_lock(&p->lock);
	*(void **)o = p->free_list;
	p->free_list = o;
	pthread_mutex_unlock(&p->lock);
}

/* The same pool, its functions declared wrappers: counted at the callers. */
__attribute__((noinline)) void *wrapped_get(struct pool *p)
{
	void *o = p->free_list;

	if (o)
		p->free_list = *(void **)o;
	else
		o = malloc(p->size);
	memstats_pool_alloc(p->name, p->size, o);
	return o;
}

__attribute__((noinline)) void wrapped_put(struct pool *p, void *o)
{
	memstats_pool_free(p->name, p->size, o);
	*(void **)o = p->free_list;
	p->free_list = o;
}

/* ---- rows by line, api and pool name -------------------------------------- */

struct named_query {
	unsigned int line;
	const char *api, *type;
	int found;
	struct memstats_row sum;
	char kind[16], via[64];
};

static int named_fn(const struct memstats_row *r, void *arg)
{
	struct named_query *q = arg;

	if (r->line != q->line || strcmp(r->api, q->api) != 0 || !r->file ||
	    strcmp(last_component(r->file), "test_pools.c") != 0 ||
	    (q->type ? !r->type || strcmp(r->type, q->type) != 0 : r->type != NULL))
		return 0;
	q->found++;
	q->sum.c.calls += r->c.calls;
	q->sum.c.failed += r->c.failed;
	q->sum.c.bytes += r->c.bytes;
	q->sum.c.alloc_bytes += r->c.alloc_bytes;
	q->sum.c.free_bytes += r->c.free_bytes;
	q->sum.live.blocks += r->live.blocks;
	q->sum.live.bytes += r->live.bytes;
	snprintf(q->kind, sizeof(q->kind), "%s", r->kind ? r->kind : "");
	snprintf(q->via, sizeof(q->via), "%s", r->via[0] ? r->via[0] : "");
	return 0;
}

/* named_fn's test for rows of any file (a plugin's) */
static int named_any_fn(const struct memstats_row *r, void *arg)
{
	struct named_query *q = arg;

	if (!r->file || strcmp(last_component(r->file), "pool-plugin.c") != 0 || r->line != q->line ||
	    strcmp(r->api, q->api) != 0 || !r->type || strcmp(r->type, q->type) != 0)
		return 0;
	q->found++;
	q->sum.c.calls += r->c.calls;
	q->sum.c.bytes += r->c.bytes;
	return 0;
}

/* The one row at line for api and pool name type (NULL: none). */
static struct named_query named(unsigned int line, const char *api, const char *type)
{
	struct named_query q = { .line = line, .api = api, .type = type };

	memstats_foreach_site(named_fn, &q);
	ck_assert_msg(q.found == 1, "%d rows at line %u %s %s, expected 1", q.found, line, api, type);
	return q;
}

static int rows_at_line(unsigned int line)
{
	struct named_query q = { .line = line, .api = "memstats_pool_alloc" };
	int n = 0;

	for (const char *const *t = (const char *const[]){ "buffer", "session", "scratch", "reused", NULL }; *t; t++) {
		q.type = *t;
		q.found = 0;
		memstats_foreach_site(named_fn, &q);
		n += q.found;
	}
	return n;
}

static void drain(struct pool *p)
{
	while (p->free_list) {
		void *o = p->free_list;

		p->free_list = *(void **)o;
		(free)(o); /* not counted: the pool's blocks, gone between tests */
	}
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_rows_per_pool_name)
{
	void *b[10], *s[2];
	struct named_query q;

	memstats_reset();
	for (int i = 0; i < 10; i++)
		b[i] = raw_get(&buffers);
	for (int i = 0; i < 10; i++)
		raw_put(&buffers, b[i]);
	for (int i = 0; i < 4; i++)
		b[i] = raw_get(&buffers); /* hits: no malloc */
	for (int i = 0; i < 2; i++)
		s[i] = raw_get(&sessions);
	q = named(raw_alloc_line, "memstats_pool_alloc", "buffer");
	ck_assert_uint_eq(q.sum.c.calls, 14);
	ck_assert_uint_eq(q.sum.c.bytes, 14 * 64);
	ck_assert_uint_eq(q.sum.c.alloc_bytes, 14 * 64); /* the size given: a pool object has no usable size */
	ck_assert_str_eq(q.kind, "site");
	q = named(raw_free_line, "memstats_pool_free", "buffer");
	ck_assert_uint_eq(q.sum.c.calls, 10);
	ck_assert_uint_eq(q.sum.c.free_bytes, 10 * 64);
	ck_assert_uint_eq(q.sum.c.bytes, 0);
	q = named(raw_alloc_line, "memstats_pool_alloc", "session");
	ck_assert_uint_eq(q.sum.c.calls, 2);
	ck_assert_uint_eq(q.sum.c.bytes, 400);
	ck_assert_uint_eq(named(raw_miss_line, "malloc", NULL).sum.c.calls, 12); /* misses only */
	for (int i = 0; i < 4; i++)
		raw_put(&buffers, b[i]);
	for (int i = 0; i < 2; i++)
		raw_put(&sessions, s[i]);
	drain(&buffers);
	drain(&sessions);
}
END_TEST

START_TEST(test_failure_and_null_free)
{
	int x;

	memstats_reset();
	memstats_pool_alloc("session", 200, NULL); int l1 = __LINE__;
	memstats_pool_alloc("session", 200, &x);
	memstats_pool_free("session", 200, NULL); int l2 = __LINE__; /* as free(NULL): no call */
	struct named_query q = named((unsigned)l1, "memstats_pool_alloc", "session");
	ck_assert_uint_eq(q.sum.c.calls, 1);
	ck_assert_uint_eq(q.sum.c.failed, 1);
	ck_assert_uint_eq(q.sum.c.bytes, 200);
	ck_assert_uint_eq(q.sum.c.alloc_bytes, 0);
	ck_assert_uint_eq(named((unsigned)l1 + 1, "memstats_pool_alloc", "session").sum.c.alloc_bytes, 200);
	q = (struct named_query){ .line = (unsigned)l2, .api = "memstats_pool_free", .type = "session" };
	memstats_foreach_site(named_fn, &q);
	ck_assert_uint_eq(q.sum.c.calls, 0);
	memstats_pool_free("session", 200, &x);
}
END_TEST

/* Rows go by the name's text: two buffers holding one name are one row,
 * which keeps its name after the buffers change; a buffer holding another
 * name now counts in that name's row, at the same site. */
static int named_line;

static void alloc_named(const char *name, void *p)
{
	memstats_pool_alloc(name, 16, p); named_line = __LINE__;
}

START_TEST(test_name_copied)
{
	char names[2][16];

	memstats_reset();
	for (int i = 0; i < 2; i++) {
		strcpy(names[i], "scratch");
		alloc_named(names[i], names[i]);
	}
	alloc_named(names[0], names[0]);
	strcpy(names[0], "reused");
	strcpy(names[1], "reused");
	alloc_named(names[0], names[0]); /* same pointer, new text */
	alloc_named(names[1], names[1]);
	ck_assert_uint_eq(named((unsigned)named_line, "memstats_pool_alloc", "scratch").sum.c.calls, 3);
	ck_assert_uint_eq(named((unsigned)named_line, "memstats_pool_alloc", "reused").sum.c.calls, 2);
	ck_assert_int_eq(rows_at_line((unsigned)named_line), 2);
}
END_TEST

static void *pool_worker(void *arg)
{
	struct pool *p = arg;

	for (int i = 0; i < 20000; i++)
		raw_put(p, raw_get(p));
	return NULL;
}

START_TEST(test_threads_exact)
{
	pthread_t t[4];

	memstats_reset();
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, pool_worker, i % 2 ? &buffers : &sessions);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "buffer").sum.c.calls, 40000);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "session").sum.c.calls, 40000);
	ck_assert_uint_eq(named(raw_free_line, "memstats_pool_free", "session").sum.c.free_bytes, 40000 * 200);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "buffer").sum.live.blocks, 0);
	drain(&buffers);
	drain(&sessions);
}
END_TEST

START_TEST(test_reset_and_fork)
{
	void *o;
	pid_t pid;

	memstats_reset();
	raw_put(&buffers, raw_get(&buffers));
	memstats_reset();
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "buffer").sum.c.calls, 0);
	o = raw_get(&buffers);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "buffer").sum.c.calls, 1);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "buffer").sum.live.blocks, 1);
	pid = fork();
	if (pid == 0) { /* the child counts on from the parent's counts, its own */
		raw_put(&buffers, raw_get(&buffers));
		raw_put(&buffers, o);
		struct named_query q = named(raw_alloc_line, "memstats_pool_alloc", "buffer");
		_exit(q.sum.c.calls == 2 && q.sum.live.blocks == 0 ? 0 : 1);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "buffer").sum.c.calls, 1);
	raw_put(&buffers, o);
	drain(&buffers);
}
END_TEST

/* Live from p_alloc to p_free, apart from the heap: the pool's own block
 * at the same address stays live as a malloc'd block. */
START_TEST(test_live_apart_from_the_heap)
{
	void *o[3];
	struct named_query q;

	memstats_reset(); /* the counts, not the live blocks: none yet in this test's process */
	for (int i = 0; i < 3; i++)
		o[i] = raw_get(&sessions);
	raw_put(&sessions, o[0]);
	q = named(raw_alloc_line, "memstats_pool_alloc", "session");
	ck_assert_uint_eq(q.sum.live.blocks, 2);
	ck_assert_uint_eq(q.sum.live.bytes, 400);
	ck_assert_uint_eq(named(raw_miss_line, "malloc", NULL).sum.live.blocks, 3);
	raw_put(&sessions, o[1]);
	raw_put(&sessions, o[2]);
	ck_assert_uint_eq(named(raw_alloc_line, "memstats_pool_alloc", "session").sum.live.blocks, 0);
	ck_assert_uint_eq(named(raw_miss_line, "malloc", NULL).sum.live.blocks, 3);
	drain(&sessions);
}
END_TEST

START_TEST(test_wrapped_pool_at_the_callers)
{
	void *o;
	struct named_query q;

	memstats_reset();
	o = wrapped_get(&buffers); int l1 = __LINE__;
	wrapped_put(&buffers, o); int l2 = __LINE__;
	o = wrapped_get(&buffers); int l3 = __LINE__;
	q = named((unsigned)l1, "memstats_pool_alloc", "buffer");
	ck_assert_uint_eq(q.sum.c.calls, 1);
	ck_assert_str_eq(q.kind, "caller");
	ck_assert_str_eq(q.via, "wrapped_get");
	ck_assert_uint_eq(named((unsigned)l1, "malloc", NULL).sum.c.calls, 1); /* the miss, at the caller */
	q = named((unsigned)l2, "memstats_pool_free", "buffer");
	ck_assert_uint_eq(q.sum.c.calls, 1);
	ck_assert_str_eq(q.via, "wrapped_put");
	ck_assert_uint_eq(named((unsigned)l3, "memstats_pool_alloc", "buffer").sum.c.calls, 1);
	ck_assert_uint_eq(named((unsigned)l3, "memstats_pool_alloc", "buffer").sum.live.blocks, 1);
	wrapped_put(&buffers, o);
	drain(&buffers);
}
END_TEST

/* A plugin's pool rows outlive its dlclose, and its next life counts on
 * in them, with the name each had. */
START_TEST(test_plugin_unloaded_and_loaded_again)
{
	int x, line = 0;

	memstats_reset();
	for (int life = 0; life < 3; life++) {
		void *h = dlopen(POOLPLUGIN, RTLD_NOW);
		void (*op)(const char *, void *);

		ck_assert_msg(h != NULL, "%s", dlerror());
		op = (void (*)(const char *, void *))dlsym(h, "plugin_pool_op");
		op("plugged", &x);
		op(life ? "again" : "plugged", &x);
		line = *(int *)dlsym(h, "plugin_pool_line");
		ck_assert_int_eq(dlclose(h), 0);
	}
	struct named_query q = { .line = (unsigned)line, .api = "memstats_pool_alloc", .type = "plugged" };

	memstats_foreach_site(named_any_fn, &q);
	ck_assert_int_eq(q.found, 1);
	ck_assert_uint_eq(q.sum.c.calls, 4);
	ck_assert_uint_eq(q.sum.c.bytes, 4 * 24);
	q = (struct named_query){ .line = (unsigned)line, .api = "memstats_pool_alloc", .type = "again" };
	memstats_foreach_site(named_any_fn, &q);
	ck_assert_int_eq(q.found, 1);
	ck_assert_uint_eq(q.sum.c.calls, 2);
}
END_TEST

int main(int argc, char **argv)
{
	run_again_with(argv, (const char *const[]){ "MEMSTATS_WRAPPERS=wrapped_get,wrapped_put", "MEMSTATS_TRACK=1", NULL });
	(void)argc;
	Suite *s = suite_create("pools");
	TCase *tc = tcase_create("pools");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rows_per_pool_name);
	tcase_add_test(tc, test_failure_and_null_free);
	tcase_add_test(tc, test_name_copied);
	tcase_add_test(tc, test_threads_exact);
	tcase_add_test(tc, test_reset_and_fork);
	tcase_add_test(tc, test_live_apart_from_the_heap);
	tcase_add_test(tc, test_wrapped_pool_at_the_callers);
	tcase_add_test(tc, test_plugin_unloaded_and_loaded_again);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
