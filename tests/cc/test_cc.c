/* test_cc.c - memstats-cc and memstats-c++: what they add to the real
 * compiler's command and where (a stand-in compiler, fake-cc.sh, logs its
 * arguments), the fallback ladder and link failures, and real builds with
 * the real compiler counted exactly: as-needed links with the flags first,
 * assembly, an object that allocates nothing, C++, -static. BUILD is the
 * build directory, SRC the project's root, REAL_CC and REAL_CXX the
 * compilers memstats-cc and memstats-c++ run (from make).
 */
#define _GNU_SOURCE
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CC_ BUILD "/memstats-cc"
#define CXX_ BUILD "/memstats-c++"
#define FAKE SRC "/tests/cc/fake-cc.sh"

static char dir[256];
static char inc[PATH_MAX], lib[PATH_MAX];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/memstats-cc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(realpath(SRC "/include", inc));
	ck_assert_ptr_nonnull(realpath(BUILD, lib));
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Runs a shell command in dir, its stdout and stderr in the files out and
 * err there; its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4096], full[4600];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full),
		 "cd '%s' && (unset MEMSTATS_CC_ACTIVE MEMSTATS_OUTPUT; export MEMSTATS_REAL_CC='%s' "
		 "MEMSTATS_REAL_CXX='%s'; %s) >out 2>err",
		 dir, REAL_CC, REAL_CXX, cmd);
	status = system(full);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp_in(const char *name)
{
	char path[512];
	FILE *f;
	char *text;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fread(text, 1, (size_t)n, f), n);
	fclose(f);
	return text;
}

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int lines_of(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The stand-in compiler's log, each run's arguments joined by spaces, runs
 * ending in " |". */
static char *runs(void)
{
	char *log = slurp_in("log"), *out = calloc(1, strlen(log) * 2 + 2);

	ck_assert_ptr_nonnull(out);
	for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
		if (*out)
			strcat(out, " ");
		strcat(out, strcmp(line, "--") == 0 ? "|" : line);
	}
	free(log);
	return out;
}

#define ck_assert_runs(fmt, ...)                                             \
	do {                                                                \
		char *want_, *got_ = runs();                                \
		ck_assert_int_ge(asprintf(&want_, fmt, __VA_ARGS__), 0);    \
		ck_assert_str_eq(got_, want_);                              \
		free(got_);                                                 \
		free(want_);                                                \
	} while (0)

#define FAKE_ENV "MEMSTATS_REAL_CC=" FAKE " MEMSTATS_REAL_CXX=" FAKE " FAKE_LOG=log "

/* ---- what is added, and where -------------------------------------------- */

START_TEST(test_compile_gets_the_header_first)
{
	ck_assert_int_eq(sh(FAKE_ENV CC_ " -O2 -DX=1 -c a.c -o a.o"), 0);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h -O2 -DX=1 -c a.c -o a.o |", inc, inc);
}
END_TEST

START_TEST(test_link_gets_the_library_last)
{
	ck_assert_int_eq(sh(FAKE_ENV CC_ " -Wl,--as-needed -o prog main.o a.o -lm -Wl,-Bstatic"), 0);
	ck_assert_runs("-Wl,--as-needed -o prog main.o a.o -lm -Wl,-Bstatic -L %s -Wl,--push-state,-Bdynamic "
		       "-lmemstats -Wl,--pop-state -Wl,-rpath,%s -pthread |", lib, lib);
}
END_TEST

START_TEST(test_compile_and_link_gets_both)
{
	ck_assert_int_eq(sh(FAKE_ENV CXX_ " -g app.cc -o app"), 0);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h -g app.cc -o app -L %s "
		       "-Wl,--push-state,-Bdynamic -lmemstats -Wl,--pop-state -Wl,-rpath,%s -pthread |",
		       inc, inc, lib, lib);
}
END_TEST

START_TEST(test_static_link_gets_the_archive)
{
	ck_assert_int_eq(sh(FAKE_ENV CC_ " -static main.o -o prog"), 0);
	ck_assert_runs("-static main.o -o prog -L %s -lmemstats -pthread |", lib);
}
END_TEST

