/* server.c - serves 1000 requests from two pools, and forgets one session. */
#include <stdio.h>
#include <string.h>

#include "pool.h"

static struct pool buffers = { "buffer", 256, NULL };
static struct pool sessions = { "session", 1024, NULL };

static void handle(int i)
{
	char *buf = pool_get(&buffers);
	char *session = pool_get(&sessions);

	snprintf(buf, buffers.size, "request %d", i);
	memcpy(session, buf, strlen(buf) + 1);
	pool_put(&buffers, buf);
	if (i != 500)                 /* request 500 leaks its session */
		pool_put(&sessions, session);
}

int main(void)
{
	for (int i = 0; i < 1000; i++)
		handle(i);
	pool_drain(&buffers);
	pool_drain(&sessions);
	puts("served 1000 requests");
	return 0;
}
