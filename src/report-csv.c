/* report-csv.c - one header line naming the JSON site fields, one row a site. */
#include "memstats-int.h"

void report_csv(const struct report *rep, struct writer *w)
{
	w_str(w, "file,line,func,op,api,type,object,calls,failed,bytes,alloc_bytes,free_bytes\n");
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct memstats_row *r = &rep->rows[i];
		const memstats_u64 v[] = { r->c.calls, r->c.failed, r->c.bytes, r->c.alloc_bytes, r->c.free_bytes };

		w_csv_str(w, r->file);
		w_put(w, ",", 1);
		w_u64(w, r->line);
		w_put(w, ",", 1);
		w_csv_str(w, r->func);
		w_put(w, ",", 1);
		w_csv_str(w, r->op);
		w_put(w, ",", 1);
		w_csv_str(w, r->api);
		w_put(w, ",", 1);
		w_csv_str(w, r->type);
		w_put(w, ",", 1);
		w_csv_str(w, r->object);
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			w_put(w, ",", 1);
			w_u64(w, v[k]);
		}
		w_put(w, "\n", 1);
	}
}
