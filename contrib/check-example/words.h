/* words.h - words in a line of text. */
#ifndef WORDS_H
#define WORDS_H
#include <stddef.h>
size_t words_count(const char *s);       /* allocates nothing */
char **words_split(const char *s);       /* NULL-terminated, or NULL when out of memory */
void words_free(char **w);
#endif
