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

static void site_json(struct writer *w, const struct memstats_row *r)
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
		site_json(w, &rep->rows[i]);
	}
	w_str(w, "],\n \"totals\": {");
	counters_json(w, &rep->total);
	w_str(w, ", \"balance\": ");
	w_i64(w, report_balance(&rep->total));
	w_str(w, "}}\n");
}
