/* report.c - a memstats JSON report (versions 1 and 2) read into rows.
 *
 * jansson reads the JSON: a library made for the job, packaged everywhere,
 * whose errors say the line and column (a truncated report is named as
 * such), which keeps object keys in order and integers as integers, and
 * whose API is small. The rows point into its document, kept until
 * report_free(). Everything is checked before any command writes a byte:
 * a bad report is one line on stderr naming the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *const counter_names[NCOUNTERS] = {
#define N_(id, name) name,
	COUNTERS(N_)
#undef N_
};

static int bad(const char *path, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int bad(const char *path, const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "memstats: %s: ", strcmp(path, "-") == 0 ? "(stdin)" : path);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* A string member, or NULL when absent or null; -1 if another type. */
static int get_str(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* A count: an integer >= 0. -1 if absent (when required) or another type. */
static int get_count(json_t *o, const char *key, unsigned long long *out, int required)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (unsigned long long)json_integer_value(v);
	return 0;
}

static int read_ages(json_t *o, struct live *l)
{
	json_t *a = json_object_get(o, "age_histogram"), *b;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > AGES)
		return -1;
	json_array_foreach(a, i, b) {
		unsigned long long min;

		if (!json_is_object(b) || get_count(b, "min_age_s", &min, 1) || get_count(b, "blocks", &l->age_blocks[i], 1) ||
		    get_count(b, "bytes", &l->age_bytes[i], 1))
			return -1;
		l->age_min[i] = (unsigned int)min;
	}
	l->nages = (int)json_array_size(a);
	return 0;
}

static int read_live(json_t *o, struct live *l)
{
	json_t *peak = json_object_get(o, "peak_live_bytes");

	if (get_count(o, "live_blocks", &l->blocks, 1) || get_count(o, "live_bytes", &l->bytes, 1) ||
	    (peak && get_count(o, "peak_live_bytes", &l->peak, 1)))
		return -1;
	l->has_peak = peak != NULL;
	return read_ages(o, l);
}

/* Row i of the sites array; what is wrong with it, or NULL. */
static const char *read_row(json_t *o, struct row *r, int tracked)
{
	json_t *via = json_object_get(o, "via"), *v;
	json_t *line = json_object_get(o, "line");
	size_t i;

	if (!json_is_object(o))
		return "is not an object";
	if (get_str(o, "kind", &r->kind) || get_str(o, "file", &r->file) || get_str(o, "func", &r->func) ||
	    get_str(o, "op", &r->op) || get_str(o, "api", &r->api) || get_str(o, "type", &r->type) ||
	    get_str(o, "object", &r->object) || get_str(o, "offset", &r->offset))
		return "has a field that should be a string";
	if (!r->op || !r->api)
		return "has no op or api";
	if (!r->kind)
		r->kind = "site";
	if (strcmp(r->kind, "site") != 0 && strcmp(r->kind, "caller") != 0)
		return "has a kind that is neither site nor caller";
	if (line && !json_is_null(line) && (!json_is_integer(line) || json_integer_value(line) < 0))
		return "has a line that is not a number";
	r->line = line && json_is_integer(line) ? (unsigned long long)json_integer_value(line) : 0;
	for (int c = 0; c < NCOUNTERS; c++)
		if (get_count(o, counter_names[c], &r->c[c], c != C_INJECTED))
			return "lacks a counter, or has one that is not a count";
	if (via && !json_is_null(via)) {
		if (!json_is_array(via) || json_array_size(via) > VIA_MAX)
			return "has a via that is not a list of names";
		json_array_foreach(via, i, v) {
			if (!json_is_string(v))
				return "has a via that is not a list of names";
			r->via[r->nvia++] = json_string_value(v);
		}
	}
	if (tracked && read_live(o, &r->live))
		return "lacks live_blocks or live_bytes, in a tracked report";
	return NULL;
}

static int read_totals(struct report *r, json_t *t)
{
	if (!json_is_object(t))
		return bad(r->path, "not a memstats report: no \"totals\" object");
	for (int c = 0; c < NCOUNTERS; c++)
		if (get_count(t, counter_names[c], &r->total[c], c != C_INJECTED))
			return bad(r->path, "not a memstats report: totals lack \"%s\"", counter_names[c]);
	r->tracked = json_object_get(t, "live_bytes") != NULL;
	if (r->tracked && (read_live(t, &r->total_live) || get_count(t, "foreign_frees", &r->foreign_frees, 0)))
		return bad(r->path, "not a memstats report: bad live totals");
	return 0;
}

