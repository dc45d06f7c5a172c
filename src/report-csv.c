/* report-csv.c - one header line naming the JSON site fields, one row a site
 * (with tracking, the live counts too; the age histogram stays in JSON). */
#include <stdio.h>

#include "internal.h"

static void names_csv(struct writer *w, const struct row_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		w_put(w, ",", 1);
		w_str(w, f[i].name);
	}
}

static void values_csv(struct writer *w, const struct memstats_row *r, const struct row_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		w_put(w, ",", 1);
		w_u64(w, row_field_value(r, &f[i]));
	}
}

static void string_csv(struct writer *w, const char *s)
{
	w_csv_str(w, s);
	w_put(w, ",", 1);
}

/* The wrapper chain as one field: names joined by commas (so quoted). */
static void via_csv(struct writer *w, const struct memstats_row *r)
{
	char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < MEMSTATS_VIA_MAX && r->via[i] && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "", r->via[i]);
	w_csv_str(w, buf[0] ? buf : NULL);
}

void report_csv(const struct report *rep, struct writer *w)
{
	w_str(w, "file,line,func,op,api,type,object,kind,offset,via");
	names_csv(w, counter_fields, ncounter_fields);
	if (rep->track)
		names_csv(w, live_fields, nlive_fields);
	w_put(w, "\n", 1);
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct memstats_row *r = &rep->rows[i];

		string_csv(w, r->file);
		if (r->file || !row_is_caller(r))
			w_u64(w, r->line);
		w_put(w, ",", 1);
		string_csv(w, r->func);
		string_csv(w, r->op);
		string_csv(w, r->api);
		string_csv(w, r->type);
		string_csv(w, r->object);
		string_csv(w, row_is_caller(r) ? "caller" : "site");
		if (row_is_caller(r)) {
			char off[24];

			snprintf(off, sizeof(off), "0x%llx", (unsigned long long)r->offset);
			w_str(w, off);
		}
		w_put(w, ",", 1);
		via_csv(w, r);
		values_csv(w, r, counter_fields, ncounter_fields);
		if (rep->track)
			values_csv(w, r, live_fields, nlive_fields);
		w_put(w, "\n", 1);
	}
}
