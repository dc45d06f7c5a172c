/* cli.h - what the memstats command's files share: where memstats is
 * installed (or built), and the subcommands' entry points.
 */
#ifndef MEMSTATS_CLI_H
#define MEMSTATS_CLI_H

#include <stddef.h>

/* memstats.c: the directories of the header and of the libraries this
 * program belongs with: its build tree (run from there), else where it was
 * installed, else beside it (an installed tree moved: bin/../include,
 * bin/../lib). 0, or -1 when none holds them. */
int cli_dirs(char *inc, size_t inc_size, char *lib, size_t lib_size);

/* cc.c: memstats-cc (cxx 0) and memstats-c++ (cxx 1); argv[0] is the name
 * to say in messages, argv[1..] the compiler's arguments. */
int cmd_cc(int argc, char **argv, int cxx);
extern const char usage_cc[];

#endif
