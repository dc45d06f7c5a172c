/* test_track.c - live tracking in a real program built with -include
 * memstats.h: leaks at their lines, frees on other lines and threads,
 * realloc chains, foreign frees. The program runs itself again with
 * MEMSTATS_TRACK=1, which is read at start-up.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"

/* A total of the JSON report, as the runtime has it now. */
static memstats_u64 total(const char *name)
{
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };
	char key[64], *json, *at;
	FILE *f = tmpfile();
	memstats_u64 v = 0;
	long len;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(memstats_dump_fd(fileno(f), &opt), 0);
	len = lseek(fileno(f), 0, SEEK_END);
	json = (calloc)(1, (size_t)len + 1);
	ck_assert_int_eq(pread(fileno(f), json, (size_t)len, 0), len);
	fclose(f);
	snprintf(key, sizeof(key), "\"%s\": ", name);
	at = strstr(strstr(json, "\"totals\""), key);
	ck_assert_msg(at != NULL, "no %s in %s", name, json);
	v = strtoull(at + strlen(key), NULL, 10);
	(free)(json);
	return v;
}

static void release(void *p)
{
	free(p); /* the free of every test below: one line, one function */
}

START_TEST(test_leaks_at_their_lines)
{
	void *keep[4];
	int l = 0;

	for (int i = 0; i < 4; i++) {
		keep[i] = malloc(1001); l = __LINE__;
	}
	release(keep[3]);
	struct memstats_row r = site_at(l, "malloc");
	ck_assert_uint_eq(r.live.blocks, 3);
	ck_assert_uint_eq(r.live.bytes, 3003);
	ck_assert_uint_eq(r.live.peak_bytes, 4004);
	ck_assert_uint_eq(r.live.age_blocks[0], 3);
	ck_assert_uint_eq(r.live.age_bytes[0], 3003);
	for (int i = 0; i < 3; i++)
		release(keep[i]);
	r = site_at(l, "malloc");
	ck_assert_uint_eq(r.live.blocks, 0);
	ck_assert_uint_eq(r.live.bytes, 0);
	ck_assert_uint_eq(total("foreign_frees"), 0);
}
END_TEST

START_TEST(test_every_api_tracked_with_requested_bytes)
{
	void *a = calloc(3, 7); int la = __LINE__;
	char *b = strdup("hello"); int lb = __LINE__;
	char *c = strndup("hello world", 5); int lc = __LINE__;
	void *d = NULL;
	int rc = posix_memalign(&d, 64, 100); int ld = __LINE__;
	void *e = aligned_alloc(64, 128); int le = __LINE__;
	void *f = ha_aligned_zalloc(64, 33); int lf = __LINE__;

	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(site_at(la, "calloc").live.bytes, 21);
	ck_assert_uint_eq(site_at(lb, "strdup").live.bytes, 6);
	ck_assert_uint_eq(site_at(lc, "strndup").live.bytes, 6);
	ck_assert_uint_eq(site_at(ld, "posix_memalign").live.bytes, 100);
	ck_assert_uint_eq(site_at(le, "aligned_alloc").live.bytes, 128);
	ck_assert_uint_eq(site_at(lf, "ha_aligned_zalloc").live.bytes, 33);
	release(a); release(b); release(c); release(d); release(e);
	ha_aligned_free(f);
	ck_assert_uint_eq(site_at(la, "calloc").live.blocks + site_at(lb, "strdup").live.blocks +
			  site_at(lc, "strndup").live.blocks + site_at(ld, "posix_memalign").live.blocks +
			  site_at(le, "aligned_alloc").live.blocks + site_at(lf, "ha_aligned_zalloc").live.blocks, 0);
	ck_assert_uint_eq(total("foreign_frees"), 0);
}
END_TEST

START_TEST(test_realloc_chains)
{
	char *v = NULL, *w = NULL;
	int lv = 0, lw = 0;

	for (int i = 1; i <= 8; i++) {
		v = realloc(v, (size_t)i * 4096); lv = __LINE__;
	}
	release(v);
	for (int i = 1; i <= 3; i++) {
		w = realloc(w, (size_t)i * 100); lw = __LINE__;
	}
	struct memstats_row r = site_at(lv, "realloc");
	ck_assert_uint_eq(r.live.blocks, 0);
	ck_assert_uint_eq(r.live.peak_bytes, 32768);
	r = site_at(lw, "realloc");
	ck_assert_uint_eq(r.live.blocks, 1);
	ck_assert_uint_eq(r.live.bytes, 300);
	/* a failed realloc leaves the block live where it was */
	volatile size_t huge = SIZE_MAX / 2;
	ck_assert_ptr_null(realloc(w, huge));
	ck_assert_uint_eq(site_at(lw, "realloc").live.bytes, 300);
	release(w);
	ck_assert_uint_eq(site_at(lw, "realloc").live.blocks, 0);
}
END_TEST

