/* pprof.c - memstats pprof REPORT -o heap.pb.gz: the report as a gzipped
 * pprof profile (github.com/google/pprof, proto/profile.proto), which
 * go tool pprof, Grafana Pyroscope, Parca and speedscope read.
 *
 * The profile is written by a small encoder of the five messages it needs
 * (Profile, ValueType, Sample, Location and Line, Function) rather than by
 * protobuf-c and the generated code of profile.proto: the wire format of
 * varints and length-delimited fields is a page of code, and it keeps the
 * command free of a code generator at build time. gzip is zlib's.
 *
 * One sample per allocating row, at a location with the row's function,
 * file and line; its wrapper chain (via) as the frames above it. Values:
 * alloc_objects (calls) and alloc_space (requested bytes), and for a
 * tracked report inuse_objects and inuse_space (live blocks and bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cli.h"

const char usage_pprof[] =
	"usage: memstats pprof REPORT -o PATH\n"
	"  The report as a gzipped pprof profile (profile.proto): alloc_objects and\n"
	"  alloc_space per row, inuse_objects and inuse_space when tracked; one location\n"
	"  per row with its function, file and line, its wrappers as the frames above.\n"
	"  Read it with go tool pprof -top PATH, or give it to Pyroscope or Parca.\n";

/* ---- the wire format ---------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t n, cap;
	int failed;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4096;
		unsigned char *p;

		while (cap < b->n + n)
			cap *= 2;
		if (!(p = realloc(b->p, cap))) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void varint(struct buf *b, uint64_t v)
{
	unsigned char c[10];
	size_t n = 0;

	do {
		c[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	put(b, c, n);
}

static void field_int(struct buf *b, unsigned int field, uint64_t v)
{
	varint(b, (uint64_t)field << 3);   /* wire type 0: varint */
	varint(b, v);
}

static void field_bytes(struct buf *b, unsigned int field, const void *data, size_t n)
{
	varint(b, (uint64_t)field << 3 | 2); /* wire type 2: length-delimited */
	varint(b, n);
	put(b, data, n);
}

static void field_msg(struct buf *b, unsigned int field, struct buf *m)
{
	field_bytes(b, field, m->p, m->n);
	b->failed |= m->failed;
	m->n = 0;
	m->failed = 0;
}

/* ---- the string table and the functions, deduplicated ------------------- */

struct table {
	const char **keys;                /* strings: the text; functions: unused */
	uint64_t *a, *b;                  /* functions: name and file indexes */
	size_t n, mask, *slot;
};

