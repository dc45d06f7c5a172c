/* test_format.c - the buffered writer, its escaping, and the text, JSON and
 * CSV reports, read back byte for byte from an in-memory file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A writer on an in-memory file, and what it wrote. */
struct capture {
	int fd;
	struct writer w;
};

static struct writer *cap_open(struct capture *c)
{
	c->fd = mem_fd();
	w_init(&c->w, c->fd);
	return &c->w;
}

static char *cap_close(struct capture *c, size_t *len)
{
	char *s;

	ck_assert_int_eq(w_flush(&c->w), 0);
	s = fd_contents(c->fd, len);
	close(c->fd);
	return s;
}

static char *json_str(const char *s)
{
	struct capture c;

	w_json_str(cap_open(&c), s);
	return cap_close(&c, NULL);
}

static char *csv_str(const char *s)
{
	struct capture c;

	w_csv_str(cap_open(&c), s);
	return cap_close(&c, NULL);
}

static char *render(void (*fmt)(const struct report *, struct writer *), const struct report *rep)
{
	struct capture c;

	fmt(rep, cap_open(&c));
	return cap_close(&c, NULL);
}

static void prepare(struct report *rep, struct memstats_row *rows, size_t n, const struct memstats_options *opt)
{
	report_prepare(rep, rows, n, opt);
	rep->pid = 1234;
	rep->program = "app";
}

/* A leak: 720 usable bytes obtained, 288 released. */
static const struct memstats_row two_rows[] = {
	{ "src/app.c", 42, "load", "malloc", "malloc", NULL, "/bin/app", { 10, 0, 640, 720, 0 }, { 0 } },
	{ "src/app.c", 57, "unload", "free", "free", NULL, "/bin/app", { 4, 0, 0, 0, 288 }, { 0 } },
};

/* ---- writer ----------------------------------------------------------- */

START_TEST(test_numbers)
{
	struct capture c;
	struct writer *w = cap_open(&c);
	char *s;

	w_u64(w, 0);
	w_put(w, " ", 1);
	w_u64(w, UINT64_MAX);
	w_put(w, " ", 1);
	w_i64(w, INT64_MIN);
	w_put(w, " ", 1);
	w_i64(w, INT64_MAX);
	w_put(w, " ", 1);
	w_i64(w, -1);
	w_put(w, " ", 1);
	w_i64(w, 0);
	s = cap_close(&c, NULL);
	ck_assert_str_eq(s, "0 18446744073709551615 -9223372036854775808 9223372036854775807 -1 0");
	free(s);
}
END_TEST

START_TEST(test_u64_len)
{
	ck_assert_uint_eq(u64_len(0), 1);
	ck_assert_uint_eq(u64_len(9), 1);
	ck_assert_uint_eq(u64_len(10), 2);
	ck_assert_uint_eq(u64_len(999999), 6);
	ck_assert_uint_eq(u64_len(1000000), 7);
	ck_assert_uint_eq(u64_len(UINT64_MAX), 20);
}
END_TEST

START_TEST(test_pad)
{
	struct capture c;
	struct writer *w = cap_open(&c);
	char *s;

	w_put(w, "[", 1);
	w_pad(w, '.', 0);
	w_put(w, "|", 1);
	w_pad(w, '-', 3);
	w_str(w, "]");
	s = cap_close(&c, NULL);
	ck_assert_str_eq(s, "[|---]");
	free(s);
}
END_TEST

/* 100 KB: several times the writer's buffer, from one call or many
 * small ones that straddle its boundary. */
#define BIG (100 * 1024)

static char *big_pattern(void)
{
	char *p = malloc(BIG);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < BIG; i++)
		p[i] = (char)('a' + i % 23);
	return p;
}

START_TEST(test_big_write_one_call)
{
	char *in = big_pattern(), *out;
	struct capture c;
	size_t len;

	w_put(cap_open(&c), in, BIG);
	out = cap_close(&c, &len);
	ck_assert_uint_eq(len, BIG);
	ck_assert_mem_eq(out, in, BIG);
	free(out);
	free(in);
}
END_TEST

