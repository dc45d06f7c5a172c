/* other.c - a second file of the plugin: its destructor frees what names.c
 * allocated, and that free must be in the reports after dlclose. */
#include <stdlib.h>

extern char *keep;

enum { PLUGIN_DTOR_FREE_LINE = __LINE__ }; __attribute__((destructor)) static void drop(void) { free(keep); }

int plugin_dtor_free_line(void) { return PLUGIN_DTOR_FREE_LINE; }