START_TEST(test_no_input_passes_through)
{
	ck_assert_int_eq(sh(FAKE_ENV CC_ " --version && " FAKE_ENV CC_ " -print-prog-name=ld && " FAKE_ENV CC_
			    " -dumpmachine && " FAKE_ENV CC_ " -v"),
			 0);
	ck_assert_runs("%s", "--version | -print-prog-name=ld | -dumpmachine | -v |");
}
END_TEST

/* -E and -M: the header (a dependency list must name it), no library, and
 * one run whatever it returns: no object, nothing to fall back for. */
START_TEST(test_preprocessing_runs_once)
{
	ck_assert_int_eq(sh(FAKE_ENV "FAKE_RC=3 " CC_ " -E a.c"), 3);
	ck_assert_int_eq(sh(FAKE_ENV CC_ " -M -MF a.d a.c && " FAKE_ENV CC_ " -x c -E -"), 0);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h -E a.c | "
		       "-I %s -isystem %s/memstats/wrap -include memstats.h -M -MF a.d a.c | "
		       "-I %s -isystem %s/memstats/wrap -include memstats.h -x c -E - |",
		       inc, inc, inc, inc, inc, inc);
}
END_TEST

/* Values of options are not inputs: -o a.c, -MF x.c name no source. */
START_TEST(test_option_values_are_not_inputs)
{
	ck_assert_int_eq(sh(FAKE_ENV CC_ " -o x.c -L dir.c -Xlinker y.c main.o"), 0);
	ck_assert_runs("-o x.c -L dir.c -Xlinker y.c main.o -L %s -Wl,--push-state,-Bdynamic -lmemstats "
		       "-Wl,--pop-state -Wl,-rpath,%s -pthread |", lib, lib);
}
END_TEST

START_TEST(test_response_file_is_read)
{
	put("rsp", "-c 'a b.c'\n-o \"a b.o\"\n");
	ck_assert_int_eq(sh(FAKE_ENV CC_ " @rsp"), 0);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h @rsp |", inc, inc);
}
END_TEST

START_TEST(test_real_compiler_words)
{
	ck_assert_int_eq(sh("MEMSTATS_REAL_CC='" FAKE " --first' FAKE_LOG=log " CC_ " -c a.c"), 0);
	ck_assert_runs("--first -I %s -isystem %s/memstats/wrap -include memstats.h -c a.c |", inc, inc);
}
END_TEST

START_TEST(test_itself_as_real_compiler_refused)
{
	char *err;

	ck_assert_int_eq(sh("MEMSTATS_REAL_CC=" CC_ " " CC_ " -c a.c"), 2);
	err = slurp_in("err");
	ck_assert_int_eq(lines_of(err), 1);
	ck_assert_msg(strstr(err, "MEMSTATS_REAL_CC") && strstr(err, "real compiler"), "%s", err);
	free(err);
}
END_TEST

/* ---- the ladder ------------------------------------------------------------ */

START_TEST(test_ladder_stops_at_the_first_that_compiles)
{
	char *err;

	ck_assert_int_eq(sh(FAKE_ENV "FAKE_RC=1 FAKE_STDERR='x.c:1:5: error: macro trouble' "
			    "FAKE_OK_WITH=-DMEMSTATS_DISABLE MEMSTATS_CC_LOG=cc.log " CC_ " -c x.c"),
			 0);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h -c x.c | "
		       "-I %s -isystem %s/memstats/wrap -include memstats.h -DMEMSTATS_NO_FREE -c x.c | "
		       "-I %s -isystem %s/memstats/wrap -include memstats.h -DMEMSTATS_DISABLE -c x.c |",
		       inc, inc, inc, inc, inc, inc);
	err = slurp_in("err");
	ck_assert_int_eq(lines_of(err), 1);
	ck_assert_msg(strstr(err, "memstats-cc: x.c: compiled with -DMEMSTATS_DISABLE") &&
			      strstr(err, "x.c:1:5: error: macro trouble"),
		      "%s", err);
	free(err);
	err = slurp_in("cc.log");
	ck_assert_msg(lines_of(err) == 1 && strstr(err, "x.c: compiled with -DMEMSTATS_DISABLE"), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_failing_everywhere_shows_the_last_error)
{
	char *err;

	ck_assert_int_eq(sh(FAKE_ENV "FAKE_RC=1 FAKE_STDERR='x.c:2:1: error: its own' " CC_ " -c x.c"), 1);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h -c x.c | "
		       "-I %s -isystem %s/memstats/wrap -include memstats.h -DMEMSTATS_NO_FREE -c x.c | "
		       "-I %s -isystem %s/memstats/wrap -include memstats.h -DMEMSTATS_DISABLE -c x.c | -c x.c |",
		       inc, inc, inc, inc, inc, inc);
	err = slurp_in("err");
	ck_assert_str_eq(err, "x.c:2:1: error: its own\n");
	free(err);
}
END_TEST

