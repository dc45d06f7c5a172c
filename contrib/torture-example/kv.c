/* kv.c - keeps key=value pairs in a list and prints them sorted by key;
 * two allocation failures it does not handle well (torture finds them):
 *   kv name=memstats lang=C year=2026
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	char *key, *value;
	struct pair *next;
};

static void drop(struct pair *p)
{
	while (p) {
		struct pair *next = p->next;

		free(p->key);
		free(p->value);
		free(p);
		p = next;
	}
}

/* Inserts "key=value" in key order; NULL when out of memory. */
static struct pair *insert(struct pair *head, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct pair *p = malloc(sizeof(*p)), **at = &head;

	if (!p)
		return NULL;                     /* bug: the caller drops the list it had */
	p->key = strndup(arg, eq ? (size_t)(eq - arg) : strlen(arg));
	p->value = strdup(eq ? eq + 1 : "");
	if (!p->key || !p->value) {
		free(p->key);
		free(p->value);
		free(p);
		return NULL;
	}
	while (*at && strcmp((*at)->key, p->key) < 0)
		at = &(*at)->next;
	p->next = *at;
	*at = p;
	return head;
}

int main(int argc, char **argv)
{
	struct pair *list = NULL;
	char *line;

	for (int i = 1; i < argc; i++) {
		struct pair *more = insert(list, argv[i]);

		if (!more) {
			fprintf(stderr, "kv: out of memory\n");
			return 1;                /* bug: list leaks */
		}
		list = more;
	}
	for (struct pair *p = list; p; p = p->next) {
		line = malloc(strlen(p->key) + strlen(p->value) + 2);
		sprintf(line, "%s=%s", p->key, p->value); /* bug: line unchecked */
		puts(line);
		free(line);
	}
	drop(list);
	return 0;
}
