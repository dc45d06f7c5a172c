// plain.cc - the matrix's program built without memstats.h, run under the
// installed libmemstats-preload.so: C++ new and delete, a container and
// the C library, each counted at its line. It finds the runtime's API with
// dlsym (it is not linked with it) and checks its own rows; exit 1 if one
// is wrong, 2 if it runs without the preload library. With PLAIN_NOTHING
// set (a sanitizer's build), it checks that nothing was counted.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#define MEMSTATS_DISABLE // the row type only: no macro
#include <memstats.h>
#include <string>
#include <vector>

namespace {
struct Node { long v[6]; };

struct Want {
	unsigned line;
	const char *api;
	unsigned long long calls, bytes;
	unsigned long long seen_calls, seen_bytes;
};

int look(const struct memstats_row *r, void *arg)
{
	Want *w = static_cast<Want *>(arg);

	// a prefix: clang calls the unsized operator delete, gcc the sized one
	if (r->file && std::strstr(r->file, "plain.cc") && r->line == w->line &&
	    std::strncmp(r->api, w->api, std::strlen(w->api)) == 0) {
		w->seen_calls += r->c.calls;
		w->seen_bytes += r->c.bytes;
	}
	return 0;
}

} // namespace

// Seen by the opaque calls below: the compiler may neither drop nor move
// the allocations.
Node *volatile keep[16];
void *volatile blocks[16];

int main()
{
	typedef memstats_size_t (*foreach_fn)(int (*)(const struct memstats_row *, void *), void *);
	foreach_fn each = reinterpret_cast<foreach_fn>(dlsym(RTLD_DEFAULT, "memstats_foreach_site"));
	int bad = 0;

	if (!each)
		return 2;
	for (int i = 0; i < 5; i++)
		keep[i] = new Node(); // the line below is L_NEW
	const unsigned L_NEW = __LINE__ - 1;
	for (int i = 0; i < 5; i++)
		delete keep[i];
	const unsigned L_DELETE = __LINE__ - 1;
	char *text = strdup("plain"); const unsigned L_STRDUP = __LINE__;
	blocks[0] = text;
	blocks[1] = std::malloc(33); const unsigned L_MALLOC = __LINE__;
	Want wants[] = {
		{ L_NEW, "operator new", 5, 5 * sizeof(Node), 0, 0 },
		{ L_DELETE, "operator delete", 5, 0, 0, 0 },
		{ L_STRDUP, "strdup", 1, 6, 0, 0 },
		{ L_MALLOC, "malloc", 1, 33, 0, 0 },
	};
	for (Want &w : wants) {
		if (std::getenv("PLAIN_NOTHING"))
			w.calls = w.bytes = 0;
		each(look, &w);
		if (w.seen_calls != w.calls || w.seen_bytes != w.bytes) {
			std::fprintf(stderr, "plain.cc:%u %s: %llu calls, %llu bytes; expected %llu, %llu\n", w.line, w.api,
				     w.seen_calls, w.seen_bytes, w.calls, w.bytes);
			bad = 1;
		}
	}
	std::vector<std::string> v(3, std::string(40, 'x')); // libstdc++'s allocations: counted, not checked
	std::free(blocks[1]);
	std::free(blocks[0]);
	return bad || v.size() != 3;
}