static json_t *load(const char *path)
{
	json_error_t err;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	json_t *doc;

	if (!f) {
		bad(path, "cannot read: %s", strerror(errno));
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
	if (f != stdin)
		fclose(f);
	if (!doc)
		bad(path, "not a memstats report: invalid JSON at line %d, column %d: %s%s", err.line, err.column, err.text,
		    strstr(err.text, "end of") || strstr(err.text, "premature") ? " (truncated?)" : "");
	return doc;
}

int report_read(const char *path, struct report *r)
{
	json_t *doc = load(path), *v, *sites, *row;
	const char *why;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->path = path;
	if (!doc)
		return -1;
	r->json = doc;
	if (!json_is_object(doc))
		return report_free(r), bad(path, "not a memstats report: not a JSON object");
	v = json_object_get(doc, "version");
	if (!v || !json_is_integer(v))
		return report_free(r), bad(path, "not a memstats report: no \"version\"");
	r->version = (int)json_integer_value(v);
	if (json_integer_value(v) != 1 && json_integer_value(v) != 2)
		return report_free(r), bad(path, "report version %lld: this memstats reads versions 1 and 2",
					   (long long)json_integer_value(v));
	get_str(doc, "program", &r->program);
	v = json_object_get(doc, "pid");
	r->has_pid = v && json_is_integer(v);
	r->pid = r->has_pid ? json_integer_value(v) : 0;
	sites = json_object_get(doc, "sites");
	if (!json_is_array(sites))
		return report_free(r), bad(path, "not a memstats report: no \"sites\" array");
	if (read_totals(r, json_object_get(doc, "totals")) < 0)
		return report_free(r), -1;
	r->rows = calloc(json_array_size(sites) + 1, sizeof(*r->rows));
	if (!r->rows)
		return report_free(r), bad(path, "out of memory");
	json_array_foreach(sites, i, row) {
		if ((why = read_row(row, &r->rows[i], r->tracked)))
			return report_free(r), bad(path, "not a memstats report: row %zu %s", i + 1, why);
	}
	r->nrows = json_array_size(sites);
	return 0;
}

void report_free(struct report *r)
{
	free(r->rows);
	r->rows = NULL;
	if (r->json)
		json_decref(r->json);
	r->json = NULL;
}

/* ---- rows ------------------------------------------------------------------ */

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int row_same(const struct row *a, const struct row *b)
{
	if (a->line != b->line || a->nvia != b->nvia || !str_eq(a->file, b->file) || !str_eq(a->func, b->func) ||
	    !str_eq(a->op, b->op) || !str_eq(a->api, b->api) || !str_eq(a->type, b->type) ||
	    !str_eq(a->kind, b->kind) || !str_eq(a->object, b->object))
		return 0;
	for (int i = 0; i < a->nvia; i++)
		if (!str_eq(a->via[i], b->via[i]))
			return 0;
	return a->line || str_eq(a->offset, b->offset);
}

static unsigned long long hash_str(unsigned long long h, const char *s)
{
	h = (h ^ (s ? 1 : 0)) * 0x100000001b3ull;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

unsigned long long row_hash(const struct row *r)
{
	unsigned long long h = 0xcbf29ce484222325ull ^ r->line;

	h = hash_str(hash_str(hash_str(h, r->file), r->func), r->op);
	h = hash_str(hash_str(hash_str(h, r->api), r->type), r->kind);
	h = hash_str(h, r->object);
	for (int i = 0; i < r->nvia; i++)
		h = hash_str(h, r->via[i]);
	return r->line ? h : hash_str(h, r->offset);
}

const char *row_site(const struct row *r, char *buf, size_t size)
{
	const char *obj = r->object ? strrchr(r->object, '/') : NULL;

	if (r->file && r->line)
		snprintf(buf, size, "%s:%llu", r->file, r->line);
	else if (r->object && r->offset)
		snprintf(buf, size, "%s+%s", obj ? obj + 1 : r->object, r->offset);
	else
		snprintf(buf, size, "%s", r->file ? r->file : "?");
	return buf;
}

const char *row_via(const struct row *r, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < r->nvia && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "via ", r->via[i]);
	return buf;
}

int row_allocates(const struct row *r)
{
	return strcmp(r->op, "free") != 0 && strcmp(r->op, "p_free") != 0 && r->c[C_CALLS] > 0;
}

/* ---- rows by identity -------------------------------------------------------- */

int index_build(struct index *ix, const struct row *rows, size_t n)
{
	size_t size = 2;

	while (size < 2 * n)
		size <<= 1;
	ix->rows = rows;
	ix->mask = size - 1;
	ix->slot = calloc(size, sizeof(*ix->slot));
	if (!ix->slot) {
		fputs("memstats: out of memory\n", stderr);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = row_hash(&rows[i]) & ix->mask;

		while (ix->slot[k] && !row_same(&rows[ix->slot[k] - 1], &rows[i]))
			k = (k + 1) & ix->mask;
		if (!ix->slot[k])
			ix->slot[k] = i + 1; /* the first of rows the same */
	}
	return 0;
}

long index_find(const struct index *ix, const struct row *r)
{
	size_t k = row_hash(r) & ix->mask;

	while (ix->slot[k] && !row_same(&ix->rows[ix->slot[k] - 1], r))
		k = (k + 1) & ix->mask;
	return (long)ix->slot[k] - 1;
}

void index_free(struct index *ix)
{
	free(ix->slot);
	ix->slot = NULL;
}