START_TEST(test_big_write_small_pieces)
{
	char *in = big_pattern(), *out;
	struct capture c;
	struct writer *w = cap_open(&c);
	size_t len;

	for (size_t off = 0; off < BIG; off += 7)
		w_put(w, in + off, BIG - off < 7 ? BIG - off : 7);
	out = cap_close(&c, &len);
	ck_assert_uint_eq(len, BIG);
	ck_assert_mem_eq(out, in, BIG);
	free(out);
	free(in);
}
END_TEST

START_TEST(test_flush_bad_fd)
{
	struct writer w;

	w_init(&w, -1);
	w_str(&w, "lost");
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* The error is kept: later flushes fail too, even with nothing new to write. */
START_TEST(test_flush_closed_fd)
{
	char *big = big_pattern();
	struct writer w;
	int fd = mem_fd();

	close(fd);
	w_init(&w, fd);
	w_put(&w, big, BIG);
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, EBADF);
	free(big);
}
END_TEST

START_TEST(test_flush_read_only_fd)
{
	struct writer w;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	w_init(&w, fd);
	w_str(&w, "x");
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fd);
}
END_TEST

START_TEST(test_flush_disk_full)
{
	struct writer w;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* no /dev/full here */
	w_init(&w, fd);
	w_str(&w, "x");
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);
}
END_TEST

/* A report piped to a reader that went away. */
START_TEST(test_flush_broken_pipe)
{
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct writer w;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	w_init(&w, p[1]);
	w_str(&w, "x");
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(p[1]);
	signal(SIGPIPE, old);
}
END_TEST

/* The same with SIGPIPE's default action, which would kill the program:
 * the write raises none that stays, and the signal mask is as it was. */
START_TEST(test_flush_broken_pipe_no_sigpipe)
{
	sigset_t mask, pending;
	struct writer w;
	int p[2];

	signal(SIGPIPE, SIG_DFL);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	w_init(&w, p[1]);
	w_str(&w, "x");
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(!sigismember(&pending, SIGPIPE));
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &mask), 0);
	ck_assert(!sigismember(&mask, SIGPIPE));
	close(p[1]);
}
END_TEST

/* A SIGPIPE the program had pending (blocked) before is its own: kept. */
START_TEST(test_flush_broken_pipe_keeps_pending_sigpipe)
{
	sigset_t block, pending;
	struct writer w;
	int p[2], sig;

	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &block, NULL), 0);
	raise(SIGPIPE);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	w_init(&w, p[1]);
	w_str(&w, "x");
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(sigismember(&pending, SIGPIPE));
	ck_assert_int_eq(sigwait(&block, &sig), 0);
	ck_assert_int_eq(sig, SIGPIPE);
	close(p[1]);
}
END_TEST

struct slow_reader {
	int fd, delay_ms;
	char *got;
	size_t n;
};

static void *read_late(void *arg)
{
	struct slow_reader *r = arg;
	ssize_t k;

	usleep((useconds_t)r->delay_ms * 1000);
	while ((k = read(r->fd, r->got + r->n, 4096)) > 0)
		r->n += (size_t)k;
	return NULL;
}

/* A non-blocking pipe (a shared stderr of an event-loop program) whose
 * reader comes a second late: the writer waits for it and writes it all. */
START_TEST(test_nonblocking_slow_reader)
{
	enum { SIZE = 300 * 1000 };
	struct slow_reader r = { .delay_ms = 1000 };
	char *text = malloc(SIZE);
	struct writer w;
	pthread_t th;
	int p[2];

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < SIZE; i++)
		text[i] = (char)('a' + i % 26);
	r.got = malloc(SIZE + 4096);
	ck_assert_ptr_nonnull(r.got);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	r.fd = p[0];
	pthread_create(&th, NULL, read_late, &r);
	w_init(&w, p[1]);
	w_put(&w, text, SIZE);
	ck_assert_int_eq(w_flush(&w), 0);
	close(p[1]);
	pthread_join(th, NULL);
	ck_assert_uint_eq(r.n, SIZE);
	ck_assert_int_eq(memcmp(r.got, text, SIZE), 0);
	close(p[0]);
	free(r.got);
	free(text);
}
END_TEST

