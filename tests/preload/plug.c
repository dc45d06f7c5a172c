/* plug.c - a plugin built without memstats.h, loaded, used, unloaded and
 * deleted by test_preload before its report. */
#include <stdlib.h>

void *plug_keep[8];

enum { PLUG_LINE = __LINE__ }; void plug(void) { for (int i = 0; i < 7; i++) plug_keep[i] = malloc(11); }

int plug_line(void)
{
	return PLUG_LINE;
}
