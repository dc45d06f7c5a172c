/* cli.h - what the memstats command's files share, grouped by the file
 * that owns it: where memstats is, a report read from its JSON, output
 * that is never left half-written, and each subcommand's entry point.
 */
#ifndef MEMSTATS_CLI_H
#define MEMSTATS_CLI_H

#include <stddef.h>
#include <stdio.h>

/* ---- memstats.c: the program, and where memstats is ---------------------- */

/* The directories of the header and of the libraries this program belongs
 * with: its build tree (run from there), else where it was installed, else
 * beside it (an installed tree moved: bin/../include, bin/../lib). 0, or
 * -1 when none holds them. */
int cli_dirs(char *inc, size_t inc_size, char *lib, size_t lib_size);

/* Bad usage: one line and the command's usage on stderr; exit status 2. */
int cli_usage(const char *what, const char *usage);
/* Whether argument a names a report (a file, or - for stdin), not an option. */
int cli_is_report(const char *a);
/* A command's "REPORT -o PATH" arguments: 0, or cli_usage()'s 2 (name:
 * the command's, for the message). */
int cli_report_and_output(int argc, char **argv, const char **in, const char **path, const char *name,
			  const char *usage);

/* ---- report.c: a JSON report (versions 1 and 2), read with jansson -------- */

/* The counters, in the report's order. */
#define COUNTERS(X) X(CALLS, "calls") X(FAILED, "failed") X(BYTES, "bytes") X(ALLOC, "alloc_bytes") X(FREE, "free_bytes") \
	X(INJECTED, "injected")
/* injected (MEMSTATS_FAIL's failures) is in reports since memstats 0.1's
 * fault injection: read as 0 when absent. */
enum counter {
#define C_(id, name) C_##id,
	COUNTERS(C_)
#undef C_
	NCOUNTERS
};
extern const char *const counter_names[NCOUNTERS];

#define AGES 5     /* age buckets: 0, 1, 10, 100, 1000 s and older */
#define VIA_MAX 8

struct live {
	unsigned long long blocks, bytes, peak;
	int has_peak;
	unsigned long long age_blocks[AGES], age_bytes[AGES];
	unsigned int age_min[AGES];
	int nages;
};

/* One row. Its strings belong to the report it came from. */
struct row {
	const char *kind;                 /* "site" or "caller" (version 1: "site") */
	const char *file, *func, *op, *api, *type, *object, *offset; /* NULL: none */
	unsigned long long line;          /* 0: none */
	const char *via[VIA_MAX];
	int nvia;
	unsigned long long c[NCOUNTERS];
	struct live live;                 /* when the report is tracked */
};

struct report {
	const char *path;                 /* as given ("-": stdin) */
	int version;
	const char *program;
	long long pid;
	int has_pid;
	struct row *rows;
	size_t nrows;
	unsigned long long total[NCOUNTERS];
	int tracked;                      /* live fields present */
	struct live total_live;
	unsigned long long foreign_frees;
	void *json;                       /* the document the strings are in */
};

/* Reads the report at path ("-": stdin); on any problem, one line on
 * stderr names the file and what is wrong, and -1. */
int report_read(const char *path, struct report *r);
void report_free(struct report *r);

/* The same row of the same site (file, line, func, op, api, type, kind,
 * object, via; offset for a caller row without a line). */
int row_same(const struct row *a, const struct row *b);
/* A hash of what row_same() compares. */
unsigned long long row_hash(const struct row *r);
/* "file:line", or for a row without a line "object+0xOFF" (object's last
 * component), or "?" */
const char *row_site(const struct row *r, char *buf, size_t size);
/* "via a, b" (empty without via) */
const char *row_via(const struct row *r, char *buf, size_t size);
/* An allocating row: not a free, with calls. */
int row_allocates(const struct row *r);

/* Rows found by identity (row_same): an open-addressing table of indexes. */
struct index {
	const struct row *rows;
	size_t mask, *slot;               /* slot: row index + 1; 0: free */
};
int index_build(struct index *ix, const struct row *rows, size_t n); /* 0, or -1 (said) */
long index_find(const struct index *ix, const struct row *r);        /* the first such row, or -1 */
void index_free(struct index *ix);

/* ---- out.c: where output goes, and text tables ------------------------- */

/* Output to path (NULL or "-": stdout). A file is written under a temporary
 * name beside it and renamed when whole (out_close): never half-written. */
struct out {
	FILE *f;
	char *path, *tmp;
};
int out_open(struct out *o, const char *path);
int out_close(struct out *o);             /* 0, or -1 (said, the file removed) */
void out_abort(struct out *o);

/* An aligned table: cells[r * ncols + c] for nrows rows under heads; a
 * column is right-aligned when right[c]. */
void table_print(FILE *f, const char *const *heads, const int *right, size_t ncols, char **cells, size_t nrows);
char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2))); /* malloc'd, never NULL */
void json_str(FILE *f, const char *s);   /* s as a JSON string (NULL: null) */

/* ---- the subcommands, one file each ------------------------------------- */

int cmd_top(int argc, char **argv);       /* top.c */
int cmd_diff(int argc, char **argv);      /* diff.c */
int cmd_merge(int argc, char **argv);     /* merge.c */
int cmd_pprof(int argc, char **argv);     /* pprof.c */
int cmd_folded(int argc, char **argv);    /* folded.c */
int cmd_html(int argc, char **argv);      /* html.c */
int cmd_metrics(int argc, char **argv);   /* metrics.c */
int cmd_torture(int argc, char **argv);   /* torture.c */
extern const char usage_top[], usage_diff[], usage_merge[], usage_pprof[], usage_folded[], usage_html[],
	usage_metrics[], usage_torture[];

/* merge.c: rows summed by identity, into out (malloc'd) */
int merge_reports(struct report *in, size_t n, struct report *out);

/* cc.c: memstats-cc (cxx 0) and memstats-c++ (cxx 1); argv[0] is the name
 * to say in messages, argv[1..] the compiler's arguments. */
int cmd_cc(int argc, char **argv, int cxx);
extern const char usage_cc[];

#endif
