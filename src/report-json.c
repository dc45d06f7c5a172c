/* report-json.c - the JSON report (schema version 1, see README.md): the
 * counter and live fields as rows.c lists them. */
#include "internal.h"

static void field_u64(struct writer *w, const char *key, memstats_u64 v)
{
	w_str(w, key);
	w_u64(w, v);
}

/* "name": value for each field of the list, each after a comma. */
static void fields_json(struct writer *w, const struct memstats_row *r, const struct row_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		w_str(w, ", \"");
		w_str(w, f[i].name);
		w_str(w, "\": ");
		w_u64(w, row_field_value(r, &f[i]));
	}
}

static void ages_json(struct writer *w, const struct memstats_live *l)
{
	w_str(w, ", \"age_histogram\": [");
	for (int b = 0; b < MEMSTATS_AGE_BUCKETS; b++) {
		field_u64(w, b ? ", {\"min_age_s\": " : "{\"min_age_s\": ", track_age_min_s[b]);
		field_u64(w, ", \"blocks\": ", l->age_blocks[b]);
		field_u64(w, ", \"bytes\": ", l->age_bytes[b]);
		w_str(w, "}");
	}
	w_str(w, "]");
}

static void string_json(struct writer *w, const char *key, const char *s)
{
	w_str(w, key);
	w_json_str(w, s);
}

static void site_json(struct writer *w, const struct memstats_row *r, int track)
{
	string_json(w, "{\"file\": ", r->file);
	field_u64(w, ", \"line\": ", r->line);
	string_json(w, ", \"func\": ", r->func);
	string_json(w, ", \"op\": ", r->op);
	string_json(w, ", \"api\": ", r->api);
	string_json(w, ", \"type\": ", r->type);
	string_json(w, ", \"object\": ", r->object);
	fields_json(w, r, counter_fields, ncounter_fields);
	if (track) {
		fields_json(w, r, live_fields, nlive_fields);
		ages_json(w, &r->live);
	}
	w_str(w, "}");
}

void report_json(const struct report *rep, struct writer *w)
{
	const struct memstats_row total = { .c = rep->total, .live = rep->live };

	w_str(w, "{\"version\": 1, \"pid\": ");
	w_i64(w, rep->pid);
	string_json(w, ", \"program\": ", rep->program);
	w_str(w, ",\n \"sites\": [");
	for (size_t i = 0; i < rep->nrows; i++) {
		w_str(w, i ? ",\n  " : "\n  ");
		site_json(w, &rep->rows[i], rep->track);
	}
	w_str(w, "],\n \"totals\": {");
	/* the first field without its comma */
	w_str(w, "\"");
	w_str(w, counter_fields[0].name);
	w_str(w, "\": ");
	w_u64(w, row_field_value(&total, &counter_fields[0]));
	fields_json(w, &total, counter_fields + 1, ncounter_fields - 1);
	w_str(w, ", \"balance\": ");
	w_i64(w, row_balance(&rep->total));
	if (rep->track) {
		field_u64(w, ", \"foreign_frees\": ", rep->foreign_frees);
		fields_json(w, &total, live_fields, nlive_fields);
		ages_json(w, &rep->live);
	}
	w_str(w, "}}\n");
}
