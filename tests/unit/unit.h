/* unit.h - the suites of the unit test binary, and what they share. */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>

#include <check.h>

Suite *suite_options(void);
Suite *suite_report(void);
Suite *suite_format(void);
Suite *suite_output(void);
Suite *suite_aligned(void);
Suite *suite_track(void);
Suite *suite_callers(void);
Suite *suite_periodic(void);

/* An anonymous in-memory file: what is written to it can be read back. */
int mem_fd(void);

/* Everything in the file behind fd, from its start, as a malloc'd
 * NUL-terminated string; its length in *len if len is not NULL. */
char *fd_contents(int fd, size_t *len);

/* Number of '\n' in s. */
size_t count_lines(const char *s);

#endif /* UNIT_H */
