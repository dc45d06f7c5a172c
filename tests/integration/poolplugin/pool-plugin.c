/* pool-plugin.c - libpoolplugin.so for test_pools: a pool operation in a
 * plugin that is unloaded and loaded again (its rows copied out, then
 * taken back by the next life). */
#include <stddef.h>

int plugin_pool_line;

void plugin_pool_op(const char *name, void *p)
{
	memstats_pool_alloc(name, 24, p); plugin_pool_line = __LINE__;
}
