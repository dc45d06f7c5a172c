/* test_cli.c - the memstats command's report commands on reports whose
 * numbers are known: written here (versions 1 and 2, tracked or not) and
 * one of a real instrumented program (prog.c, built by make). Every
 * command's output is read back exactly: top's rows and groups, diff's
 * changes, merge's sums (as JSON), the pprof profile (gunzipped and
 * decoded here), folded lines, the page's rows, the metrics' series; and
 * bad input for each: exit status 2, one line naming the file, nothing
 * written. BUILD is the build directory (from make).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define MS BUILD "/memstats"

static char dir[256];

/* Two reports of one program: B grew at a.c:10, shrank at a.c:20, has a
 * row A has not (a.c:40) and lacks one A has (a.c:30). */
static const char report_a[] =
	"{\"version\": 1, \"pid\": 11, \"program\": \"app\",\n \"sites\": [\n"
	"  {\"kind\": \"site\", \"file\": \"a.c\", \"line\": 10, \"func\": \"load\", \"op\": \"malloc\", \"api\": \"malloc\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 2, \"failed\": 0, \"bytes\": 200, "
	"\"alloc_bytes\": 208, \"free_bytes\": 0},\n"
	"  {\"kind\": \"site\", \"file\": \"a.c\", \"line\": 20, \"func\": \"load\", \"op\": \"free\", \"api\": \"free\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 5, \"failed\": 0, \"bytes\": 0, "
	"\"alloc_bytes\": 0, \"free_bytes\": 500},\n"
	"  {\"kind\": \"site\", \"file\": \"b.c\", \"line\": 30, \"func\": \"old\", \"op\": \"calloc\", \"api\": \"calloc\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 1, \"failed\": 1, \"bytes\": 70, "
	"\"alloc_bytes\": 0, \"free_bytes\": 0}],\n"
	" \"totals\": {\"calls\": 8, \"failed\": 1, \"bytes\": 270, \"alloc_bytes\": 208, \"free_bytes\": 500, \"balance\": -292}}\n";

static const char report_b[] =
	"{\"version\": 2, \"pid\": 12, \"program\": \"app\",\n \"sites\": [\n"
	"  {\"kind\": \"site\", \"file\": \"a.c\", \"line\": 10, \"func\": \"load\", \"op\": \"malloc\", \"api\": \"malloc\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 7, \"failed\": 0, \"bytes\": 900, "
	"\"alloc_bytes\": 950, \"free_bytes\": 0},\n"
	"  {\"kind\": \"site\", \"file\": \"a.c\", \"line\": 20, \"func\": \"load\", \"op\": \"free\", \"api\": \"free\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 3, \"failed\": 0, \"bytes\": 0, "
	"\"alloc_bytes\": 0, \"free_bytes\": 300},\n"
	"  {\"kind\": \"caller\", \"file\": \"a.c\", \"line\": 40, \"func\": \"parse\", \"op\": \"strdup\", \"api\": \"strdup\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": \"0x4f2a\", \"via\": [\"xstrdup\", \"xmalloc\"], \"calls\": 4, "
	"\"failed\": 0, \"bytes\": 44, \"alloc_bytes\": 64, \"free_bytes\": 0},\n"
	"  {\"kind\": \"caller\", \"file\": null, \"line\": null, \"func\": null, \"op\": \"malloc\", \"api\": \"malloc\", "
	"\"type\": null, \"object\": \"/lib/libz.so.1\", \"offset\": \"0x1a2b\", \"via\": null, \"calls\": 1, \"failed\": 0, "
	"\"bytes\": 33, \"alloc_bytes\": 40, \"free_bytes\": 0}],\n"
	" \"totals\": {\"calls\": 15, \"failed\": 0, \"bytes\": 977, \"alloc_bytes\": 1054, \"free_bytes\": 300, \"balance\": 754}}\n";

