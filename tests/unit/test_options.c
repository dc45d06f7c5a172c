/* test_options.c - config_parse(): the MEMSTATS_* environment and the
 * MEMSTATS_CONFIG file under it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

/* The fake environment: "NAME=value" strings, NULL-terminated. config_parse
 * takes a bare function pointer, so the table it reads has to be global. */
static const char *const *fake_env;

static char *fake_getenv(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = fake_env; *e; e++) {
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return (char *)*e + n + 1;
	}
	return NULL;
}

/* Parses env into *cfg; what was written to the warn fd goes to *warnings
 * (malloc'd). Returns config_parse()'s result. */
static int parse(const char *const *env, struct config *cfg, char **warnings)
{
	int fd = mem_fd();
	int nbad;

	fake_env = env;
	nbad = config_parse(cfg, fake_getenv, fd);
	*warnings = fd_contents(fd, NULL);
	close(fd);
	return nbad;
}

/* One bad value: exactly one warning line, naming the variable and the
 * value (quoted, so that an empty value is visible too). */
static void check_one_warning(const char *warnings, const char *var, const char *val)
{
	char quoted[512];

	snprintf(quoted, sizeof(quoted), "\"%s\"", val);
	ck_assert_uint_eq(count_lines(warnings), 1);
	ck_assert_int_eq(warnings[strlen(warnings) - 1], '\n');
	ck_assert_ptr_nonnull(strstr(warnings, var));
	ck_assert_ptr_nonnull(strstr(warnings, quoted));
}

/* Copies the line of text that names var, newline included, into buf. */
static const char *line_naming(const char *text, const char *var, char *buf, size_t size)
{
	const char *p = strstr(text, var), *start, *end;

	ck_assert_ptr_nonnull(p);
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchrnul(p, '\n');
	if (*end)
		end++;
	ck_assert_uint_lt((size_t)(end - start), size);
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
	return buf;
}

static void check_defaults(const struct config *cfg)
{
	ck_assert_int_eq(cfg->output, OUTPUT_STDERR);
	ck_assert_int_eq(cfg->report.format, MEMSTATS_FORMAT_TEXT);
	ck_assert_int_eq(cfg->report.sort, MEMSTATS_SORT_BYTES);
	ck_assert_uint_eq(cfg->report.top, 0);
	ck_assert_ptr_null(cfg->report.match);
	ck_assert_int_eq(cfg->report.all, 0);
	ck_assert_uint_eq(cfg->interval, 0);
	ck_assert_int_eq(cfg->signal, 0);
	ck_assert_int_eq(cfg->track, 0);
}

