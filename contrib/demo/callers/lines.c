/* lines.c - reads lines (libc's getline allocates the buffer), keeps each
 * in a list node: all memory comes from wrappers or from libc.
 *   lines FILE...   prints how many lines and bytes were kept */
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

struct line {
	char *text;
	struct line *next;
};

static struct line *keep(struct line *head, const char *text)
{
	struct line *l = xmalloc(sizeof(*l));

	l->text = xstrdup(text);
	l->next = head;
	return l;
}

int main(int argc, char **argv)
{
	struct line *head = NULL;
	size_t lines = 0, bytes = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		char *buf = NULL;
		size_t cap = 0;
		ssize_t n;

		if (!f)
			continue;
		while ((n = getline(&buf, &cap, f)) > 0) {
			head = keep(head, buf);
			lines++;
			bytes += (size_t)n;
		}
		free(buf);
		fclose(f);
	}
	printf("%zu lines, %zu bytes kept\n", lines, bytes);
	while (head) {
		struct line *next = head->next;

		free(head->text);
		free(head);
		head = next;
	}
	return 0;
}