/* tracked: live counts and ages */
static const char report_t[] =
	"{\"version\": 1, \"pid\": 13, \"program\": \"app\",\n \"sites\": [\n"
	"  {\"kind\": \"site\", \"file\": \"a.c\", \"line\": 10, \"func\": \"load\", \"op\": \"malloc\", \"api\": \"malloc\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 2, \"failed\": 0, \"bytes\": 200, "
	"\"alloc_bytes\": 208, \"free_bytes\": 0, \"live_blocks\": 1, \"live_bytes\": 100, \"peak_live_bytes\": 200, "
	"\"age_histogram\": [{\"min_age_s\": 0, \"blocks\": 1, \"bytes\": 100}, {\"min_age_s\": 1, \"blocks\": 0, \"bytes\": 0}]},\n"
	"  {\"kind\": \"site\", \"file\": \"c.c\", \"line\": 5, \"func\": \"keep\", \"op\": \"malloc\", \"api\": \"malloc\", "
	"\"type\": null, \"object\": \"/bin/app\", \"offset\": null, \"via\": null, \"calls\": 1, \"failed\": 0, \"bytes\": 50, "
	"\"alloc_bytes\": 56, \"free_bytes\": 0, \"live_blocks\": 1, \"live_bytes\": 50, \"peak_live_bytes\": 50, "
	"\"age_histogram\": [{\"min_age_s\": 0, \"blocks\": 0, \"bytes\": 0}, {\"min_age_s\": 1, \"blocks\": 1, \"bytes\": 50}]}],\n"
	" \"totals\": {\"calls\": 3, \"failed\": 0, \"bytes\": 250, \"alloc_bytes\": 264, \"free_bytes\": 0, \"balance\": 264, "
	"\"foreign_frees\": 0, \"live_blocks\": 2, \"live_bytes\": 150, \"peak_live_bytes\": 250, \"age_histogram\": "
	"[{\"min_age_s\": 0, \"blocks\": 1, \"bytes\": 100}, {\"min_age_s\": 1, \"blocks\": 1, \"bytes\": 50}]}}\n";

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static char *slurp_n(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *t;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "r")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	t = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(t, 1, (size_t)n, f), n);
	fclose(f);
	if (len)
		*len = (size_t)n;
	return t;
}

