/* texit.c - exit() called from one thread while another allocates on. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int spinning;

static void *spin(void *arg)
{
	for (;;) {
		free(malloc(8));
		spinning = 1;
	}
	return arg;
}

static void *quit(void *arg)
{
	while (!spinning)
		usleep(1000);
	usleep(5000);
	exit(0);
	return arg;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, spin, NULL);
	pthread_create(&t2, NULL, quit, NULL);
	pthread_join(t2, NULL);
	return 1;
}