struct handoff {
	void *p[100];
	int line;
};

static void *alloc_some(void *arg)
{
	struct handoff *h = arg;

	for (int i = 0; i < 100; i++) {
		h->p[i] = malloc(24); h->line = __LINE__;
	}
	return NULL;
}

static void *free_some(void *arg)
{
	struct handoff *h = arg;

	for (int i = 0; i < 100; i++)
		release(h->p[i]);
	return NULL;
}

/* Allocated on one thread, freed on another: by a thread still running, and
 * after the allocating thread is gone. */
START_TEST(test_frees_on_other_threads)
{
	struct handoff h;
	pthread_t t;

	alloc_some(&h); /* main allocates, a thread frees */
	ck_assert_int_eq(pthread_create(&t, NULL, free_some, &h), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(site_at(h.line, "malloc").live.blocks, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_some, &h), 0); /* a thread allocates and ends */
	pthread_join(t, NULL);
	ck_assert_uint_eq(site_at(h.line, "malloc").live.blocks, 100);
	ck_assert_uint_eq(site_at(h.line, "malloc").live.bytes, 2400);
	free_some(&h);
	ck_assert_uint_eq(site_at(h.line, "malloc").live.blocks, 0);
	ck_assert_uint_eq(site_at(h.line, "malloc").live.peak_bytes, 2400);
	ck_assert_uint_eq(total("foreign_frees"), 0);
}
END_TEST

/* Threads allocating and freeing at the same sites: exact in the end. */
static void *churn(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		void *p = malloc(40);
		release(p);
	}
	return arg;
}

START_TEST(test_threads_churn)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(total("live_blocks"), 0);
	ck_assert_uint_eq(total("live_bytes"), 0);
	ck_assert_uint_eq(total("foreign_frees"), 0);
}
END_TEST

/* Blocks the C library allocated (getline's buffer, strdup through a
 * parenthesised name) freed by instrumented code: foreign, exactly. */
START_TEST(test_foreign_frees)
{
	memstats_u64 before = total("foreign_frees");
	char *line = NULL;
	size_t n = 0;
	FILE *f = fmemopen((char *)"abc\n", 4, "r");

	ck_assert_int_gt(getline(&line, &n, f), 0);
	fclose(f);
	release(line);
	release((strdup)("x"));
	ck_assert_uint_eq(total("foreign_frees"), before + 2);
	ck_assert_uint_eq(total("live_blocks"), 0);
}
END_TEST

/* A request too big to serve (its size near 2^62) fails, and the blocks
 * after it are tracked still: the countdown of the inline path must not
 * wrap around to a positive number past it. */
START_TEST(test_huge_failed_request)
{
	/* the site's first call goes out of line, its second sets the countdown */
	const size_t sizes[3] = { 1, 1, (size_t)0x5000000000000000ull };
	void *p = NULL, *q;
	int l;

	for (int i = 0; i < 3; i++) {
		release(p);
		p = malloc(*(volatile const size_t *)&sizes[i]);
	}
	ck_assert_ptr_null(p);
	for (int i = 0; i < 2; i++) { /* the second call inline */
		q = malloc(10); l = __LINE__;
		if (i == 0)
			release(q);
	}
	ck_assert_uint_eq(site_at(l, "malloc").live.blocks, 1);
	release(q);
	ck_assert_uint_eq(site_at(l, "malloc").live.blocks, 0);
}
END_TEST

START_TEST(test_peak_and_totals)
{
	char *small = malloc(100); int ls = __LINE__;
	char *big = malloc(1 << 20); int lb = __LINE__;

	memset(big, 1, 1 << 20);
	release(big);
	ck_assert_uint_eq(site_at(lb, "malloc").live.peak_bytes, 1 << 20);
	ck_assert_uint_eq(total("live_bytes"), 100);
	ck_assert_uint_eq(total("live_blocks"), 1);
	ck_assert_uint_ge(total("peak_live_bytes"), (1 << 20) + 100);
	release(small);
	ck_assert_uint_eq(site_at(ls, "malloc").live.blocks, 0);
}
END_TEST

static int stalled[2];

static void *dump_to_stalled_pipe(void *arg)
{
	const struct memstats_options opt = { .all = 1 };

	memstats_dump_fd(stalled[1], &opt);
	return arg;
}

/* A report blocked writing (a pipe nobody reads) must not stall the
 * program's frees of blocks from other threads, which look in the other
 * threads' tables under the registry lock. */