START_TEST(test_link_failure_not_retried)
{
	char *err;

	ck_assert_int_eq(sh(FAKE_ENV "FAKE_RC=1 FAKE_STDERR='collect2: error: ld returned 1 exit status' " CC_
			    " main.c -o prog"),
			 1);
	ck_assert_runs("-I %s -isystem %s/memstats/wrap -include memstats.h main.c -o prog -L %s "
		       "-Wl,--push-state,-Bdynamic -lmemstats -Wl,--pop-state -Wl,-rpath,%s -pthread |",
		       inc, inc, lib, lib);
	err = slurp_in("err");
	ck_assert_str_eq(err, "collect2: error: ld returned 1 exit status\n");
	free(err);
}
END_TEST

/* The real compiler: a struct member called free takes NO_FREE, a file
 * declaring calloc itself takes DISABLE, a broken file fails as without. */
START_TEST(test_real_fallbacks)
{
	char *err, *plain;

	put("member.c", "#include <stdlib.h>\nstruct list { void (*free)(void *); };\n"
			"void drop(struct list *l, void *p) { if (l->free) l->free(p); }\n");
	put("decl.c", "#include <stdlib.h>\nvoid *calloc(size_t count, size_t size) __attribute__((deprecated));\n");
	put("broken.c", "int broken(void) { return undeclared_name; }\n");
	ck_assert_int_eq(sh(CC_ " -c member.c"), 0);
	err = slurp_in("err");
	ck_assert_msg(lines_of(err) == 1 && strstr(err, "member.c: compiled with -DMEMSTATS_NO_FREE"), "%s", err);
	free(err);
	ck_assert_int_eq(sh(CC_ " -c decl.c"), 0);
	err = slurp_in("err");
	ck_assert_msg(lines_of(err) == 1 && strstr(err, "decl.c: compiled with -DMEMSTATS_DISABLE"), "%s", err);
	free(err);
	ck_assert_int_eq(sh(REAL_CC " -c broken.c"), 1);
	plain = slurp_in("err");
	ck_assert_int_eq(sh(CC_ " -c broken.c"), 1);
	err = slurp_in("err");
	ck_assert_str_eq(err, plain);
	free(err);
	free(plain);
}
END_TEST

/* ---- real builds, counted exactly ----------------------------------------- */

static const char a_c[] = "#include <stdlib.h>\n#include <string.h>\n"
			  "char *dup_it(const char *s) { return strdup(s); }\n"; /* line 3 */
static const char main_c[] = "#include <stdlib.h>\nchar *dup_it(const char *s);\nint main(void)\n{\n"
			     "\tfor (int i = 0; i < 3; i++)\n\t\tfree(dup_it(\"abc\"));\n\treturn 0;\n}\n"; /* free: 6 */

/* calls at file:line (its last component) for op in the CSV report r.csv */
static unsigned long calls_at(const char *file, unsigned int line, const char *op)
{
	char *csv = slurp_in("r.csv"), *save = NULL;
	unsigned long sum = 0;

	for (char *row = strtok_r(csv, "\n", &save); row; row = strtok_r(NULL, "\n", &save)) {
		char f[512], fn[256], o[64];
		unsigned int l;
		const char *c = row;
		unsigned long calls;

		if (sscanf(row, "%511[^,],%u,%255[^,],%63[^,],", f, &l, fn, o) != 4)
			continue;
		for (int commas = 0; *c && commas < 10; c++)
			commas += *c == ',';
		if (sscanf(c, "%lu", &calls) != 1)
			continue;
		if (l == line && strcmp(o, op) == 0 && strcmp(strrchr(f, '/') ? strrchr(f, '/') + 1 : f, file) == 0)
			sum += calls;
	}
	free(csv);
	return sum;
}

