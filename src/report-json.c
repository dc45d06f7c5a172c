/* report-json.c - the JSON report (schema version 1, see README.md). */
#include "memstats-int.h"

static void field_u64(struct writer *w, const char *key, memstats_u64 v)
{
	w_str(w, key);
	w_u64(w, v);
}

static void counters_json(struct writer *w, const struct memstats_counters *c)
{
	field_u64(w, "\"calls\": ", c->calls);
	field_u64(w, ", \"failed\": ", c->failed);
	field_u64(w, ", \"bytes\": ", c->bytes);
	field_u64(w, ", \"alloc_bytes\": ", c->alloc_bytes);
	field_u64(w, ", \"free_bytes\": ", c->free_bytes);
}

static const unsigned int age_min_s[MEMSTATS_AGE_BUCKETS] = { 0, 1, 10, 100, 1000 };

static void live_json(struct writer *w, const struct memstats_live *l)
{
	field_u64(w, ", \"live_blocks\": ", l->blocks);
	field_u64(w, ", \"live_bytes\": ", l->bytes);
	field_u64(w, ", \"peak_live_bytes\": ", l->peak_bytes);
	w_str(w, ", \"age_histogram\": [");
	for (int b = 0; b < MEMSTATS_AGE_BUCKETS; b++) {
		field_u64(w, b ? ", {\"min_age_s\": " : "{\"min_age_s\": ", age_min_s[b]);
		field_u64(w, ", \"blocks\": ", l->age_blocks[b]);
		field_u64(w, ", \"bytes\": ", l->age_bytes[b]);
		w_str(w, "}");
	}
	w_str(w, "]");
}

static void site_json(struct writer *w, const struct memstats_row *r, int track)
{
	w_str(w, "{\"file\": ");
	w_json_str(w, r->file);
	field_u64(w, ", \"line\": ", r->line);
	w_str(w, ", \"func\": ");
	w_json_str(w, r->func);
	w_str(w, ", \"op\": ");
	w_json_str(w, r->op);
	w_str(w, ", \"api\": ");
	w_json_str(w, r->api);
	w_str(w, ", \"type\": ");
	w_json_str(w, r->type);
	w_str(w, ", \"object\": ");
	w_json_str(w, r->object);
	w_str(w, ", ");
	counters_json(w, &r->c);
	if (track)
		live_json(w, &r->live);
	w_str(w, "}");
}

void report_json(const struct report *rep, struct writer *w)
{
	w_str(w, "{\"version\": 1, \"pid\": ");
	w_i64(w, rep->pid);
	w_str(w, ", \"program\": ");
	w_json_str(w, rep->program);
	w_str(w, ",\n \"sites\": [");
	for (size_t i = 0; i < rep->nrows; i++) {
		w_str(w, i ? ",\n  " : "\n  ");
		site_json(w, &rep->rows[i], rep->track);
	}
	w_str(w, "],\n \"totals\": {");
	counters_json(w, &rep->total);
	w_str(w, ", \"balance\": ");
	w_i64(w, report_balance(&rep->total));
	if (rep->track) {
		field_u64(w, ", \"foreign_frees\": ", rep->foreign_frees);
		live_json(w, &rep->live);
	}
	w_str(w, "}}\n");
}
