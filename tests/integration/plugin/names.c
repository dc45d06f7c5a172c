/* names.c - an instrumented plugin for test_dso: allocations at known lines. */
#include <stdlib.h>
#include <string.h>

char *keep; /* freed by the destructor in other.c */

enum { PLUGIN_STRDUP_LINE = __LINE__ }; char *plugin_name(void) { return strdup("plugin"); }
enum { PLUGIN_KEEP_LINE = __LINE__ }; void plugin_keep(void) { keep = malloc(1000); }

int plugin_strdup_line(void) { return PLUGIN_STRDUP_LINE; }
int plugin_keep_line(void) { return PLUGIN_KEEP_LINE; }

/* A request whose size is the site record's magic (0x4d535433): once a
 * kept copy's counters hold it, a walk must not take them for a record. */
void plugin_magic_bytes(void) { free(malloc(0x4d535433u)); }