/* A reader that takes nothing: given up on after stall_ms, as an error. */
START_TEST(test_nonblocking_stalled_reader)
{
	char block[4096] = { 0 };
	struct writer w;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	w_init(&w, p[1]);
	ck_assert_int_eq(w.stall_ms, W_STALL_MS);
	w.stall_ms = 300;
	for (int i = 0; i < 64; i++)
		w_put(&w, block, sizeof(block));
	errno = 0;
	ck_assert_int_eq(w_flush(&w), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- JSON strings ------------------------------------------------------ */

static const struct {
	const char *in, *out;
} json_cases[] = {
	{ "", "\"\"" },
	{ "src/app.c", "\"src/app.c\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "C:\\dir", "\"C:\\\\dir\"" },
	{ "\n", "\"\\u000a\"" },
	{ "a\tb\rc\x01\x1f", "\"a\\u0009b\\u000dc\\u0001\\u001f\"" },
	/* valid UTF-8 passes through: 2, 3 and 4 bytes, the edges around the
	 * surrogates, the last code point */
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
	{ "\xed\x9f\xbf\xee\x80\x80", "\"\xed\x9f\xbf\xee\x80\x80\"" },
	{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	/* anything else: each byte as the code point of its value */
	{ "\xe9", "\"\\u00e9\"" },
	{ "caf\xe9.c", "\"caf\\u00e9.c\"" },
	{ "\xe2\x82", "\"\\u00e2\\u0082\"" },
	{ "\xe2\x82x", "\"\\u00e2\\u0082x\"" },
	{ "\xc0\xaf", "\"\\u00c0\\u00af\"" },
	{ "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"" },
	{ "\xf0\x80\x80\xaf", "\"\\u00f0\\u0080\\u0080\\u00af\"" },
	{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },
	{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" },
	{ "\x80", "\"\\u0080\"" },
	{ "\xff", "\"\\u00ff\"" },
};

START_TEST(test_json_str)
{
	char *s = json_str(json_cases[_i].in);

	ck_assert_str_eq(s, json_cases[_i].out);
	free(s);
}
END_TEST

START_TEST(test_json_str_null)
{
	char *s = json_str(NULL);

	ck_assert_str_eq(s, "null");
	free(s);
}
END_TEST

/* ---- JSON report ------------------------------------------------------- */

START_TEST(test_json_report)
{
	struct memstats_row rows[NELEM(two_rows)];
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };
	struct report rep;
	char *s;

	memcpy(rows, two_rows, sizeof(rows));
	prepare(&rep, rows, NELEM(rows), &opt);
	s = render(report_json, &rep);
	ck_assert_str_eq(s,
		"{\"version\": 1, \"pid\": 1234, \"program\": \"app\", \"track\": \"off\",\n"
		" \"sites\": [\n"
		"  {\"kind\": \"site\", \"file\": \"src/app.c\", \"line\": 42, \"func\": \"load\", \"op\": \"malloc\","
		" \"api\": \"malloc\", \"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 10, \"failed\": 0, \"bytes\": 640,"
		" \"alloc_bytes\": 720, \"free_bytes\": 0, \"injected\": 0},\n"
		"  {\"kind\": \"site\", \"file\": \"src/app.c\", \"line\": 57, \"func\": \"unload\", \"op\": \"free\","
		" \"api\": \"free\", \"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 4, \"failed\": 0, \"bytes\": 0,"
		" \"alloc_bytes\": 0, \"free_bytes\": 288, \"injected\": 0}],\n"
		" \"totals\": {\"calls\": 14, \"failed\": 0, \"bytes\": 640, \"alloc_bytes\": 720,"
		" \"free_bytes\": 288, \"injected\": 0, \"balance\": 432}}\n");
	free(s);
}
END_TEST

START_TEST(test_json_report_empty)
{
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON };
	struct memstats_row none[1];
	struct report rep;
	char *s;

	prepare(&rep, none, 0, &opt);
	rep.program = NULL;
	s = render(report_json, &rep);
	ck_assert_str_eq(s,
		"{\"version\": 1, \"pid\": 1234, \"program\": null, \"track\": \"off\",\n"
		" \"sites\": [],\n"
		" \"totals\": {\"calls\": 0, \"failed\": 0, \"bytes\": 0, \"alloc_bytes\": 0,"
		" \"free_bytes\": 0, \"injected\": 0, \"balance\": 0}}\n");
	free(s);
}
END_TEST

/* Typed site, a name that needs escaping, more freed than allocated. */
START_TEST(test_json_report_typed_negative)
{
	struct memstats_row rows[] = {
		{ "we\"ird\n.c", 7, "tree_add", "malloc", "ha_aligned_alloc_typed", "struct node", "/bin/app", { 2, 1, 96, 64, 0 }, { 0 } },
		{ "b.c", 9, "drop", "free", "free", NULL, "/bin/app", { 5, 0, 0, 0, 264 }, { 0 } },
	};
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON, .top = 1 };
	struct report rep;
	char *s;

	prepare(&rep, rows, NELEM(rows), &opt);
	s = render(report_json, &rep);
	ck_assert_str_eq(s,
		"{\"version\": 1, \"pid\": 1234, \"program\": \"app\", \"track\": \"off\",\n"
		" \"sites\": [\n"
		"  {\"kind\": \"site\", \"file\": \"we\\\"ird\\u000a.c\", \"line\": 7, \"func\": \"tree_add\", \"op\": \"malloc\","
		" \"api\": \"ha_aligned_alloc_typed\", \"type\": \"struct node\", \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 2, \"failed\": 1,"
		" \"bytes\": 96, \"alloc_bytes\": 64, \"free_bytes\": 0, \"injected\": 0}],\n"
		" \"totals\": {\"calls\": 7, \"failed\": 1, \"bytes\": 96, \"alloc_bytes\": 64,"
		" \"free_bytes\": 264, \"injected\": 0, \"balance\": -200}}\n");
	free(s);
}
END_TEST

/* ---- CSV --------------------------------------------------------------- */

START_TEST(test_csv_str)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "src/app.c", "src/app.c" },
		{ "struct node", "struct node" },
		{ "", "" },
		{ "dir,x/a.c", "\"dir,x/a.c\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ NULL, "" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		char *s = csv_str(cases[i].in);

		ck_assert_str_eq(s, cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_csv_report)
{
	struct memstats_row rows[] = {
		two_rows[0],
		two_rows[1],
		{ "x,y.c", 3, "f", "malloc", "ha_aligned_alloc_typed", "struct \"q\"", "/bin/app", { 1, 0, 8, 16, 0 }, { 0 } },
	};
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_CSV };
	struct report rep;
	char *s;

	prepare(&rep, rows, NELEM(rows), &opt);
	s = render(report_csv, &rep);
	ck_assert_str_eq(s,
		"file,line,func,op,api,type,object,kind,offset,via,calls,failed,bytes,alloc_bytes,free_bytes,injected\n"
		"src/app.c,42,load,malloc,malloc,,/bin/app,site,,,10,0,640,720,0,0\n"
		"\"x,y.c\",3,f,malloc,ha_aligned_alloc_typed,\"struct \"\"q\"\"\",/bin/app,site,,,1,0,8,16,0,0\n"
		"src/app.c,57,unload,free,free,,/bin/app,site,,,4,0,0,0,288,0\n");
	free(s);
}
END_TEST

START_TEST(test_csv_report_empty)
{
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_CSV };
	struct memstats_row none[1];
	struct report rep;
	char *s;

	prepare(&rep, none, 0, &opt);
	s = render(report_csv, &rep);
	ck_assert_str_eq(s, "file,line,func,op,api,type,object,kind,offset,via,calls,failed,bytes,alloc_bytes,free_bytes,injected\n");
	free(s);
}
END_TEST

