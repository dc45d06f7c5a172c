/* report-csv.c - one header line naming the JSON site fields, one row a site
 * (with tracking, the live counts too; the age histogram stays in JSON). */
#include "memstats-int.h"

void report_csv(const struct report *rep, struct writer *w)
{
	w_str(w, "file,line,func,op,api,type,object,calls,failed,bytes,alloc_bytes,free_bytes");
	w_str(w, rep->track ? ",live_blocks,live_bytes,peak_live_bytes\n" : "\n");
	for (size_t i = 0; i < rep->nrows; i++) {
		const struct memstats_row *r = &rep->rows[i];
		const memstats_u64 v[] = { r->c.calls, r->c.failed, r->c.bytes, r->c.alloc_bytes, r->c.free_bytes,
					   r->live.blocks, r->live.bytes, r->live.peak_bytes };
		size_t nv = rep->track ? 8 : 5;

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
		for (size_t k = 0; k < nv; k++) {
			w_put(w, ",", 1);
			w_u64(w, v[k]);
		}
		w_put(w, "\n", 1);
	}
}
