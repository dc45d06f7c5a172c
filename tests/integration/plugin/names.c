/* names.c - an instrumented plugin for test_dso: allocations at known lines. */
#include <stdlib.h>
#include <string.h>

char *keep; /* freed by the destructor in other.c */

enum { PLUGIN_STRDUP_LINE = __LINE__ }; char *plugin_name(void) { return strdup("plugin"); }
enum { PLUGIN_KEEP_LINE = __LINE__ }; void plugin_keep(void) { keep = malloc(1000); }

int plugin_strdup_line(void) { return PLUGIN_STRDUP_LINE; }
int plugin_keep_line(void) { return PLUGIN_KEEP_LINE; }