/* ---- text -------------------------------------------------------------- */

/* Cuts text into its lines, in place; returns how many. */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	char *nl;

	while ((nl = strchr(text, '\n'))) {
		ck_assert_uint_lt(n, max);
		*nl = '\0';
		lines[n++] = text;
		text = nl + 1;
	}
	ck_assert_str_eq(text, ""); /* the last line ends with '\n' too */
	return n;
}

static void check_prefix(const char *s, const char *prefix)
{
	ck_assert_msg(strncmp(s, prefix, strlen(prefix)) == 0, "\"%s\" does not start with \"%s\"", s, prefix);
}

/* Where the column headed name ends in the column header line. */
static size_t head_end(const char *head, const char *name)
{
	const char *p = strstr(head, name);

	ck_assert_ptr_nonnull(p);
	return (size_t)(p - head) + strlen(name);
}

/* The number that ends exactly at column end of line, blank-separated. */
static memstats_u64 number_ending_at(const char *line, size_t end)
{
	size_t start = end;

	ck_assert_uint_le(end, strlen(line));
	while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
		start--;
	ck_assert_uint_lt(start, end);
	ck_assert(start == 0 || line[start - 1] == ' ');
	ck_assert(line[end] == ' ' || line[end] == '\0');
	return strtoull(line + start, NULL, 10);
}