static uint64_t hash_text(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int table_init(struct table *t, size_t max)
{
	t->mask = 1;
	while (t->mask < 2 * max)
		t->mask <<= 1;
	t->slot = calloc(t->mask--, sizeof(*t->slot));
	t->keys = calloc(max + 1, sizeof(*t->keys));
	t->a = calloc(max + 1, sizeof(*t->a));
	t->b = calloc(max + 1, sizeof(*t->b));
	t->n = 0;
	return t->slot && t->keys && t->a && t->b ? 0 : -1;
}

static void table_free(struct table *t)
{
	free(t->slot);
	free(t->keys);
	free(t->a);
	free(t->b);
}

/* The index of s in the string table (0: ""). */
static uint64_t string_id(struct table *t, const char *s)
{
	size_t k;

	if (!s || !*s)
		return 0;
	for (k = hash_text(s) & t->mask; t->slot[k]; k = (k + 1) & t->mask)
		if (strcmp(t->keys[t->slot[k]], s) == 0)
			return t->slot[k];
	t->keys[++t->n] = s; /* keys[0] is "" */
	t->slot[k] = t->n;
	return t->n;
}

/* The id of the function (name, file), both string indexes; from 1. */
static uint64_t function_id(struct table *t, uint64_t name, uint64_t file)
{
	size_t k;

	for (k = (name * 0x9e3779b97f4a7c15ull ^ file) & t->mask; t->slot[k]; k = (k + 1) & t->mask)
		if (t->a[t->slot[k]] == name && t->b[t->slot[k]] == file)
			return t->slot[k];
	t->n++;
	t->a[t->n] = name;
	t->b[t->n] = file;
	t->slot[k] = t->n;
	return t->n;
}

/* ---- the profile ------------------------------------------------------- */

static void value_type(struct buf *b, struct buf *m, unsigned int field, struct table *s, const char *type,
		       const char *unit)
{
	field_int(m, 1, string_id(s, type));
	field_int(m, 2, string_id(s, unit));
	field_msg(b, field, m);
}

static void location(struct buf *b, struct buf *m, struct buf *line, uint64_t id, uint64_t func, uint64_t lineno)
{
	field_int(m, 1, id);
	field_int(line, 1, func);
	if (lineno)
		field_int(line, 2, lineno);
	field_msg(m, 4, line);
	field_msg(b, 4, m);
}

static const char *name_of(const struct row *r, char *buf, size_t size)
{
	if (r->func)
		return r->func;
	return row_site(r, buf, size);
}

static int encode(const struct report *rep, struct buf *b)
{
	struct table strings = { 0 }, funcs = { 0 };
	struct buf m = { 0 }, sub = { 0 }, ids = { 0 }, vals = { 0 };
	uint64_t next_loc = 1;
	size_t nstr = 8 + rep->nrows * (3 + VIA_MAX);
	char buf[512];
	int rc = -1;

	if (table_init(&strings, nstr) < 0 || table_init(&funcs, rep->nrows * (1 + VIA_MAX) + 1) < 0)
		goto out;
	value_type(b, &m, 1, &strings, "alloc_objects", "count");
	value_type(b, &m, 1, &strings, "alloc_space", "bytes");
	if (rep->tracked) {
		value_type(b, &m, 1, &strings, "inuse_objects", "count");
		value_type(b, &m, 1, &strings, "inuse_space", "bytes");
	}
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct row *r = &rep->rows[i];
		uint64_t file, fn;

		if (!row_allocates(r))
			continue;
		file = string_id(&strings, r->file ? r->file : r->object);
		fn = function_id(&funcs, string_id(&strings, name_of(r, buf, sizeof(buf))), file);
		location(b, &m, &sub, next_loc, fn, r->line);
		varint(&ids, next_loc++);
		for (int v = r->nvia - 1; v >= 0; v--) { /* innermost wrapper first, above the row */
			uint64_t wf = function_id(&funcs, string_id(&strings, r->via[v]), 0);

			location(b, &m, &sub, next_loc, wf, 0);
			varint(&ids, next_loc++);
		}
		varint(&vals, r->c[C_CALLS]);
		varint(&vals, r->c[C_BYTES]);
		if (rep->tracked) {
			varint(&vals, r->live.blocks);
			varint(&vals, r->live.bytes);
		}
		field_msg(&m, 1, &ids);           /* Sample.location_id, packed */
		field_msg(&m, 2, &vals);          /* Sample.value, packed */
		field_msg(b, 2, &m);
	}
	for (size_t f = 1; f <= funcs.n; f++) {
		field_int(&m, 1, f);
		field_int(&m, 2, funcs.a[f]);
		field_int(&m, 3, funcs.a[f]);
		if (funcs.b[f])
			field_int(&m, 4, funcs.b[f]);
		field_msg(b, 5, &m);
	}
	field_bytes(b, 6, "", 0);                 /* string_table[0] is "" */
	for (size_t s = 1; s <= strings.n; s++)
		field_bytes(b, 6, strings.keys[s], strlen(strings.keys[s]));
	field_int(b, 14, string_id(&strings, rep->tracked ? "inuse_space" : "alloc_space")); /* already there */
	rc = b->failed || m.failed || sub.failed || ids.failed || vals.failed ? -1 : 0;
out:
	table_free(&strings);
	table_free(&funcs);
	free(m.p);
	free(sub.p);
	free(ids.p);
	free(vals.p);
	return rc;
}

static int gzip_to(FILE *f, const struct buf *b)
{
	unsigned char chunk[65536];
	z_stream z = { 0 };
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = b->p;
	z.avail_in = (uInt)b->n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, Z_FINISH);
		fwrite(chunk, 1, sizeof(chunk) - z.avail_out, f);
	} while (rc == Z_OK);
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

int cmd_pprof(int argc, char **argv)
{
	const char *in, *path;
	struct report rep;
	struct buf b = { 0 };
	struct out o;
	int rc;

	if ((rc = cli_report_and_output(argc, argv, &in, &path, "pprof", usage_pprof)))
		return rc;
	rc = 2;
	if (report_read(in, &rep) < 0)
		return 2;
	if (encode(&rep, &b) < 0) {
		fputs("memstats: pprof: out of memory\n", stderr);
	} else if (out_open(&o, path) == 0) {
		if (gzip_to(o.f, &b) < 0) {
			fprintf(stderr, "memstats: %s: compression failed\n", path);
			out_abort(&o);
		} else {
			rc = out_close(&o) == 0 ? 0 : 2;
		}
	}
	free(b.p);
	report_free(&rep);
	return rc;
}
