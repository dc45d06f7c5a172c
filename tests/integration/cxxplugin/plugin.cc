// plugin.cc - an instrumented C++ plugin for test_dso: its counted calls sit
// in an inline function and in a template, whose static site records the
// compiler would make unique symbols (STB_GNU_UNIQUE) if they were visible,
// and ld.so never unloads an object that defines one.
#include <cstdlib>
#include <cstring>

enum { CXX_INLINE_LINE = __LINE__ }; inline char *cxx_copy(const char *s) { return strdup(s); }
enum { CXX_TEMPLATE_LINE = __LINE__ }; template <typename T> T *cxx_array(std::size_t n) { return static_cast<T *>(std::malloc(n * sizeof(T))); }

extern "C" {
__attribute__((visibility("default"))) int cxx_inline_line(void) { return CXX_INLINE_LINE; }
__attribute__((visibility("default"))) int cxx_template_line(void) { return CXX_TEMPLATE_LINE; }

// Allocates and frees through the inline function and two instantiations.
__attribute__((visibility("default"))) void cxx_work(void)
{
	std::free(cxx_copy("plugin"));
	std::free(cxx_array<int>(10));
	std::free(cxx_array<double>(10));
}
}