/* Three rows whose names and numbers all have different widths. */
static const struct memstats_row text_rows[] = {
	{ "src/app.c", 42, "load", "malloc", "malloc", NULL, "/bin/app", { 7, 0, 640, 720, 0 }, { 0 } },
	{ "src/long/path/file.c", 1234, "unload", "free", "free", NULL, "/bin/app", { 12345, 0, 0, 0, 288 }, { 0 } },
	{ "a.c", 3, "f", "calloc", "calloc", NULL, "/bin/app", { 1, 1, 99999999, 0, 0 }, { 0 } },
};

/* Renders text_rows, typed as types[] says (NULL: none), as text into *buf;
 * returns the number of lines, cut into line[]. */
static size_t text_report(const char *const *types, const struct memstats_options *opt, char **buf,
			  char **line, size_t max)
{
	struct memstats_row rows[NELEM(text_rows)];
	struct report rep;

	memcpy(rows, text_rows, sizeof(rows));
	for (size_t i = 0; types && i < NELEM(rows); i++)
		rows[i].type = types[i];
	prepare(&rep, rows, NELEM(rows), opt);
	*buf = render(report_text, &rep);
	return split_lines(*buf, line, max);
}

/* By bytes the rows come as a.c, src/app.c, then the free; TOTAL last. */
START_TEST(test_text_layout)
{
	static const char *const sites[] = { "a.c:3 ", "src/app.c:42 ", "src/long/path/file.c:1234 " };
	static const char *const funcs[] = { "f ", "load ", "unload " };
	static const memstats_u64 calls[] = { 1, 7, 12345, 12353 };
	static const memstats_u64 freed[] = { 0, 0, 288, 288 };
	const struct memstats_options opt = { 0 };
	size_t n, calls_end, func_at;
	char *buf, *line[16];

	n = text_report(NULL, &opt, &buf, line, NELEM(line));
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(line[0], "memstats report: app (pid 1234), 3 active of 3 sites, sorted by bytes");
	check_prefix(line[1], "site ");
	ck_assert_ptr_null(strstr(line[1], "type"));
	calls_end = head_end(line[1], "calls");
	func_at = head_end(line[1], "function") - strlen("function");

	for (size_t i = 0; i < 3; i++) {
		char *row = line[2 + i];

		check_prefix(row, sites[i]);
		check_prefix(row + func_at, funcs[i]);
		ck_assert_int_eq(row[func_at - 1], ' ');
		ck_assert_uint_eq(number_ending_at(row, calls_end), calls[i]);
		ck_assert_uint_eq(number_ending_at(row, strlen(row)), freed[i]);
		ck_assert_uint_eq(strlen(row), strlen(line[1]));
	}

	check_prefix(line[5], "TOTAL ");
	ck_assert_uint_eq(number_ending_at(line[5], calls_end), calls[3]);
	ck_assert_uint_eq(number_ending_at(line[5], strlen(line[5])), freed[3]);
	ck_assert_uint_eq(strlen(line[5]), strlen(line[1]));
	check_prefix(line[6], "BALANCE 432 bytes");
	free(buf);
}
END_TEST

