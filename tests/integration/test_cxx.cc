// test_cxx.cc - the macros in C++: standard library headers still compile,
// std::malloc / std::free are counted like malloc / free, and sites in
// templates, lambdas and inline functions are counted.
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <check.h>

static int site_calls(unsigned line, const char *api)
{
	struct query { unsigned line; const char *api; int found; memstats_u64 calls; } q = { line, api, 0, 0 };
	memstats_foreach_site([](const memstats_row *r, void *arg) -> int {
		query *p = static_cast<query *>(arg);
		if (r->line == p->line && std::strcmp(r->api, p->api) == 0 && std::strcmp(r->file, __FILE__) == 0) {
			p->found++;
			p->calls = r->c.calls;
		}
		return 0;
	}, &q);
	ck_assert_int_eq(q.found, 1);
	return static_cast<int>(q.calls);
}

template <typename T> static T *make_array(size_t n, unsigned *line)
{
	T *p = static_cast<T *>(std::calloc(n, sizeof(T))); *line = __LINE__;
	return p;
}

// The forms g++ could not build when sites lived in a section: inline
// functions, members defined in the class, templates (COMDAT records).
struct buffer {
	char *p;
	unsigned line;
	buffer() : p(static_cast<char *>(std::malloc(10))), line(__LINE__) {}
	~buffer() { std::free(p); }
};

inline void *inline_alloc(std::size_t n, unsigned *line)
{
	void *p = malloc(n); *line = __LINE__;
	return p;
}

// With a comma in the argument: the macros are variadic.
template <int A, int B> struct pick { static const int value = A > B ? A : B; };

START_TEST(test_comdat_sites)
{
	unsigned li = 0;
	{
		buffer b;
		ck_assert_int_eq(site_calls(b.line, "malloc"), 1);
	}
	free(inline_alloc(3, &li));
	free(inline_alloc(4, &li));
	ck_assert_int_eq(site_calls(li, "malloc"), 2);

	void *p = malloc(pick<2, 3>::value); unsigned lp = __LINE__;
	free(p);
	ck_assert_int_eq(site_calls(lp, "malloc"), 1);
	static_assert(noexcept(std::malloc(1)), "the wrappers are noexcept, like the C library's");
}
END_TEST

START_TEST(test_std_qualified)
{
	void *p = std::malloc(32); unsigned lm = __LINE__;
	std::free(p); unsigned lf = __LINE__;
	char *s = ::strdup("x"); unsigned ls = __LINE__;
	free(s);
	ck_assert_int_eq(site_calls(lm, "malloc"), 1);
	ck_assert_int_eq(site_calls(lf, "free"), 1);
	ck_assert_int_eq(site_calls(ls, "strdup"), 1);
}
END_TEST

START_TEST(test_templates_and_lambdas)
{
	unsigned li = 0, ld = 0, ll = 0;
	int *a = make_array<int>(4, &li);
	double *d = make_array<double>(4, &ld);
	std::free(a);
	std::free(d);
	// one record per instantiation, one row per line: they add up
	ck_assert_uint_eq(li, ld);
	ck_assert_int_eq(site_calls(li, "calloc"), 2);
	auto f = [&ll]() { std::free(std::malloc(1)); ll = __LINE__; };
	f();
	f();
	ck_assert_int_eq(site_calls(ll, "malloc"), 2);
}
END_TEST

START_TEST(test_library_containers_still_work)
{
	std::vector<std::string> v;
	std::map<int, std::unique_ptr<int>> m;
	for (int i = 0; i < 100; i++) {
		v.push_back(std::to_string(i));
		m[i] = std::make_unique<int>(i);
	}
	std::thread t([] { free(malloc(1)); });
	t.join();
	ck_assert_uint_eq(v.size() + m.size(), 200);
	ck_assert_double_eq(std::sqrt(4.0), 2.0);
}
END_TEST

int main()
{
	Suite *s = suite_create("c++");
	TCase *tc = tcase_create("c++");
	tcase_add_test(tc, test_comdat_sites);
	tcase_add_test(tc, test_std_qualified);
	tcase_add_test(tc, test_templates_and_lambdas);
	tcase_add_test(tc, test_library_containers_still_work);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
