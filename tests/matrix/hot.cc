// hot.cc - the matrix's C++ program: standard library headers, std::
// qualified calls, templates and lambdas; it checks its own counts.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

template <typename T> static T *make(unsigned *line)
{
	T *p = static_cast<T *>(std::malloc(sizeof(T))); *line = __LINE__;
	return p;
}

static unsigned long long calls_at(unsigned line, const char *api)
{
	struct q { unsigned line; const char *api; int rows; unsigned long long calls; } e = { line, api, 0, 0 };
	memstats_foreach_site([](const memstats_row *r, void *arg) -> int {
		q *p = static_cast<q *>(arg);
		if (r->line == p->line && !std::strcmp(r->api, p->api) && std::strstr(r->file, "hot.cc")) {
			p->rows++;
			p->calls = r->c.calls;
		}
		return 0;
	}, &e);
	return e.rows == 1 ? e.calls : ~0ULL;
}

int main()
{
	std::vector<std::string> v;
	std::map<int, std::unique_ptr<int>> m;
	unsigned lt = 0, ll = 0;
	for (int i = 0; i < 100; i++) {
		v.push_back(std::to_string(i));
		m[i] = std::unique_ptr<int>(new int(i)); // C++11: no make_unique
		std::free(make<int>(&lt));
		std::free(make<double>(&lt));
	}
	std::thread t([&ll] { for (int i = 0; i < 100; i++) { free(malloc(1)); ll = __LINE__; } });
	t.join();
	int bad = calls_at(lt, "malloc") != 200 || calls_at(ll, "malloc") != 100;
	if (bad)
		std::cerr << "hot.cc: wrong counts\n";
	return bad || v.size() + m.size() != 200;
}