START_TEST(test_text_type_column)
{
	static const char *const types[] = { NULL, NULL, "struct node" };
	const struct memstats_options opt = { 0 };
	char *buf, *line[16];
	size_t type_at;

	ck_assert_uint_eq(text_report(types, &opt, &buf, line, NELEM(line)), 7);
	type_at = head_end(line[1], "type") - strlen("type");
	ck_assert_int_eq(line[1][type_at - 1], ' ');
	check_prefix(line[2] + type_at, "struct node ");
	check_prefix(line[3] + type_at, "- ");
	check_prefix(line[4] + type_at, "- ");
	free(buf);
}
END_TEST

START_TEST(test_text_header_match_top)
{
	const struct memstats_options match = { .sort = MEMSTATS_SORT_CALLS, .top = 1, .match = "load" };
	const struct memstats_options all = { .sort = MEMSTATS_SORT_SITE, .top = 2, .all = 1 };
	char *buf, *line[16];

	ck_assert_uint_eq(text_report(NULL, &match, &buf, line, NELEM(line)), 5);
	ck_assert_str_eq(line[0], "memstats report: app (pid 1234), 2 active of 3 sites matching \"load\", "
				  "sorted by calls, top 1 shown");
	check_prefix(line[2], "src/long/path/file.c:1234 ");
	free(buf);

	ck_assert_uint_eq(text_report(NULL, &all, &buf, line, NELEM(line)), 6);
	ck_assert_str_eq(line[0], "memstats report: app (pid 1234), 3 of 3 sites, sorted by site, top 2 shown");
	check_prefix(line[2], "a.c:3 ");
	check_prefix(line[3], "src/app.c:42 ");
	free(buf);
}
END_TEST

START_TEST(test_text_negative_balance)
{
	struct memstats_row rows[] = {
		{ "a.c", 1, "f", "malloc", "malloc", NULL, "/bin/app", { 1, 0, 90, 96, 0 }, { 0 } },
		{ "a.c", 2, "g", "free", "free", NULL, "/bin/app", { 3, 0, 0, 0, 296 }, { 0 } },
	};
	const struct memstats_options opt = { 0 };
	struct report rep;
	char *buf, *line[8];

	prepare(&rep, rows, NELEM(rows), &opt);
	buf = render(report_text, &rep);
	ck_assert_uint_eq(split_lines(buf, line, NELEM(line)), 6);
	check_prefix(line[5], "BALANCE -200 bytes");
	free(buf);
}
END_TEST

/* ---- live tracking ------------------------------------------------------ */

/* Three sites: 3 live blocks (300 B, 1 to 10 s old), none, 1 young block. */
static void tracked(struct report *rep, struct memstats_row *rows, const struct memstats_options *opt)
{
	static const struct memstats_row tr[] = {
		{ "a.c", 1, "f", "malloc", "malloc", NULL, "/bin/app", { 4, 0, 400, 416, 0 },
		  { 3, 300, 400, { 0, 3, 0, 0, 0 }, { 0, 300, 0, 0, 0 } } },
		{ "a.c", 2, "g", "free", "free", NULL, "/bin/app", { 1, 0, 0, 0, 104 }, { 0 } },
		{ "b.c", 9, "h", "strdup", "strdup", NULL, "/bin/app", { 1, 0, 6000, 6008, 0 },
		  { 1, 6000, 6000, { 1, 0, 0, 0, 0 }, { 6000, 0, 0, 0, 0 } } },
	};

	memcpy(rows, tr, sizeof(tr));
	prepare(rep, rows, NELEM(tr), opt);
	rep->track = 1;
	rep->live.peak_bytes = 6400; /* the process's, from the runtime */
	rep->foreign_frees = 2;
}