static char *slurp(const char *name)
{
	char *t = slurp_n(name, NULL);

	return t ? t : strdup("");
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/memstats-cli-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put("a.json", report_a);
	put("b.json", report_b);
	put("t.json", report_t);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int vms(char *args, size_t size, const char *fmt, va_list ap)
{
	char cmd[3000];
	int st;

	vsnprintf(args, size, fmt, ap);
	snprintf(cmd, sizeof(cmd), "cd '%s' && " MS " %s >out 2>err", dir, args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs memstats with args in dir: stdout to "out", stderr to "err". */
__attribute__((format(printf, 1, 2))) static int ms(const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = vms(args, sizeof(args), fmt, ap);
	va_end(ap);
	return st;
}

/* The same, which must exit 0: what it wrote to stdout. */
__attribute__((format(printf, 1, 2))) static char *ms_out(const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = vms(args, sizeof(args), fmt, ap);
	va_end(ap);
	ck_assert_msg(st == 0, "memstats %s: exit %d", args, st);
	return slurp("out");
}

/* The one line of out that holds every one of the words (NULL-ended). */
static char *line_with(const char *out, ...)
{
	static char found[2048];
	const char *p = out;
	int n = 0;

	while (*p) {
		const char *end = strchrnul(p, '\n');
		char line[2048];
		int all = 1;
		va_list ap;

		snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
		va_start(ap, out);
		for (const char *w = va_arg(ap, const char *); w && all; w = va_arg(ap, const char *))
			all = strstr(line, w) != NULL;
		va_end(ap);
		if (all && ++n == 1)
			snprintf(found, sizeof(found), "%s", line);
		p = *end ? end + 1 : end;
	}
	ck_assert_msg(n == 1, "%d lines hold the words; output:\n%s", n, out);
	return found;
}

/* Whether the line shows the whole word w (a number, a name). */
static int shows(const char *line, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = strstr(line, w); p; p = strstr(p + 1, w))
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* a is printed before b in out */
static void before(const char *out, const char *a, const char *b)
{
	const char *pa = strstr(out, a), *pb = strstr(out, b);

	ck_assert_msg(pa && pb && pa < pb, "%s is not before %s:\n%s", a, b, out);
}

/* ---- top ------------------------------------------------------------------- */

START_TEST(test_top_rows_sorted_by_bytes)
{
	char *out, *l;

	out = ms_out("top b.json");
	l = line_with(out, "a.c:10", NULL);
	ck_assert_msg(shows(l, "7") && shows(l, "900") && shows(l, "950") && shows(l, "load"), "%s", l);
	l = line_with(out, "a.c:40", NULL);
	ck_assert_msg(shows(l, "via xstrdup, xmalloc") || strstr(l, "via xstrdup, xmalloc"), "%s", l);
	ck_assert_ptr_nonnull(strstr(line_with(out, "libz.so.1+0x1a2b", NULL), " 33 "));
	before(out, "a.c:10", "a.c:40"); /* 900 before 44 bytes */
	before(out, "a.c:40", "libz.so.1");
	before(out, "libz.so.1", "a.c:20"); /* the free last */
	free(out);
}
END_TEST

START_TEST(test_top_n_sort_and_groups)
{
	char *out;

	out = ms_out("top b.json -n 1 --sort calls");
	ck_assert_ptr_nonnull(strstr(out, "a.c:10"));
	ck_assert_ptr_null(strstr(out, "a.c:20"));
	free(out);
	out = ms_out("top b.json --by func");
	ck_assert_msg(shows(line_with(out, "load", NULL), "10") && shows(line_with(out, "load", NULL), "900"), "%s", out);
	free(out);
	out = ms_out("top a.json --by file");
	ck_assert_msg(shows(line_with(out, "a.c ", NULL), "7") && shows(line_with(out, "b.c ", NULL), "70"), "%s", out);
	free(out);
	out = ms_out("top t.json --sort live");
	ck_assert_msg(shows(line_with(out, "a.c:10", NULL), "100"), "%s", out);
	before(out, "a.c:10", "c.c:5");
	free(out);
	ck_assert_int_eq(ms("top a.json --sort live"), 2); /* not tracked */
	out = ms_out("top - < a.json");
	ck_assert_ptr_nonnull(strstr(out, "b.c:30"));
	free(out);
}
END_TEST

/* ---- diff ------------------------------------------------------------------- */

START_TEST(test_diff_changes_new_gone)
{
	char *out, *l;

	out = ms_out("diff a.json b.json");
	l = line_with(out, "a.c:10", NULL);
	ck_assert_msg(shows(l, "+5") && shows(l, "+700"), "%s", l);
	l = line_with(out, "a.c:20", NULL);
	ck_assert_msg(shows(l, "-2") && shows(l, "0") && !shows(l, "new") && !shows(l, "gone"), "%s", l);
	l = line_with(out, "a.c:40", NULL);
	ck_assert_msg(shows(l, "+4") && shows(l, "+44") && shows(l, "new"), "%s", l);
	l = line_with(out, "b.c:30", NULL);
	ck_assert_msg(shows(l, "-1") && shows(l, "-70") && shows(l, "gone"), "%s", l);
	before(out, "a.c:10", "a.c:40"); /* growth first */
	before(out, "a.c:20", "b.c:30");
	free(out);
	out = ms_out("diff a.json a.json");
	ck_assert_msg(!strstr(out, " new") && !strstr(out, " gone"), "%s", out);
	free(out);
	out = ms_out("diff t.json t.json");
	ck_assert_ptr_nonnull(strstr(out, "live_bytes"));
	free(out);
}
END_TEST

/* ---- merge ------------------------------------------------------------------ */

/* injected (MEMSTATS_FAIL's failures): read when there, summed, shown */
START_TEST(test_injected)
{
	char *out;

	put("f.json", "{\"version\": 1, \"pid\": 9, \"program\": \"app\", \"sites\": [{\"file\": \"a.c\", \"line\": 3, "
		      "\"func\": \"f\", \"op\": \"malloc\", \"api\": \"malloc\", \"calls\": 5, \"failed\": 2, \"bytes\": 50, "
		      "\"alloc_bytes\": 48, \"free_bytes\": 0, \"injected\": 2}], \"totals\": {\"calls\": 5, \"failed\": 2, "
		      "\"bytes\": 50, \"alloc_bytes\": 48, \"free_bytes\": 0, \"injected\": 2, \"balance\": 48}}\n");
	out = ms_out("merge f.json f.json a.json");
	ck_assert_msg(strstr(out, "\"failed\": 4, \"bytes\": 100, \"alloc_bytes\": 96, \"free_bytes\": 0, \"injected\": 4}"),
		      "%s", out);
	free(out);
	out = ms_out("top f.json");
	ck_assert_msg(strstr(out, " injected") && shows(line_with(out, "a.c:3", NULL), "2"), "%s", out);
	free(out);
	out = ms_out("top a.json");
	ck_assert_msg(!strstr(out, "injected"), "%s", out);
	free(out);
}
END_TEST

START_TEST(test_merge_sums_by_identity)
{
	char *out, *l;

	ck_assert_int_eq(ms("merge a.json b.json -o m.json"), 0);
	out = ms_out("top m.json");
	l = line_with(out, "a.c:10", NULL);
	ck_assert_msg(shows(l, "9") && shows(l, "1100") && shows(l, "1158"), "%s", l);
	l = line_with(out, "a.c:20", NULL);
	ck_assert_msg(shows(l, "8") && shows(l, "800"), "%s", l);
	ck_assert_ptr_nonnull(line_with(out, "b.c:30", NULL));
	ck_assert_ptr_nonnull(line_with(out, "a.c:40", "via xstrdup", NULL));
	ck_assert_msg(strstr(out, "TOTAL calls 23, failed 1, bytes 1247, alloc_bytes 1262, free_bytes 800"), "%s", out);
	free(out);
	out = slurp("m.json");
	ck_assert_msg(strstr(out, "\"version\": 2") && strstr(out, "\"balance\": 462"), "%s", out);
	free(out);
	out = ms_out("merge t.json t.json");
	ck_assert_msg(strstr(out, "\"live_blocks\": 2, \"live_bytes\": 200") &&
			      strstr(out, "\"live_blocks\": 4, \"live_bytes\": 300"),
		      "%s", out);
	ck_assert_msg(!strstr(out, "peak_live_bytes"), "a merged peak would be made up: %s", out);
	free(out);
}
END_TEST

/* ---- pprof: gunzipped and decoded here ---------------------------------------- */

struct pb {
	const unsigned char *p, *end;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	*v = 0;
	for (int s = 0; b->p < b->end && s < 64; s += 7) {
		unsigned char c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << s;
		if (c < 0x80)
			return 0;
	}
	return -1;
}

/* The next field: number, wire type, varint value or the bytes. */
static int pb_field(struct pb *b, unsigned *field, uint64_t *v, struct pb *sub)
{
	uint64_t key;

	if (b->p >= b->end || pb_varint(b, &key))
		return -1;
	*field = (unsigned)(key >> 3);
	if ((key & 7) == 0)
		return pb_varint(b, v);
	ck_assert_int_eq(key & 7, 2);
	if (pb_varint(b, v) || *v > (uint64_t)(b->end - b->p))
		return -1;
	*sub = (struct pb){ b->p, b->p + *v };
	b->p += *v;
	return 0;
}

struct profile {
	char *strings[256];
	int nstrings, ntypes;
	uint64_t types[8];
	int nsamples;
	uint64_t first_loc[16], values[16][4], nlocs[16];
	uint64_t loc_func[64], loc_line[64], func_name[64], func_file[64];
};

static void decode(const unsigned char *data, size_t n, struct profile *pr)
{
	struct pb b = { data, data + n }, s, t;
	unsigned f, g;
	uint64_t v, w;

	memset(pr, 0, sizeof(*pr));
	while (pb_field(&b, &f, &v, &s) == 0) {
		if (f == 6 && pr->nstrings < 256)
			pr->strings[pr->nstrings++] = strndup((const char *)s.p, (size_t)(s.end - s.p));
		else if (f == 1)
			while (pb_field(&s, &g, &w, &t) == 0)
				if (g == 1 && pr->ntypes < 8)
					pr->types[pr->ntypes++] = w;
		if (f == 2 && pr->nsamples < 16) {
			int k = pr->nsamples++, nv = 0;

			while (pb_field(&s, &g, &w, &t) == 0) {
				for (int first = 1; g <= 2 && t.p < t.end; first = 0) {
					uint64_t x;

					ck_assert_int_eq(pb_varint(&t, &x), 0);
					if (g == 1 && first)
						pr->first_loc[k] = x;
					if (g == 1)
						pr->nlocs[k]++;
					else if (nv < 4)
						pr->values[k][nv++] = x;
				}
			}
		} else if (f == 4) {
			uint64_t id = 0, fn = 0, line = 0;

			while (pb_field(&s, &g, &w, &t) == 0) {
				if (g == 1)
					id = w;
				else if (g == 4)
					while (pb_field(&t, &g, &w, &s) == 0)
						fn = g == 1 ? w : fn, line = g == 2 ? w : line;
			}
			ck_assert_uint_lt(id, 64);
			pr->loc_func[id] = fn;
			pr->loc_line[id] = line;
		} else if (f == 5) {
			uint64_t id = 0, name = 0, file = 0;

			while (pb_field(&s, &g, &w, &t) == 0)
				id = g == 1 ? w : id, name = g == 2 ? w : name, file = g == 4 ? w : file;
			ck_assert_uint_lt(id, 64);
			pr->func_name[id] = name;
			pr->func_file[id] = file;
		}
	}
}

static void gunzip_profile(const char *name, struct profile *pr)
{
	size_t n;
	char *gz = slurp_n(name, &n);
	unsigned char out[1 << 16];
	z_stream z = { 0 };

	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq((unsigned char)gz[0], 0x1f);
	ck_assert_int_eq((unsigned char)gz[1], 0x8b);
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = sizeof(out);
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	decode(out, sizeof(out) - z.avail_out, pr);
	inflateEnd(&z);
	free(gz);
}

START_TEST(test_pprof_profile)
{
	struct profile pr;
	int found = 0;

	ck_assert_int_eq(ms("pprof b.json -o heap.pb.gz"), 0);
	ck_assert_str_eq(slurp("out"), "");
	gunzip_profile("heap.pb.gz", &pr);
	ck_assert_str_eq(pr.strings[0], "");
	ck_assert_int_eq(pr.ntypes, 2);
	ck_assert_str_eq(pr.strings[pr.types[0]], "alloc_objects");
	ck_assert_str_eq(pr.strings[pr.types[1]], "alloc_space");
	ck_assert_int_eq(pr.nsamples, 3); /* the free row has no sample */
	for (int i = 0; i < pr.nsamples; i++) {
		uint64_t fn = pr.loc_func[pr.first_loc[i]];
		const char *name = pr.strings[pr.func_name[fn]];

		if (strcmp(name, "load") == 0) {
			ck_assert_str_eq(pr.strings[pr.func_file[fn]], "a.c");
			ck_assert_uint_eq(pr.loc_line[pr.first_loc[i]], 10);
			ck_assert_uint_eq(pr.values[i][0], 7);
			ck_assert_uint_eq(pr.values[i][1], 900);
			found++;
		} else if (strcmp(name, "parse") == 0) {
			ck_assert_uint_eq(pr.nlocs[i], 3); /* parse, then its two wrappers */
			ck_assert_uint_eq(pr.values[i][1], 44);
			found++;
		}
	}
	ck_assert_int_eq(found, 2);
	ck_assert_int_eq(ms("pprof t.json -o t.pb.gz"), 0);
	gunzip_profile("t.pb.gz", &pr);
	ck_assert_int_eq(pr.ntypes, 4);
	ck_assert_str_eq(pr.strings[pr.types[3]], "inuse_space");
	ck_assert_uint_eq(pr.values[0][2] + pr.values[1][2], 2);
	ck_assert_uint_eq(pr.values[0][3] + pr.values[1][3], 150);
}
END_TEST

/* ---- folded, html, metrics -------------------------------------------------- */

START_TEST(test_folded_lines)
{
	char *out;

	out = ms_out("folded a.json");
	ck_assert_str_eq(out, "/bin/app;load;a.c:10 200\n/bin/app;old;b.c:30 70\n");
	free(out);
	out = ms_out("folded a.json --value calls");
	ck_assert_str_eq(out, "/bin/app;load;a.c:10 2\n/bin/app;load;a.c:20 5\n/bin/app;old;b.c:30 1\n");
	free(out);
	out = ms_out("folded t.json --value live");
	ck_assert_str_eq(out, "/bin/app;load;a.c:10 100\n/bin/app;keep;c.c:5 50\n");
	free(out);
}
END_TEST

START_TEST(test_html_page)
{
	char *page;

	ck_assert_int_eq(ms("html t.json -o r.html"), 0);
	page = slurp("r.html");
	ck_assert_ptr_null(strstr(page, "http:"));
	ck_assert_ptr_null(strstr(page, "https:"));
	ck_assert_ptr_null(strstr(page, "src="));
	ck_assert_msg(strstr(page, "<tr><td>a.c:10</td><td>load</td><td>malloc</td><td>malloc</td>"), "%s", page);
	ck_assert_ptr_nonnull(strstr(page, "<td class=\"n\" data-v=\"200\">200</td>"));
	ck_assert_ptr_nonnull(strstr(page, "Live memory and the ages"));
	ck_assert_ptr_nonnull(strstr(page, "<script>"));
	free(page);
}
END_TEST

START_TEST(test_metrics_series)
{
	char *out;

	out = ms_out("metrics b.json");
	ck_assert_msg(strstr(out, "# TYPE memstats_calls_total counter\n# HELP memstats_calls_total "), "%s", out);
	ck_assert_msg(strstr(out, "memstats_bytes_total{program=\"app\",site=\"a.c:10\",func=\"load\",op=\"malloc\","
				  "api=\"malloc\",kind=\"site\",object=\"/bin/app\"} 900\n"),
		      "%s", out);
	ck_assert_msg(strstr(out, "memstats_calls_total{program=\"app\",site=\"a.c:40\",func=\"parse\",op=\"strdup\","
				  "api=\"strdup\",kind=\"caller\",object=\"/bin/app\",via=\"xstrdup, xmalloc\"} 4\n"),
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "memstats_bytes_total{program=\"app\"} 977\n"));
	ck_assert_ptr_null(strstr(out, "memstats_live_bytes"));
	ck_assert_int_eq(strcmp(out + strlen(out) - 6, "# EOF\n"), 0);
	free(out);
	out = ms_out("metrics t.json");
	ck_assert_msg(strstr(out, "# TYPE memstats_live_bytes gauge\n") && strstr(out, "memstats_live_bytes{program=\"app\"} 150\n"),
		      "%s", out);
	free(out);
}
END_TEST

/* ---- a real program's report ------------------------------------------------ */

START_TEST(test_real_report)
{
	char *out;

	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "MEMSTATS_FORMAT=json MEMSTATS_OUTPUT=%s/p.json " BUILD "/tests/cli_prog", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	out = ms_out("top p.json --by func");
	ck_assert_msg(shows(line_with(out, "twice", NULL), "2") && shows(line_with(out, "twice", NULL), "48"), "%s", out);
	ck_assert_msg(shows(line_with(out, "thrice", NULL), "3") && shows(line_with(out, "thrice", NULL), "30"), "%s", out);
	free(out);
}
END_TEST

/* ---- torture ----------------------------------------------------------------- */

/* The lines of out from the one naming site up to the next blank line. */
static char *group_of(const char *out, const char *site)
{
	const char *at = strstr(out, site), *end;

	ck_assert_msg(at, "no group for %s:\n%s", site, out);
	end = strstr(at, "\n\n");
	return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

START_TEST(test_torture)
{
	char *out, *g;

	/* kv with two pairs: 3 calls per pair, 1 per line printed */
	ck_assert_int_eq(ms("torture -j 2 -- " BUILD "/tests/cli_kv a=1 b=2"), 1);
	out = slurp("out");
	ck_assert_msg(strstr(out, "made 8 allocation calls; 8 runs"), "%s", out);
	ck_assert_msg(strstr(out, "2 crashed, 0 hung, 0 sanitizer errors, 3 leaked, 3 only exited with a status"), "%s",
		      out);
	g = group_of(out, "main  malloc");
	ck_assert_msg(strstr(g, "call 7: crash: SIGSEGV (signal 11") && strstr(g, "call 8: crash: SIGSEGV") &&
			      strstr(g, "again: MEMSTATS_FAIL=nth=7 " BUILD "/tests/cli_kv a=1 b=2"),
		      "%s", g);
	free(g);
	g = group_of(out, "insert  strdup");
	ck_assert_msg(strstr(g, "call 3: exit status 1") && strstr(g, "call 6: leak: 3 more blocks live at exit") &&
			      strstr(g, "; exit status 1"),
		      "%s", g);
	free(g);
	free(out);
	/* a hang, ended; its child too (it is in the run's process group) */
	ck_assert_int_eq(ms("torture --timeout 0.5 -- " BUILD "/tests/cli_hang"), 1);
	out = slurp("out");
	ck_assert_msg(strstr(out, "call 1: hang: timed out after 0.5 s"), "%s", out);
	free(out);
	ck_assert_int_ne(system("pgrep -f '/tests/[c]li_hang' >/dev/null"), 0); /* [c]: not this shell */
	/* a program whose failures are all harmless: exit status 0 */
	out = ms_out("torture -- " BUILD "/tests/cli_prog");
	ck_assert_msg(strstr(out, "made 5 allocation calls; 5 runs") && strstr(out, "no crash, hang or sanitizer error"),
		      "%s", out);
	free(out);
	/* --max: a sample spread over the calls */
	ck_assert_int_eq(ms("torture --max 2 -- " BUILD "/tests/cli_prog"), 0);
	ck_assert_msg(strstr(slurp("out"), "made 5 allocation calls; 2 runs"), "%s", slurp("out"));
	/* a program failing without any injection; bad usage */
	ck_assert_int_eq(ms("torture -- /bin/false"), 2);
	ck_assert_int_eq(ms("torture -j 0 -- " BUILD "/tests/cli_prog"), 2);
	ck_assert_int_eq(ms("torture " BUILD "/tests/cli_prog"), 2);
}
END_TEST

/* ---- bad input ------------------------------------------------------------------ */

static const char *const bad_kinds[] = { "notjson", "truncated", "version", "missing", "shape" };
static const char *const commands[] = {
	"top BAD", "diff a.json BAD", "merge a.json BAD -o res", "pprof BAD -o res", "folded BAD", "html BAD -o res",
	"metrics BAD",
};

START_TEST(test_bad_input)
{
	char a[sizeof(report_a)];
	struct stat st;

	memcpy(a, report_a, sizeof(a));
	put("notjson.json", "this is not a memstats report\n");
	a[sizeof(a) / 2] = '\0';
	put("truncated.json", a);
	put("version.json", "{\"version\": 99, \"sites\": [], \"totals\": {}}\n");
	put("shape.json", "{\"version\": 1, \"sites\": [{\"op\": \"malloc\"}], \"totals\": {\"calls\": 0, \"failed\": 0, "
			  "\"bytes\": 0, \"alloc_bytes\": 0, \"free_bytes\": 0}}\n");
	for (size_t k = 0; k < sizeof(bad_kinds) / sizeof(bad_kinds[0]); k++) {
		for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
			char args[256], name[64], *err, *out;
			const char *at = strstr(commands[c], "BAD");

			snprintf(name, sizeof(name), "%s.json", bad_kinds[k]);
			snprintf(args, sizeof(args), "%.*s%s%s", (int)(at - commands[c]), commands[c], name, at + 3);
			ck_assert_msg(ms("%s", args) == 2, "memstats %s: not exit status 2", args);
			err = slurp("err");
			out = slurp("out");
			ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1 && strstr(err, name),
				      "memstats %s: stderr is not one line naming the file: %s", args, err);
			if (k == 2)
				ck_assert_ptr_nonnull(strstr(err, "version"));
			ck_assert_msg(!*out, "memstats %s wrote on stdout: %s", args, out);
			ck_assert_msg(stat("res", &st) != 0, "memstats %s left an output file", args);
			free(err);
			free(out);
		}
	}
	ck_assert_int_eq(ms("top"), 2);
	ck_assert_int_eq(ms("top a.json -n many"), 2);
	ck_assert_int_eq(ms("diff a.json"), 2);
	ck_assert_int_eq(ms("pprof a.json"), 2); /* no -o */
	ck_assert_int_eq(ms("nosuchcommand"), 2);
	ck_assert_int_eq(ms("help diff"), 0);
	ck_assert_ptr_nonnull(strstr(slurp("out"), "usage: memstats diff OLD NEW"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("reports");
	SRunner *r;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_top_rows_sorted_by_bytes);
	tcase_add_test(tc, test_top_n_sort_and_groups);
	tcase_add_test(tc, test_diff_changes_new_gone);
	tcase_add_test(tc, test_merge_sums_by_identity);
	tcase_add_test(tc, test_injected);
	tcase_add_test(tc, test_pprof_profile);
	tcase_add_test(tc, test_folded_lines);
	tcase_add_test(tc, test_html_page);
	tcase_add_test(tc, test_metrics_series);
	tcase_add_test(tc, test_real_report);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_torture);
	suite_add_tcase(s, tc);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
