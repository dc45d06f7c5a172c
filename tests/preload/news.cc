// news.cc - C++ built without memstats.h (-O0: no new/delete elided), run
// under the preload library by test_preload (-fsized-deallocation: clang
// 14 does not call the sized forms otherwise): every standard form of
// operator new and delete at its own line. Prints each form's line.
#include <cstdio>
#include <new>

struct S { int a[4]; };
struct alignas(64) A { char c[64]; };

int main()
{
	S *s = new S; std::printf("new %d\n", __LINE__);
	delete s; std::printf("delete(size) %d\n", __LINE__);
	int *a = new int[10]; std::printf("new[] %d\n", __LINE__);
	delete[] a; std::printf("delete[] %d\n", __LINE__);
	S *t = new (std::nothrow) S; std::printf("new(nothrow) %d\n", __LINE__);
	::operator delete(t); std::printf("delete %d\n", __LINE__);
	A *b = new A; std::printf("new(align) %d\n", __LINE__);
	delete b; std::printf("delete(size, align) %d\n", __LINE__);
	A *c = new A[2]; std::printf("new[](align) %d\n", __LINE__);
	delete[] c; std::printf("delete[](align) %d\n", __LINE__);
	return 0;
}