START_TEST(test_json_tracking)
{
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_JSON, .sort = MEMSTATS_SORT_SITE, .top = 1 };
	struct memstats_row rows[3];
	struct report rep;
	char *s;

	tracked(&rep, rows, &opt);
	s = render(report_json, &rep);
	ck_assert_str_eq(s,
		"{\"version\": 1, \"pid\": 1234, \"program\": \"app\", \"track\": \"exact\",\n"
		" \"sites\": [\n"
		"  {\"kind\": \"site\", \"file\": \"a.c\", \"line\": 1, \"func\": \"f\", \"op\": \"malloc\", \"api\": \"malloc\", \"type\": null,"
		" \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 4, \"failed\": 0, \"bytes\": 400, \"alloc_bytes\": 416, \"free_bytes\": 0, \"injected\": 0,"
		" \"live_blocks\": 3, \"live_bytes\": 300, \"peak_live_bytes\": 400, \"age_histogram\": ["
		"{\"min_age_s\": 0, \"blocks\": 0, \"bytes\": 0}, {\"min_age_s\": 1, \"blocks\": 3, \"bytes\": 300}, "
		"{\"min_age_s\": 10, \"blocks\": 0, \"bytes\": 0}, {\"min_age_s\": 100, \"blocks\": 0, \"bytes\": 0}, "
		"{\"min_age_s\": 1000, \"blocks\": 0, \"bytes\": 0}]}],\n"
		" \"totals\": {\"calls\": 6, \"failed\": 0, \"bytes\": 6400, \"alloc_bytes\": 6424, \"free_bytes\": 104, \"injected\": 0,"
		" \"balance\": 6320, \"foreign_frees\": 2, \"live_blocks\": 4, \"live_bytes\": 6300, \"peak_live_bytes\": 6400,"
		" \"age_histogram\": [{\"min_age_s\": 0, \"blocks\": 1, \"bytes\": 6000}, {\"min_age_s\": 1, \"blocks\": 3, \"bytes\": 300}, "
		"{\"min_age_s\": 10, \"blocks\": 0, \"bytes\": 0}, {\"min_age_s\": 100, \"blocks\": 0, \"bytes\": 0}, "
		"{\"min_age_s\": 1000, \"blocks\": 0, \"bytes\": 0}]}}\n");
	free(s);
}
END_TEST

START_TEST(test_csv_tracking)
{
	const struct memstats_options opt = { .format = MEMSTATS_FORMAT_CSV, .sort = MEMSTATS_SORT_SITE };
	struct memstats_row rows[3];
	struct report rep;
	char *s;

	tracked(&rep, rows, &opt);
	s = render(report_csv, &rep);
	ck_assert_str_eq(s,
		"file,line,func,op,api,type,object,kind,offset,via,calls,failed,bytes,alloc_bytes,free_bytes,injected,live_blocks,live_bytes,peak_live_bytes\n"
		"a.c,1,f,malloc,malloc,,/bin/app,site,,,4,0,400,416,0,0,3,300,400\n"
		"a.c,2,g,free,free,,/bin/app,site,,,1,0,0,0,104,0,0,0,0\n"
		"b.c,9,h,strdup,strdup,,/bin/app,site,,,1,0,6000,6008,0,0,1,6000,6000\n");
	free(s);
}
END_TEST

/* After the BALANCE line: the live summary, then the sites with live blocks
 * only, most live bytes first, their ages in columns. */
START_TEST(test_text_live_section)
{
	const struct memstats_options opt = { 0 };
	struct memstats_row rows[3];
	struct report rep;
	char *buf, *line[16];
	size_t n, at;

	tracked(&rep, rows, &opt);
	buf = render(report_text, &rep);
	n = split_lines(buf, line, NELEM(line));
	for (at = 0; at < n && strncmp(line[at], "BALANCE", 7) != 0; at++)
		;
	ck_assert_uint_eq(n, at + 6);
	ck_assert_str_eq(line[at + 1], "");
	ck_assert_str_eq(line[at + 2], "LIVE memory (leaks, if the program is exiting): 4 blocks, 6300 bytes requested; "
				       "peak 6400 bytes live at once; 2 frees of blocks not allocated by instrumented code");
	ck_assert_str_eq(line[at + 3], "site   function  api     live_blocks  live_bytes  peak_bytes  age<1s  1-10s  10-100s  100-1000s  >=1000s");
	ck_assert_str_eq(line[at + 4], "b.c:9  h         strdup            1        6000        6000       1      0        0          0        0");
	ck_assert_str_eq(line[at + 5], "a.c:1  f         malloc            3         300         400       0      3        0          0        0");
	free(buf);
}
END_TEST