#define REPORT "MEMSTATS_FORMAT=csv MEMSTATS_OUTPUT=r.csv "

START_TEST(test_as_needed_link_flags_first)
{
	put("a.c", a_c);
	put("main.c", main_c);
	ck_assert_int_eq(sh(CC_ " -O2 -g -c a.c && " CC_ " -O2 -g -c main.c && " CC_
			    " -Wl,--as-needed -o prog main.o a.o && " REPORT "./prog"),
			 0);
	ck_assert_uint_eq(calls_at("a.c", 3, "strdup"), 3);
	ck_assert_uint_eq(calls_at("main.c", 6, "free"), 3);
}
END_TEST

START_TEST(test_static)
{
	put("a.c", a_c);
	put("main.c", main_c);
	ck_assert_int_eq(sh(CC_ " -O2 -g -static main.c a.c -o prog 2>/dev/null && " REPORT "./prog"), 0);
	ck_assert_uint_eq(calls_at("a.c", 3, "strdup"), 3);
	ck_assert_uint_eq(calls_at("main.c", 6, "free"), 3);
}
END_TEST

START_TEST(test_cxx)
{
	put("app.cc", "#include <cstdlib>\n#include <cstring>\nint main()\n{\n"
		      "\tfor (int i = 0; i < 4; i++)\n\t\tstd::free(std::malloc(8));\n\treturn 0;\n}\n");
	ck_assert_int_eq(sh(CXX_ " -O2 -g app.cc -o app && " REPORT "./app"), 0);
	ck_assert_uint_eq(calls_at("app.cc", 6, "malloc"), 4);
	ck_assert_uint_eq(calls_at("app.cc", 6, "free"), 4);
}
END_TEST

/* An assembly file preprocessed with the header: it sees none of it. */
START_TEST(test_assembly)
{
	put("f.S", "#define RET ret\n\t.text\n\t.globl f\nf:\tRET\n");
	ck_assert_int_eq(sh(CC_ " -c f.S -o f.o"), 0);
}
END_TEST

/* A probe compiled with the header that allocates nothing links with the
 * plain compiler, no libmemstats (configure's and libtool's probes). */
START_TEST(test_no_allocation_links_without_the_library)
{
	put("probe.c", "int probe_var = 1;\nint main(void) { return probe_var - 1; }\n");
	ck_assert_int_eq(sh(CC_ " -O2 -c probe.c && " REAL_CC " probe.o -o probe && ./probe"), 0);
}
END_TEST

static Suite *cc_suite(void)
{
	Suite *s = suite_create("memstats-cc");
	TCase *args = tcase_create("arguments"), *ladder = tcase_create("ladder"), *real = tcase_create("builds");

	tcase_add_checked_fixture(args, setup, teardown);
	tcase_add_test(args, test_compile_gets_the_header_first);
	tcase_add_test(args, test_link_gets_the_library_last);
	tcase_add_test(args, test_compile_and_link_gets_both);
	tcase_add_test(args, test_static_link_gets_the_archive);
	tcase_add_test(args, test_no_input_passes_through);
	tcase_add_test(args, test_preprocessing_runs_once);
	tcase_add_test(args, test_option_values_are_not_inputs);
	tcase_add_test(args, test_response_file_is_read);
	tcase_add_test(args, test_real_compiler_words);
	tcase_add_test(args, test_itself_as_real_compiler_refused);
	suite_add_tcase(s, args);
	tcase_add_checked_fixture(ladder, setup, teardown);
	tcase_add_test(ladder, test_ladder_stops_at_the_first_that_compiles);
	tcase_add_test(ladder, test_failing_everywhere_shows_the_last_error);
	tcase_add_test(ladder, test_link_failure_not_retried);
	tcase_add_test(ladder, test_real_fallbacks);
	suite_add_tcase(s, ladder);
	tcase_add_checked_fixture(real, setup, teardown);
	tcase_set_timeout(real, 60);
	tcase_add_test(real, test_as_needed_link_flags_first);
	tcase_add_test(real, test_static);
	tcase_add_test(real, test_cxx);
	tcase_add_test(real, test_assembly);
	tcase_add_test(real, test_no_allocation_links_without_the_library);
	suite_add_tcase(s, real);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(cc_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
