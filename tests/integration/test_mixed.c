/* test_mixed.c - an instrumented program under libmemstats-preload.so: its
 * macro sites count exactly as without it and no call of theirs is counted
 * again as a caller row (the macros and the interposer agree which of them
 * counts a call: instrumented code runs out of line, and the runtime's own
 * calls are not counted); what the C library allocates for it comes as
 * caller rows, and a block of getline's freed by instrumented code is no
 * foreign free. The program runs itself again under the preload library.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <malloc.h>

#include "itest.h"

#ifndef PRELOAD
#error "make passes PRELOAD, the preload library's path"
#endif

/* Caller rows at this program's own instrumented lines (this file and
 * itest.h; the Check library linked in is not instrumented): each would be
 * a second count. */
static int own_callers_fn(const struct memstats_row *r, void *arg)
{
	const char *f = last_component(r->file);

	if (r->kind && strcmp(r->kind, "caller") == 0 && f && (strcmp(f, "test_mixed.c") == 0 || strcmp(f, "itest.h") == 0))
		*(memstats_u64 *)arg += r->c.calls;
	return 0;
}

static int libc_fn(const struct memstats_row *r, void *arg)
{
	if (r->object && strstr(r->object, "libc.so"))
		*(memstats_u64 *)arg += r->c.calls;
	return 0;
}

START_TEST(test_sites_exact_and_never_again)
{
	void *v[6];
	memstats_u64 own = 0, libc = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	for (int i = 0; i < 6; i++) {
		v[i] = malloc(32); enum { LM = __LINE__ };
		if (i == 5)
			ck_assert_site(LM, "malloc", 6, 0, 6 * 32, 6 * (memstats_u64)malloc_usable_size(v[0]), 0);
	}
	for (int i = 0; i < 6; i++) {
		free(v[i]); enum { LF = __LINE__ };
		if (i == 5)
			ck_assert_uint_eq(site_at(LF, "free").c.calls, 6);
	}
	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(getline(&line, &cap, f), 0);
	fclose(f);
	free(line);
	memstats_foreach_site(own_callers_fn, &own);
	memstats_foreach_site(libc_fn, &libc);
	ck_assert_uint_eq(own, 0);
	ck_assert_uint_gt(libc, 0);
	ck_assert_int_eq(memstats_tls_.limit, 0); /* out of line under it */
}
END_TEST

static int tracked_child(void)
{
	char json[1 << 16] = "";
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	int fd = memfd_create("r", 0);
	struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };

	if (!f || getline(&line, &cap, f) < 0)
		return 3;
	fclose(f);
	free(line); /* counted here, found in the live table: libc's, tracked */
	memstats_dump_fd(fd, &opt);
	return pread(fd, json, sizeof(json) - 1, 0) > 0 && strstr(json, "\"foreign_frees\": 0") ? 0 : 1;
}

START_TEST(test_libc_block_freed_here_is_not_foreign)
{
	static const char *const env[] = { "MEMSTATS_TRACK=1", "MEMSTATS_OUTPUT=off", NULL };

	ck_assert_int_eq(run_child_checking_itself("track", env), 0);
}
END_TEST

int main(int argc, char **argv)
{
	const char *self = getenv("ITEST_SELF"), *pre = getenv("LD_PRELOAD");

	if (!pre || !strstr(pre, "libmemstats-preload.so")) {
		setenv("LD_PRELOAD", PRELOAD, 1);
		execv(self ? self : argv[0], argv);
		return 127;
	}
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return tracked_child();

	Suite *s = suite_create("mixed");
	TCase *tc = tcase_create("mixed");

	tcase_add_test(tc, test_sites_exact_and_never_again);
	tcase_add_test(tc, test_libc_block_freed_here_is_not_foreign);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
