/* fleet.c - check-fleet.sh's server: allocates 3 x 4000 bytes (line 10)
 * and keeps them, then ticks (a 64-byte pair every 20 ms) until the file
 * named by its argument exists (60 s at most). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *keep[3];

static void big(void) { for (int i = 0; i < 3; i++) keep[i] = malloc(4000); } /* line 10 */

int main(int argc, char **argv)
{
	big();
	for (int i = 0; i < 3000 && argc > 1 && access(argv[1], F_OK) != 0; i++) {
		free(malloc(64));
		usleep(20000);
	}
	return 0;
}
