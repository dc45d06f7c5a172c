/* plug.c - a plugin built without memstats.h: loaded, used, unloaded (and
 * deleted) by test_preload before its report, and by test_wrappers, which
 * has it call a declared wrapper of its own through a pointer. */
#include <stdlib.h>

void *plug_keep[8];

/* Built a second time with -DPLUG_OTHER: the same code, said to be another
 * file's (the tests load it where this one was). */
#ifdef PLUG_OTHER
#line 1000 "plug-other.c"
#endif
enum { PLUG_LINE = __LINE__ }; void plug(void) { for (int i = 0; i < 7; i++) plug_keep[i] = malloc(11); }

enum { PLUG_THROUGH_LINE = __LINE__ }; void plug_through(void *(*alloc)(size_t)) { for (int i = 0; i < 5; i++) plug_keep[i] = alloc(13); }

int plug_line(void)
{
	return PLUG_LINE;
}

int plug_through_line(void)
{
	return PLUG_THROUGH_LINE;
}