START_TEST(test_report_stalled_on_a_pipe_stalls_no_free)
{
	struct handoff h;
	pthread_t dumper, t;
	struct timespec limit;
	char buf[4096];

	ck_assert_int_eq(pipe(stalled), 0);
	fcntl(stalled[1], F_SETPIPE_SZ, 4096);
	memset(buf, 'x', sizeof(buf));
	while (write(stalled[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) && fcntl(stalled[1], F_GETFL) >= 0) {
		fcntl(stalled[1], F_SETFL, O_NONBLOCK); /* fill it, then block again */
	}
	fcntl(stalled[1], F_SETFL, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_some, &h), 0); /* blocks of a thread gone */
	pthread_join(t, NULL);
	ck_assert_int_eq(pthread_create(&dumper, NULL, dump_to_stalled_pipe, NULL), 0);
	usleep(200000); /* the report is blocked in write() by now */
	ck_assert_int_eq(pthread_create(&t, NULL, free_some, &h), 0);
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 10;
	ck_assert_int_eq(pthread_timedjoin_np(t, NULL, &limit), 0);
	ck_assert_uint_eq(site_at(h.line, "malloc").live.blocks, 0);
	fcntl(stalled[0], F_SETFL, O_NONBLOCK);
	while (pthread_tryjoin_np(dumper, NULL) != 0) /* drain until the report is through */
		if (read(stalled[0], buf, sizeof(buf)) <= 0)
			usleep(1000);
	close(stalled[0]);
	close(stalled[1]);
}
END_TEST

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

/* Tracking must not make the process multithreaded behind its back (a
 * single-threaded program may unshare(), say). Each test runs in a fresh
 * child of one thread. */
START_TEST(test_no_thread_of_ours)
{
	static char status[8192];
	void *p = malloc(10);
	FILE *f = fopen("/proc/self/status", "r"); /* its size says 0: read to the end */
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(status, 1, sizeof(status) - 1, f);
	status[n] = '\0';
	fclose(f);
#if defined(__SANITIZE_THREAD__) || defined(UNDER_TSAN)
	(void)status; /* TSan runs a thread of its own */
#else
	ck_assert_msg(strstr(status, "\nThreads:\t1\n") != NULL, "%s", strstr(status, "Threads"));
#endif
	release(p);
}
END_TEST

/* A thread's state is gone once memstats' key destructor ran at its exit;
 * a destructor of the program's that runs after it allocates again: those
 * blocks go to a new state, never to the old one's freed table. */
static int late_line;
static void *late_keep;
static pthread_key_t late_key;

static void late(void *arg)
{
	for (int i = 0; i < 3; i++) {
		void *p = malloc(40); late_line = __LINE__;
		if (i < 2)
			release(p);
		else
			late_keep = p;
	}
	(void)arg;
}

static void *late_thread(void *arg)
{
	for (int i = 0; i < 2; i++) /* the second call is inline: the short way from then on */
		release(malloc(8));
	ck_assert_int_eq(pthread_setspecific(late_key, arg), 0);
	return NULL;
}

START_TEST(test_calls_after_the_thread_state_is_gone)
{
	pthread_t t;
	struct memstats_row r;

	release(malloc(1)); /* memstats' key first: its destructor runs before the program's */
	ck_assert_int_eq(pthread_key_create(&late_key, late), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, late_thread, &late_line), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	r = site_at(late_line, "malloc");
	ck_assert_uint_eq(r.c.calls, 3);
	ck_assert_uint_eq(r.live.blocks, 1);
	ck_assert_uint_eq(r.live.bytes, 40);
	ck_assert_uint_eq(r.live.peak_bytes, 40);
	release(late_keep);
	ck_assert_uint_eq(site_at(late_line, "malloc").live.blocks, 0);
}
END_TEST

int main(int argc, char **argv)
{
	run_again_with(argv, (const char *const[]){ "MEMSTATS_TRACK=1", NULL });
	(void)argc;
	Suite *s = suite_create("track");
	TCase *tc = tcase_create("live");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_leaks_at_their_lines);
	tcase_add_test(tc, test_every_api_tracked_with_requested_bytes);
	tcase_add_test(tc, test_realloc_chains);
	tcase_add_test(tc, test_frees_on_other_threads);
	tcase_add_test(tc, test_threads_churn);
	tcase_add_test(tc, test_foreign_frees);
	tcase_add_test(tc, test_peak_and_totals);
	tcase_add_test(tc, test_huge_failed_request);
	tcase_add_test(tc, test_no_thread_of_ours);
	tcase_add_test(tc, test_calls_after_the_thread_state_is_gone);
	tcase_add_test(tc, test_report_stalled_on_a_pipe_stalls_no_free);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