START_TEST(test_defaults_when_unset)
{
	static const char *const env[] = { "HOME=/root", "MEMSTATS=json", NULL };
	struct config cfg;
	char *warn;

	memset(&cfg, 0x5a, sizeof(cfg)); /* whatever the caller left there goes */
	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	check_defaults(&cfg);
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

START_TEST(test_output_keywords)
{
	static const struct {
		const char *env[2];
		enum output_kind kind;
	} cases[] = {
		{ { "MEMSTATS_OUTPUT=stderr", NULL }, OUTPUT_STDERR },
		{ { "MEMSTATS_OUTPUT=stdout", NULL }, OUTPUT_STDOUT },
		{ { "MEMSTATS_OUTPUT=off", NULL }, OUTPUT_OFF },
	};
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(cases[i].env, &cfg, &warn), 0);
		ck_assert_int_eq(cfg.output, cases[i].kind);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

/* An absolute path is kept as it is: neither %p expanded nor normalised. */
START_TEST(test_output_path_kept_unexpanded)
{
	static const char *const env[] = { "MEMSTATS_OUTPUT=/tmp/app.%p.json", NULL };
	static const char *const odd[] = { "MEMSTATS_OUTPUT=//tmp/../x/./r.%p.json", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.output, OUTPUT_PATH);
	ck_assert_str_eq(cfg.path, "/tmp/app.%p.json");
	ck_assert_str_eq(warn, "");
	free(warn);

	ck_assert_int_eq(parse(odd, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.output, OUTPUT_PATH);
	ck_assert_str_eq(cfg.path, "//tmp/../x/./r.%p.json");
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

/* The directory the program started in, as getcwd() gives it. */
static const char *cwd(void)
{
	static char buf[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(buf, sizeof(buf)));
	return buf;
}

/* A relative path is made absolute at start-up, so that a later chdir()
 * (a daemon's to "/") does not move the report. Nothing but "cwd/" is put
 * in front: %p stays, "." and ".." stay. */
START_TEST(test_output_relative_path_from_cwd)
{
	static const char *const values[] = { "out/r.%p.json", "r.json", "./r.json", "../up/r.json", "-" };
	char var[64], want[PATH_MAX + 64];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(var, sizeof(var), "MEMSTATS_OUTPUT=%s", values[i]);
		snprintf(want, sizeof(want), "%s/%s", cwd(), values[i]);
		ck_assert_int_eq(parse(env, &cfg, &warn), 0);
		ck_assert_int_eq(cfg.output, OUTPUT_PATH);
		ck_assert_str_eq(cfg.path, want);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

/* The start-up directory goes into the template: a % in its name must come
 * out of the expansion as it was, not as a pid. */
START_TEST(test_output_relative_path_percent_in_cwd)
{
	const char *env[] = { "MEMSTATS_OUTPUT=r.%p.json", NULL };
	char dir[] = "/tmp/memstats-unit-100%p.XXXXXX", old[PATH_MAX], want[PATH_MAX + 32], got[PATH_MAX + 32];
	struct config cfg;
	char *warn;

	ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	ck_assert_int_eq(chdir(old), 0);
	rmdir(dir);
	ck_assert_int_eq(output_expand(cfg.path, 42, 0, got, sizeof(got)), 0);
	snprintf(want, sizeof(want), "%s/r.42.json", dir);
	ck_assert_str_eq(got, want);
	free(warn);
}
END_TEST

/* An empty variable (MEMSTATS_TRACK=, as scripts leave behind) is unset:
 * the default, and no warning. */
START_TEST(test_empty_is_unset)
{
	static const char *const env[] = {
		"MEMSTATS_OUTPUT=", "MEMSTATS_FORMAT=", "MEMSTATS_SORT=", "MEMSTATS_TOP=", "MEMSTATS_MATCH=",
		"MEMSTATS_ALL=", "MEMSTATS_TRACK=", "MEMSTATS_INTERVAL=", "MEMSTATS_SIGNAL=", NULL,
	};
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	check_defaults(&cfg);
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

/* A long value is shown shortened, so the warning stays one whole line that
 * still says what was expected. */
static void check_one_shortened_warning(const char *warnings, const char *var, const char *val)
{
	char head[64];

	snprintf(head, sizeof(head), "%s=\"%.40s", var, val);
	ck_assert_uint_eq(count_lines(warnings), 1);
	ck_assert_int_eq(warnings[strlen(warnings) - 1], '\n');
	ck_assert_ptr_nonnull(strstr(warnings, head));
	ck_assert_ptr_nonnull(strstr(warnings, "...\": expected "));
	ck_assert_uint_lt(strlen(warnings), 256);
}

START_TEST(test_output_path_too_long_is_bad)
{
	static char var[PATH_MAX + 32];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;
	int n = snprintf(var, sizeof(var), "MEMSTATS_OUTPUT=/");

	memset(var + n, 'x', PATH_MAX);
	var[n + PATH_MAX] = '\0';
	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.output, OUTPUT_STDERR);
	ck_assert_str_eq(cfg.path, "");
	check_one_shortened_warning(warn, "MEMSTATS_OUTPUT", var + strlen("MEMSTATS_OUTPUT="));
	free(warn);
}
END_TEST

/* "MEMSTATS_OUTPUT=" then a relative name of len bytes: "rrr...r". */
static const char *relative_var(char *buf, size_t len)
{
	size_t n = strlen("MEMSTATS_OUTPUT=");

	memcpy(buf, "MEMSTATS_OUTPUT=", n);
	memset(buf + n, 'r', len);
	buf[n + len] = '\0';
	return buf;
}

/* cwd + "/" + value must fit cfg.path with its NUL: the value alone being
 * short enough is not enough. */
START_TEST(test_output_relative_path_longest)
{
	static char var[PATH_MAX + 32];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	ck_assert_uint_lt(strlen(cwd()), PATH_MAX - 2); /* room for "/" and one byte */
	relative_var(var, PATH_MAX - 1 - strlen(cwd()) - 1); /* cwd "/" value, then NUL */
	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.output, OUTPUT_PATH);
	ck_assert_uint_eq(strlen(cfg.path), PATH_MAX - 1);
	ck_assert_int_eq(strncmp(cfg.path, cwd(), strlen(cwd())), 0);
	ck_assert_int_eq(cfg.path[strlen(cwd())], '/');
	ck_assert_str_eq(cfg.path + strlen(cwd()) + 1, var + strlen("MEMSTATS_OUTPUT="));
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

START_TEST(test_output_relative_path_too_long_is_bad)
{
	static char var[PATH_MAX + 32];
	size_t len = PATH_MAX - strlen(cwd()) - 1; /* one byte more than fits */
	const char *env[] = { relative_var(var, len), NULL };
	struct config cfg;
	char *warn;

	ck_assert_uint_lt(len, PATH_MAX); /* the value alone would fit */
	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.output, OUTPUT_STDERR);
	ck_assert_str_eq(cfg.path, "");
	check_one_shortened_warning(warn, "MEMSTATS_OUTPUT", var + strlen("MEMSTATS_OUTPUT="));
	ck_assert_ptr_nonnull(strstr(warn, "shorter than PATH_MAX"));
	free(warn);
}
END_TEST

/* With the current directory gone there is nothing to make the path
 * absolute with: one warning, the default stays. An absolute path still
 * works then. The test's own directory is restored after. */
START_TEST(test_output_relative_path_without_cwd_is_bad)
{
	static const char *const rel[] = { "MEMSTATS_OUTPUT=r.json", NULL };
	static const char *const abs[] = { "MEMSTATS_OUTPUT=/tmp/r.json", NULL };
	char gone[] = "/tmp/memstats-unit-cwd.XXXXXX", probe[PATH_MAX];
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct config cfg;
	char *warn;

	ck_assert_int_ge(here, 0);
	ck_assert_ptr_nonnull(mkdtemp(gone));
	ck_assert_int_eq(chdir(gone), 0);
	ck_assert_int_eq(rmdir(gone), 0);
	ck_assert_ptr_null(getcwd(probe, sizeof(probe)));

	ck_assert_int_eq(parse(rel, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.output, OUTPUT_STDERR);
	check_one_warning(warn, "MEMSTATS_OUTPUT", "r.json");
	free(warn);

	ck_assert_int_eq(parse(abs, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.output, OUTPUT_PATH);
	ck_assert_str_eq(cfg.path, "/tmp/r.json");
	ck_assert_str_eq(warn, "");
	free(warn);

	ck_assert_int_eq(fchdir(here), 0);
	close(here);
}
END_TEST

START_TEST(test_format_keywords)
{
	static const struct {
		const char *env[2];
		enum memstats_format format;
	} cases[] = {
		{ { "MEMSTATS_FORMAT=text", NULL }, MEMSTATS_FORMAT_TEXT },
		{ { "MEMSTATS_FORMAT=json", NULL }, MEMSTATS_FORMAT_JSON },
		{ { "MEMSTATS_FORMAT=csv", NULL }, MEMSTATS_FORMAT_CSV },
	};
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(cases[i].env, &cfg, &warn), 0);
		ck_assert_int_eq(cfg.report.format, cases[i].format);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

START_TEST(test_format_yaml_is_bad)
{
	static const char *const env[] = { "MEMSTATS_FORMAT=yaml", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_TEXT);
	check_one_warning(warn, "MEMSTATS_FORMAT", "yaml");
	free(warn);
}
END_TEST

START_TEST(test_sort_keywords)
{
	static const struct {
		const char *env[2];
		enum memstats_sort sort;
	} cases[] = {
		{ { "MEMSTATS_SORT=calls", NULL }, MEMSTATS_SORT_CALLS },
		{ { "MEMSTATS_SORT=site", NULL }, MEMSTATS_SORT_SITE },
		{ { "MEMSTATS_SORT=bytes", NULL }, MEMSTATS_SORT_BYTES },
	};
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(cases[i].env, &cfg, &warn), 0);
		ck_assert_int_eq(cfg.report.sort, cases[i].sort);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

START_TEST(test_sort_unknown_is_bad)
{
	static const char *const env[] = { "MEMSTATS_SORT=Calls", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.report.sort, MEMSTATS_SORT_BYTES);
	check_one_warning(warn, "MEMSTATS_SORT", "Calls");
	free(warn);
}
END_TEST

START_TEST(test_top_numbers)
{
	static const char *const env25[] = { "MEMSTATS_TOP=25", NULL };
	static const char *const env0[] = { "MEMSTATS_TOP=0", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env25, &cfg, &warn), 0);
	ck_assert_uint_eq(cfg.report.top, 25);
	ck_assert_str_eq(warn, "");
	free(warn);

	ck_assert_int_eq(parse(env0, &cfg, &warn), 0);
	ck_assert_uint_eq(cfg.report.top, 0);
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

static const char *const bad_tops[] = { "-1", "12x", "99999999999999999999999", "+5", " 5", "0x10" };

START_TEST(test_top_bad)
{
	char var[64];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	snprintf(var, sizeof(var), "MEMSTATS_TOP=%s", bad_tops[_i]);
	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_uint_eq(cfg.report.top, 0);
	check_one_warning(warn, "MEMSTATS_TOP", bad_tops[_i]);
	free(warn);
}
END_TEST

START_TEST(test_match)
{
	static const char *const env[] = { "MEMSTATS_MATCH=parser.c", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	ck_assert_ptr_eq(cfg.report.match, cfg.match);
	ck_assert_str_eq(cfg.report.match, "parser.c");
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

START_TEST(test_match_empty_means_none)
{
	static const char *const env[] = { "MEMSTATS_MATCH=", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	ck_assert_ptr_null(cfg.report.match);
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

/* "MEMSTATS_MATCH=" followed by len times 'm' */
static const char *match_var(char *buf, size_t len)
{
	size_t n = strlen("MEMSTATS_MATCH=");

	memcpy(buf, "MEMSTATS_MATCH=", n);
	memset(buf + n, 'm', len);
	buf[n + len] = '\0';
	return buf;
}

START_TEST(test_match_longest)
{
	char var[300];
	const char *env[] = { match_var(var, 255), NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 0);
	ck_assert_uint_eq(strlen(cfg.report.match), 255);
	ck_assert_str_eq(warn, "");
	free(warn);
}
END_TEST

START_TEST(test_match_too_long_is_bad)
{
	char var[300];
	const char *env[] = { match_var(var, 256), NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_ptr_null(cfg.report.match);
	check_one_shortened_warning(warn, "MEMSTATS_MATCH", var + strlen("MEMSTATS_MATCH="));
	free(warn);
}
END_TEST

/* A value holding a line break still makes one warning line. */
START_TEST(test_control_bytes_escaped_in_warning)
{
	const char *env[] = { "MEMSTATS_SORT=by\nsite\t", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.report.sort, MEMSTATS_SORT_BYTES);
	ck_assert_str_eq(warn, "memstats: ignoring MEMSTATS_SORT=\"by\\x0asite\\x09\": expected bytes, calls or site\n");
	free(warn);
}
END_TEST

START_TEST(test_all_booleans)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	char var[32];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < 4; i++) {
		snprintf(var, sizeof(var), "MEMSTATS_ALL=%s", yes[i]);
		ck_assert_int_eq(parse(env, &cfg, &warn), 0);
		ck_assert_int_eq(cfg.report.all, 1);
		ck_assert_str_eq(warn, "");
		free(warn);

		snprintf(var, sizeof(var), "MEMSTATS_ALL=%s", no[i]);
		ck_assert_int_eq(parse(env, &cfg, &warn), 0);
		ck_assert_int_eq(cfg.report.all, 0);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

START_TEST(test_all_maybe_is_bad)
{
	static const char *const env[] = { "MEMSTATS_ALL=maybe", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.report.all, 0);
	check_one_warning(warn, "MEMSTATS_ALL", "maybe");
	free(warn);
}
END_TEST

START_TEST(test_track_sample)
{
	static const char *const sampled[] = { "MEMSTATS_TRACK=sample", "MEMSTATS_SAMPLE=4096", NULL };
	static const char *const exact[] = { "MEMSTATS_TRACK=exact", NULL };
	static const char *const bad[] = { "MEMSTATS_TRACK=sample", "MEMSTATS_SAMPLE=0", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(sampled, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.track, 2);
	ck_assert_uint_eq(cfg.sample, 4096);
	free(warn);
	ck_assert_int_eq(parse(exact, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.track, 1);
	ck_assert_uint_eq(cfg.sample, 0); /* the default, chosen at start-up: 524288 */
	free(warn);
	ck_assert_int_eq(parse(bad, &cfg, &warn), 1);
	check_one_warning(warn, "MEMSTATS_SAMPLE", "0");
	ck_assert_int_eq(cfg.track, 2);
	free(warn);
}
END_TEST

START_TEST(test_track)
{
	static const char *const on[] = { "MEMSTATS_TRACK=1", NULL };
	static const char *const off[] = { "MEMSTATS_TRACK=off", NULL };
	static const char *const bad[] = { "MEMSTATS_TRACK=leaks", NULL };
	struct config cfg;
	char *warn;

	ck_assert_int_eq(parse(on, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.track, 1);
	ck_assert_str_eq(warn, "");
	free(warn);
	ck_assert_int_eq(parse(off, &cfg, &warn), 0);
	ck_assert_int_eq(cfg.track, 0);
	free(warn);
	ck_assert_int_eq(parse(bad, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.track, 0);
	check_one_warning(warn, "MEMSTATS_TRACK", "leaks");
	free(warn);
}
END_TEST

START_TEST(test_interval_seconds)
{
	static const struct {
		const char *env[2];
		unsigned int seconds;
	} cases[] = {
		{ { "MEMSTATS_INTERVAL=1", NULL }, 1 },
		{ { "MEMSTATS_INTERVAL=60", NULL }, 60 },
		{ { "MEMSTATS_INTERVAL=007", NULL }, 7 },
		{ { "MEMSTATS_INTERVAL=2147483647", NULL }, 2147483647u },
	};
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(cases[i].env, &cfg, &warn), 0);
		ck_assert_uint_eq(cfg.interval, cases[i].seconds);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

static const char *const bad_intervals[] = {
	"0", "-1", "1s", "+5", " 5", "0x10", "1.5", "2147483648", "4294967297", "99999999999999999999999",
};

START_TEST(test_interval_bad)
{
	char var[64];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	snprintf(var, sizeof(var), "MEMSTATS_INTERVAL=%s", bad_intervals[_i]);
	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_uint_eq(cfg.interval, 0);
	check_one_warning(warn, "MEMSTATS_INTERVAL", bad_intervals[_i]);
	ck_assert_ptr_nonnull(strstr(warn, "expected a number of seconds"));
	free(warn);
}
END_TEST

START_TEST(test_signal_names_and_numbers)
{
	const struct {
		const char *val;
		int sig;
	} cases[] = {
		{ "USR2", SIGUSR2 },       { "SIGUSR2", SIGUSR2 }, { "usr2", SIGUSR2 },   { "sigusr1", SIGUSR1 },
		{ "HUP", SIGHUP },         { "SIGWINCH", SIGWINCH }, { "12", SIGUSR2 }, { "10", SIGUSR1 },
		{ "RTMIN", SIGRTMIN },     { "SIGRTMIN+1", SIGRTMIN + 1 }, { "RTMAX", SIGRTMAX }, { "rtmax-2", SIGRTMAX - 2 },
	};
	char var[64];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(var, sizeof(var), "MEMSTATS_SIGNAL=%s", cases[i].val);
		ck_assert_int_eq(parse(env, &cfg, &warn), 0);
		ck_assert_msg(cfg.signal == cases[i].sig, "%s: %d, expected %d", cases[i].val, cfg.signal, cases[i].sig);
		ck_assert_str_eq(warn, "");
		free(warn);
	}
}
END_TEST

/* Signals that cannot be caught, or after which the program cannot go on,
 * and what names no signal. */
static const char *const bad_signals[] = {
	"KILL", "SIGKILL", "9", "STOP", "SIGSTOP", "19", "SEGV", "SIGBUS", "FPE", "ILL", "TRAP", "SYS", "ABRT", "6",
	"0", "-12", "USR3", "SIG", "SIGSIGUSR2", "SIG12", "12x", " USR2", "32", "65", "99999999999999999999",
	"RTMIN-1", "RTMAX+1", "RTMIN+", "RTMIN+99", "RTMIN+-1",
};

START_TEST(test_signal_bad)
{
	char var[64];
	const char *env[] = { var, NULL };
	struct config cfg;
	char *warn;

	snprintf(var, sizeof(var), "MEMSTATS_SIGNAL=%s", bad_signals[_i]);
	ck_assert_int_eq(parse(env, &cfg, &warn), 1);
	ck_assert_int_eq(cfg.signal, 0);
	check_one_warning(warn, "MEMSTATS_SIGNAL", bad_signals[_i]);
	ck_assert_ptr_nonnull(strstr(warn, "expected a signal to catch"));
	free(warn);
}
END_TEST

/* Bad values do not stop the good ones around them from being applied. */
START_TEST(test_every_variable_at_once)
{
	static const char *const env[] = {
		"MEMSTATS_OUTPUT=off", "MEMSTATS_FORMAT=yaml", "MEMSTATS_SORT=site", "MEMSTATS_TOP=12x",
		"MEMSTATS_MATCH=alloc", "MEMSTATS_ALL=maybe", "MEMSTATS_INTERVAL=5", "MEMSTATS_SIGNAL=KILL", NULL,
	};
	struct config cfg;
	char *warn, line[256];

	ck_assert_int_eq(parse(env, &cfg, &warn), 4);
	ck_assert_int_eq(cfg.output, OUTPUT_OFF);
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_TEXT);
	ck_assert_int_eq(cfg.report.sort, MEMSTATS_SORT_SITE);
	ck_assert_uint_eq(cfg.report.top, 0);
	ck_assert_str_eq(cfg.report.match, "alloc");
	ck_assert_int_eq(cfg.report.all, 0);
	ck_assert_uint_eq(cfg.interval, 5);
	ck_assert_int_eq(cfg.signal, 0);

	ck_assert_uint_eq(count_lines(warn), 4);
	check_one_warning(line_naming(warn, "MEMSTATS_FORMAT", line, sizeof(line)), "MEMSTATS_FORMAT", "yaml");
	check_one_warning(line_naming(warn, "MEMSTATS_TOP", line, sizeof(line)), "MEMSTATS_TOP", "12x");
	check_one_warning(line_naming(warn, "MEMSTATS_ALL", line, sizeof(line)), "MEMSTATS_ALL", "maybe");
	check_one_warning(line_naming(warn, "MEMSTATS_SIGNAL", line, sizeof(line)), "MEMSTATS_SIGNAL", "KILL");
	free(warn);
}
END_TEST

/* With no warn fd the count is still returned, and fd 2 stays silent. */
START_TEST(test_no_warn_fd_writes_nothing)
{
	static const char *const env[] = { "MEMSTATS_FORMAT=yaml", "MEMSTATS_ALL=maybe", NULL };
	struct config cfg;
	int fd = mem_fd(), saved = dup(2);
	char *stderr_text;

	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	fake_env = env;
	ck_assert_int_eq(config_parse(&cfg, fake_getenv, -1), 2);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);

	check_defaults(&cfg);
	stderr_text = fd_contents(fd, NULL);
	ck_assert_str_eq(stderr_text, "");
	free(stderr_text);
	close(fd);
}
END_TEST

/* ---- MEMSTATS_CONFIG ---------------------------------------------------- */

static char conf_dir[256], conf_path[300], conf_var[320];

/* A config file holding text, and the environment variable naming it. */
static const char *config_file(const char *text)
{
	FILE *f;

	snprintf(conf_dir, sizeof(conf_dir), "/tmp/memstats-conf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(conf_dir));
	snprintf(conf_path, sizeof(conf_path), "%s/ms.conf", conf_dir);
	snprintf(conf_var, sizeof(conf_var), "MEMSTATS_CONFIG=%s", conf_path);
	ck_assert_ptr_nonnull(f = fopen(conf_path, "w"));
	fputs(text, f);
	fclose(f);
	return conf_var;
}

static void config_gone(void)
{
	unlink(conf_path);
	rmdir(conf_dir);
}

START_TEST(test_config_every_setting)
{
	const char *env[] = { config_file("# memstats settings\n\n"
					  "output = /tmp/r.%p.json\n"
					  "  format=json  \n"
					  "sort = calls\r\n"
					  "top = 7\n"
					  "match = lib\n"
					  "all = yes\n"
					  "track = 1\n"
					  "interval = 30\n"
					  "signal = USR2\n"
					  "wrappers = xmalloc\n"
					  "wrappers = xfree, xstrdup\n"
					  "\t# indented comment\n"
					  "TOP = 8"), /* names in any case; the last line without its newline */
			      NULL };
	struct config cfg;
	char *warnings;

	ck_assert_int_eq(parse(env, &cfg, &warnings), 0);
	ck_assert_str_eq(warnings, "");
	ck_assert_int_eq(cfg.output, OUTPUT_PATH);
	ck_assert_str_eq(cfg.path, "/tmp/r.%p.json");
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_JSON);
	ck_assert_int_eq(cfg.report.sort, MEMSTATS_SORT_CALLS);
	ck_assert_uint_eq(cfg.report.top, 8);
	ck_assert_str_eq(cfg.report.match, "lib");
	ck_assert_int_eq(cfg.report.all, 1);
	ck_assert_int_eq(cfg.track, 1);
	ck_assert_uint_eq(cfg.interval, 30);
	ck_assert_int_eq(cfg.signal, SIGUSR2);
	ck_assert_str_eq(cfg.wrappers, "xmalloc,xfree, xstrdup");
	free(warnings);
	config_gone();
}
END_TEST

START_TEST(test_config_environment_wins)
{
	const char *env[] = { config_file("format = json\nsort = calls\nwrappers = a\nwrappers = b\n"),
			      "MEMSTATS_FORMAT=csv", "MEMSTATS_WRAPPERS=c", "MEMSTATS_SORT=nonsense", NULL };
	struct config cfg;
	char *warnings;

	ck_assert_int_eq(parse(env, &cfg, &warnings), 1);
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_CSV);
	ck_assert_str_eq(cfg.wrappers, "c");
	/* a bad variable leaves what the file said */
	ck_assert_int_eq(cfg.report.sort, MEMSTATS_SORT_CALLS);
	check_one_warning(warnings, "MEMSTATS_SORT", "nonsense");
	free(warnings);
	config_gone();
}
END_TEST

/* Each bad line: one warning naming the file and its line; the others apply. */
START_TEST(test_config_bad_lines)
{
	const char *env[] = { config_file("format = json\n"
					  "this line is nonsense\n"
					  "top = minus-three\n"
					  "colour = blue\n"
					  "config = /etc/other.conf\n"
					  "sort =\n"
					  "sort = site\n"),
			      NULL };
	struct config cfg;
	char *warnings, want[400], buf[600];

	ck_assert_int_eq(parse(env, &cfg, &warnings), 5);
	ck_assert_uint_eq(count_lines(warnings), 5);
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_JSON);
	ck_assert_int_eq(cfg.report.sort, MEMSTATS_SORT_SITE);
	ck_assert_uint_eq(cfg.report.top, 0);
	for (int line = 2; line <= 6; line++) {
		snprintf(want, sizeof(want), "%s:%d: ", conf_path, line);
		ck_assert_msg(strstr(warnings, want), "no warning for line %d: %s", line, warnings);
	}
	ck_assert_ptr_nonnull(strstr(line_naming(warnings, ":3: ", buf, sizeof(buf)), "top = \"minus-three\""));
	ck_assert_ptr_nonnull(strstr(line_naming(warnings, ":4: ", buf, sizeof(buf)), "\"colour\""));
	free(warnings);
	config_gone();
}
END_TEST

START_TEST(test_config_unreadable)
{
	static const char *const env[] = { "MEMSTATS_CONFIG=/nonexistent/memstats.conf", "MEMSTATS_FORMAT=csv", NULL };
	struct config cfg;
	char *warnings;

	ck_assert_int_eq(parse(env, &cfg, &warnings), 1);
	ck_assert_uint_eq(count_lines(warnings), 1);
	ck_assert_ptr_nonnull(strstr(warnings, "/nonexistent/memstats.conf"));
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_CSV);
	ck_assert_int_eq(cfg.output, OUTPUT_STDERR);
	free(warnings);
}
END_TEST

/* A setuid program's secure_getenv() gives no MEMSTATS_CONFIG: not read. */
static char *no_config_getenv(const char *name)
{
	return strcmp(name, "MEMSTATS_CONFIG") == 0 ? NULL : fake_getenv(name);
}

START_TEST(test_config_not_read_when_hidden)
{
	const char *env[] = { config_file("format = json\n"), NULL };
	struct config cfg;
	int fd = mem_fd();
	char *warnings;

	fake_env = env;
	ck_assert_int_eq(config_parse(&cfg, no_config_getenv, fd), 0);
	warnings = fd_contents(fd, NULL);
	ck_assert_str_eq(warnings, "");
	check_defaults(&cfg);
	close(fd);
	free(warnings);
	config_gone();
}
END_TEST

START_TEST(test_config_long_line)
{
	char *text = malloc(10000);
	struct config cfg;
	char *warnings;

	memset(text, 'x', 9000);
	strcpy(text + 9000, "\nformat = csv\n");
	const char *env[] = { config_file(text), NULL };

	ck_assert_int_eq(parse(env, &cfg, &warnings), 1);
	ck_assert_uint_eq(count_lines(warnings), 1);
	ck_assert_ptr_nonnull(strstr(warnings, ":1: "));
	ck_assert_int_eq(cfg.report.format, MEMSTATS_FORMAT_CSV);
	free(warnings);
	free(text);
	config_gone();
}
END_TEST

Suite *suite_options(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("config_parse");

	tcase_add_test(tc, test_defaults_when_unset);
	tcase_add_test(tc, test_output_keywords);
	tcase_add_test(tc, test_output_path_kept_unexpanded);
	tcase_add_test(tc, test_output_relative_path_from_cwd);
	tcase_add_test(tc, test_output_relative_path_percent_in_cwd);
	tcase_add_test(tc, test_empty_is_unset);
	tcase_add_test(tc, test_output_path_too_long_is_bad);
	tcase_add_test(tc, test_output_relative_path_longest);
	tcase_add_test(tc, test_output_relative_path_too_long_is_bad);
	tcase_add_test(tc, test_output_relative_path_without_cwd_is_bad);
	tcase_add_test(tc, test_format_keywords);
	tcase_add_test(tc, test_format_yaml_is_bad);
	tcase_add_test(tc, test_sort_keywords);
	tcase_add_test(tc, test_sort_unknown_is_bad);
	tcase_add_test(tc, test_top_numbers);
	tcase_add_loop_test(tc, test_top_bad, 0, (int)(sizeof(bad_tops) / sizeof(bad_tops[0])));
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_match_empty_means_none);
	tcase_add_test(tc, test_match_longest);
	tcase_add_test(tc, test_match_too_long_is_bad);
	tcase_add_test(tc, test_control_bytes_escaped_in_warning);
	tcase_add_test(tc, test_all_booleans);
	tcase_add_test(tc, test_all_maybe_is_bad);
	tcase_add_test(tc, test_track);
	tcase_add_test(tc, test_track_sample);
	tcase_add_test(tc, test_interval_seconds);
	tcase_add_loop_test(tc, test_interval_bad, 0, (int)(sizeof(bad_intervals) / sizeof(bad_intervals[0])));
	tcase_add_test(tc, test_signal_names_and_numbers);
	tcase_add_loop_test(tc, test_signal_bad, 0, (int)(sizeof(bad_signals) / sizeof(bad_signals[0])));
	tcase_add_test(tc, test_every_variable_at_once);
	tcase_add_test(tc, test_no_warn_fd_writes_nothing);
	tcase_add_test(tc, test_config_every_setting);
	tcase_add_test(tc, test_config_environment_wins);
	tcase_add_test(tc, test_config_bad_lines);
	tcase_add_test(tc, test_config_unreadable);
	tcase_add_test(tc, test_config_not_read_when_hidden);
	tcase_add_test(tc, test_config_long_line);
	suite_add_tcase(s, tc);
	return s;
}