/* Without tracking, no live fields anywhere. */
START_TEST(test_untracked_has_no_live_fields)
{
	const struct memstats_options opt = { 0 };
	struct memstats_row rows[3];
	struct report rep;
	char *s;

	tracked(&rep, rows, &opt);
	rep.track = 0;
	s = render(report_text, &rep);
	ck_assert_ptr_null(strstr(s, "LIVE"));
	free(s);
	s = render(report_json, &rep);
	ck_assert_ptr_null(strstr(s, "live"));
	free(s);
	s = render(report_csv, &rep);
	ck_assert_ptr_null(strstr(s, "live"));
	free(s);
}
END_TEST

/* report_write() picks the format from the options and flushes. */
START_TEST(test_report_write_dispatch)
{
	static const struct {
		enum memstats_format format;
		void (*fmt)(const struct report *, struct writer *);
	} cases[] = {
		{ MEMSTATS_FORMAT_TEXT, report_text },
		{ MEMSTATS_FORMAT_JSON, report_json },
		{ MEMSTATS_FORMAT_CSV, report_csv },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct memstats_row rows[NELEM(two_rows)];
		const struct memstats_options opt = { .format = cases[i].format };
		struct report rep;
		struct writer w;
		int fd = mem_fd();
		char *got, *want;

		memcpy(rows, two_rows, sizeof(rows));
		prepare(&rep, rows, NELEM(rows), &opt);
		w_init(&w, fd);
		ck_assert_int_eq(report_write(&rep, &w), 0);
		got = fd_contents(fd, NULL);
		want = render(cases[i].fmt, &rep);
		ck_assert_str_eq(got, want);
		free(got);
		free(want);
		close(fd);
	}
}
END_TEST

Suite *suite_format(void)
{
	Suite *s = suite_create("format");
	TCase *writer = tcase_create("writer");
	TCase *json = tcase_create("json");
	TCase *csv = tcase_create("csv");
	TCase *text = tcase_create("text");
	TCase *live = tcase_create("live");

	tcase_add_test(writer, test_numbers);
	tcase_add_test(writer, test_u64_len);
	tcase_add_test(writer, test_pad);
	tcase_add_test(writer, test_big_write_one_call);
	tcase_add_test(writer, test_big_write_small_pieces);
	tcase_add_test(writer, test_flush_bad_fd);
	tcase_add_test(writer, test_flush_closed_fd);
	tcase_add_test(writer, test_flush_read_only_fd);
	tcase_add_test(writer, test_flush_disk_full);
	tcase_add_test(writer, test_flush_broken_pipe);
	tcase_add_test(writer, test_flush_broken_pipe_no_sigpipe);
	tcase_add_test(writer, test_flush_broken_pipe_keeps_pending_sigpipe);
	tcase_add_test(writer, test_nonblocking_slow_reader);
	tcase_add_test(writer, test_nonblocking_stalled_reader);
	suite_add_tcase(s, writer);

	tcase_add_loop_test(json, test_json_str, 0, (int)NELEM(json_cases));
	tcase_add_test(json, test_json_str_null);
	tcase_add_test(json, test_json_report);
	tcase_add_test(json, test_json_report_empty);
	tcase_add_test(json, test_json_report_typed_negative);
	suite_add_tcase(s, json);

	tcase_add_test(csv, test_csv_str);
	tcase_add_test(csv, test_csv_report);
	tcase_add_test(csv, test_csv_report_empty);
	suite_add_tcase(s, csv);

	tcase_add_test(text, test_text_layout);
	tcase_add_test(text, test_text_type_column);
	tcase_add_test(text, test_text_header_match_top);
	tcase_add_test(text, test_text_negative_balance);
	tcase_add_test(text, test_report_write_dispatch);
	suite_add_tcase(s, text);

	tcase_add_test(live, test_json_tracking);
	tcase_add_test(live, test_csv_tracking);
	tcase_add_test(live, test_text_live_section);
	tcase_add_test(live, test_untracked_has_no_live_fields);
	suite_add_tcase(s, live);
	return s;
}
