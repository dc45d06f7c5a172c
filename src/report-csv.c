/* report-csv.c - one header line naming the JSON site fields, one row a site
 * (with tracking, the live counts too; the age histogram stays in JSON). */
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

void report_csv(const struct report *rep, struct writer *w)
{
	w_str(w, "file,line,func,op,api,type,object");
	names_csv(w, counter_fields, ncounter_fields);
	if (rep->track)
		names_csv(w, live_fields, nlive_fields);
	w_put(w, "\n", 1);
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct memstats_row *r = &rep->rows[i];

		string_csv(w, r->file);
		w_u64(w, r->line);
		w_put(w, ",", 1);
		string_csv(w, r->func);
		string_csv(w, r->op);
		string_csv(w, r->api);
		string_csv(w, r->type);
		w_csv_str(w, r->object);
		values_csv(w, r, counter_fields, ncounter_fields);
		if (rep->track)
			values_csv(w, r, live_fields, nlive_fields);
		w_put(w, "\n", 1);
	}
}
