/* own-main.c - linked statically with own-malloc.c: counted through that
 * allocator's own malloc_usable_size, and no crash at start-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(const struct memstats_row *r, void *arg)
{
	if (strcmp(r->api, "malloc") == 0 && r->c.calls == 3 && r->c.alloc_bytes == 30)
		++*(int *)arg;
	return 0;
}

int main(void)
{
	int found = 0;

	for (int i = 0; i < 3; i++) {
		char *p = malloc(10);
		p[0] = 1;
		free(p);
	}
	memstats_foreach_site(check, &found);
	return found == 1 ? 0 : 1;
}
