/* hang.c - test_cli's torture of a hang: when its first allocation fails
 * it waits forever (and a child of its own with it). */
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char *a = malloc(10);

	if (!a) {
		if (fork() == 0)
			for (;;)
				pause();
		for (;;)
			pause();
	}
	free(a);
	return 0;
}
