/* words.h - libwords' one function. */
#ifndef WORDS_H
#define WORDS_H
char *words_keep(const char *w);
#endif
