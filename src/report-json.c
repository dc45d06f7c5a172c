/* report-json.c - the JSON report (see README.md): the counter and live
 * fields as rows.c lists them. Every row has kind, offset and via; a report
 * that may hold caller rows (wrappers declared, or the preload library) is
 * version 2, where file and line may be null; any other, version 1, whose
 * readers find every key they know with its meaning. */
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

/* "0x1a2b", the offset a caller row is known by; null for a site */
static void offset_json(struct writer *w, const struct memstats_row *r)
{
	static const char hex[] = "0123456789abcdef";
	char buf[24], *p = buf + sizeof(buf);
	memstats_u64 v = r->offset;

	w_str(w, ", \"offset\": ");
	if (!row_is_caller(r)) {
		w_str(w, "null");
		return;
	}
	*--p = '\0';
	do
		*--p = hex[v & 15];
	while (v >>= 4);
	w_str(w, "\"0x");
	w_str(w, p);
	w_str(w, "\"");
}

static void via_json(struct writer *w, const struct memstats_row *r)
{
	w_str(w, ", \"via\": ");
	if (!r->via[0]) {
		w_str(w, "null");
		return;
	}
	w_str(w, "[");
	for (int i = 0; i < MEMSTATS_VIA_MAX && r->via[i]; i++) {
		w_str(w, i ? ", " : "");
		w_json_str(w, r->via[i]);
	}
	w_str(w, "]");
}

static void site_json(struct writer *w, const struct memstats_row *r, int track)
{
	string_json(w, "{\"kind\": ", row_is_caller(r) ? "caller" : "site");
	string_json(w, ", \"file\": ", r->file);
	if (r->file)
		field_u64(w, ", \"line\": ", r->line);
	else
		w_str(w, ", \"line\": null");
	string_json(w, ", \"func\": ", r->func);
	string_json(w, ", \"op\": ", r->op);
	string_json(w, ", \"api\": ", r->api);
	string_json(w, ", \"type\": ", r->type);
	string_json(w, ", \"object\": ", r->object);
	offset_json(w, r);
	via_json(w, r);
	fields_json(w, r, counter_fields, ncounter_fields);
	if (track) {
		fields_json(w, r, live_fields, nlive_fields);
		ages_json(w, &r->live);
	}
	w_str(w, "}");
}

/* The declared wrappers no call was seen in (a misspelt name, say). */
static void unused_wrappers_json(struct writer *w)
{
	const char *unused[64];
	size_t n;

	if (!wrappers_count())
		return;
	n = wrappers_unseen(unused, NELEM(unused));
	w_str(w, ", \"wrappers_without_calls\": [");
	for (size_t i = 0; i < n; i++) {
		w_str(w, i ? ", " : "");
		w_json_str(w, unused[i]);
	}
	w_str(w, "]");
}

void report_json(const struct report *rep, struct writer *w)
{
	const struct memstats_row total = { .c = rep->total, .live = rep->live };

	w_str(w, rep->callers ? "{\"version\": 2, \"pid\": " : "{\"version\": 1, \"pid\": ");
	w_i64(w, rep->pid);
	string_json(w, ", \"program\": ", rep->program);
	w_str(w, rep->sampled ? ", \"track\": \"sampled\"" : rep->track ? ", \"track\": \"exact\"" : ", \"track\": \"off\"");
	if (rep->sampled)
		field_u64(w, ", \"sample_bytes\": ", rep->sampled);
	unused_wrappers_json(w);
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
		if (rep->pool_live.blocks || rep->pool_live.bytes) {
			field_u64(w, ", \"pool_live_blocks\": ", rep->pool_live.blocks);
			field_u64(w, ", \"pool_live_bytes\": ", rep->pool_live.bytes);
		}
	}
	w_str(w, "}}\n");
}
