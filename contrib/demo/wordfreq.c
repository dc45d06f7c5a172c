/* wordfreq.c - a small program to show memstats: counts the words of the
 * files named on its command line and prints the five most frequent. It
 * knows nothing about memstats; `make demo` builds it with
 * -include memstats.h and the report appears on stderr at exit.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
	char *text;
	unsigned long count;
	struct word *next;
};

#define BUCKETS 4096

static struct word *table[BUCKETS];
static struct word **sorted;
static size_t nwords, cap;

static unsigned long hash(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % BUCKETS;
}

static void count(const char *text)
{
	struct word **slot = &table[hash(text)];

	for (struct word *w = *slot; w; w = w->next) {
		if (strcmp(w->text, text) == 0) {
			w->count++;
			return;
		}
	}
	struct word *w = malloc(sizeof(*w));
	w->text = strdup(text);
	w->count = 1;
	w->next = *slot;
	*slot = w;
	if (nwords == cap) {
		cap = cap ? cap * 2 : 16;
		sorted = realloc(sorted, cap * sizeof(*sorted));
	}
	sorted[nwords++] = w;
}

static void read_words(FILE *f)
{
	char buf[64];
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (isalnum(c) && len < sizeof(buf) - 1) {
			buf[len++] = (char)tolower(c);
		} else if (len) {
			buf[len] = '\0';
			count(buf);
			len = 0;
		}
	}
}

static int by_count(const void *a, const void *b)
{
	const struct word *x = *(struct word *const *)a, *y = *(struct word *const *)b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->text, y->text);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f) {
			perror(argv[i]);
			continue;
		}
		read_words(f);
		fclose(f);
	}
	qsort(sorted, nwords, sizeof(*sorted), by_count);
	for (size_t i = 0; i < nwords && i < 5; i++)
		printf("%8lu %s\n", sorted[i]->count, sorted[i]->text);
	/* frees the words but, as real programs do, forgets their text */
	for (size_t i = 0; i < nwords; i++)
		free(sorted[i]);
	free(sorted);
	return 0;
}
