# memstats - GNU Make build.
#
#   make                       libmemstats.a, libmemstats.so and memstats.pc in build/
#   make check                 unit and integration tests (installs Check if it can)
#   make demo                  builds contrib/demo with -include memstats.h and runs it
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall PREFIX=/usr/local DESTDIR=
#
# CC and CFLAGS are honoured; the build directory remembers them, so
# "make check CC=clang" after a gcc build rebuilds everything with clang.

VERSION    := 0.1.0
SOVERSION  := 0

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
BINDIR     ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=

CFLAGS     ?= -O2 -g
B          := build

SRCS       := $(wildcard src/*.c)
OBJS       := $(SRCS:src/%.c=$(B)/obj/%.o)
HEADERS    := include/memstats.h include/memstats/sites.h $(wildcard include/memstats/wrap/*) src/internal.h
SONAME     := libmemstats.so.$(SOVERSION)

# The runtime is never built with its own macros.
LIB_CFLAGS := -std=gnu11 -fPIC -fvisibility=hidden -Wall -Wextra -Wshadow -Iinclude -DMEMSTATS_DISABLE
LIB_LIBS   := -pthread -ldl

# How a user's code is built against this tree, as pkg-config says it once installed.
INSTR_CFLAGS := -Iinclude -isystem include/memstats/wrap -include memstats.h
INSTR_LIBS   := -L$(B) -lmemstats -Wl,-rpath,$(abspath $(B)) -pthread

CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)

PRELOAD    := $(B)/libmemstats-preload.so
CLI        := $(B)/memstats

.PHONY: all build-deps check check-unit check-integration check-header check-exports check-deps check-sanitize check-matrix bench demo install uninstall clean deps FORCE
all: $(B)/libmemstats.a $(B)/libmemstats.so $(B)/memstats.pc $(PRELOAD) $(CLI)
ifeq ($(wildcard /usr/include/elfutils/libdwfl.h),)
	@echo "note: built without elfutils' libdw headers (Debian libdw-dev): caller rows will have no file or line"
endif

# Rebuild when the compiler or its flags change.
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(CFLAGS) $(LIB_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LIB_CFLAGS)' > $@

$(B)/obj/%.o: src/%.c $(HEADERS) $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -c $< -o $@

# The archive holds one relocatable object whose internal (hidden) names are
# made local: a static link sees only the public API, so a program may
# define its own "config" or "track_on".
# A static program has no dlopen: its symbols.c reads no DWARF (function
# names from dladdr only), and draws no linker warning about dlopen.
OBJCOPY    ?= objcopy
NM         ?= nm
STATIC_OBJS := $(filter-out $(B)/obj/symbols.o,$(OBJS)) $(B)/obj/symbols-static.o
$(B)/obj/symbols-static.o: src/symbols.c $(HEADERS) $(B)/flags
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -DMEMSTATS_STATIC_RUNTIME -c $< -o $@

$(B)/obj/libmemstats.o: $(STATIC_OBJS)
	$(CC) $(CFLAGS) -nostdlib -r $^ -o $@.r
	$(OBJCOPY) --localize-hidden $@.r $@
	rm -f $@.r

$(B)/libmemstats.a: $(B)/obj/libmemstats.o
	rm -f $@
	$(AR) rcs $@ $^

# nodelete: a plugin's dlclose must not unload the runtime, or the report at
# exit and the copies of unloaded objects' sites would go with it.
$(B)/libmemstats.so.$(VERSION): $(OBJS)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,nodelete $^ -o $@ $(LIB_LIBS)

$(B)/libmemstats.so: $(B)/libmemstats.so.$(VERSION)
	ln -sf libmemstats.so.$(VERSION) $(B)/$(SONAME)
	ln -sf libmemstats.so.$(VERSION) $@

# The preload library: interposers that count through libmemstats.so, found
# beside it ($ORIGIN). -fexceptions: a C++ new that throws unwinds through it.
$(PRELOAD): src/preload/preload.c src/internal.h include/memstats.h $(B)/libmemstats.so $(B)/flags
	$(CC) $(CFLAGS) -std=gnu11 -fPIC -shared -fexceptions -Wall -Wextra -Wshadow -Iinclude -Isrc -DMEMSTATS_DISABLE \
		$< -o $@ -L$(B) -lmemstats -Wl,-rpath,'$$ORIGIN' -ldl

# The memstats command, also memstats-cc and memstats-c++ (by its name).
# It reads reports with jansson and gzips with zlib (Debian libjansson-dev,
# zlib1g-dev): scripts/install-deps.sh build installs them as root, or says
# what to install.
$(CLI): $(wildcard src/cli/*.c) src/cli/cli.h $(B)/flags | build-deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Wshadow -DMEMSTATS_LIBDIR='"$(LIBDIR)"' \
		-DMEMSTATS_INCLUDEDIR='"$(INCLUDEDIR)"' $(filter %.c,$^) -o $@ -ljansson -lz
	ln -sf memstats $(B)/memstats-cc
	ln -sf memstats $(B)/memstats-c++

# An rpath only where the dynamic linker would not look by itself.
SYSTEM_LIBDIRS := /lib /usr/lib /lib64 /usr/lib64 /usr/local/lib
RPATH = $(if $(filter $(LIBDIR),$(SYSTEM_LIBDIRS)),,-Wl,-rpath,$${libdir})

$(B)/memstats.pc: src/memstats.pc.in FORCE
	@mkdir -p $(B)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	     -e 's|@VERSION@|$(VERSION)|' -e 's|@RPATH@|$(RPATH)|' $< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

install: all
	install -d $(DESTDIR)$(INCLUDEDIR)/memstats/wrap $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 include/memstats.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/memstats/sites.h $(DESTDIR)$(INCLUDEDIR)/memstats/
	install -m 644 include/memstats/wrap/* $(DESTDIR)$(INCLUDEDIR)/memstats/wrap/
	install -m 644 $(B)/libmemstats.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libmemstats.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libmemstats.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmemstats.so
	install -m 644 $(B)/memstats.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/
	ln -sf memstats $(DESTDIR)$(BINDIR)/memstats-cc
	ln -sf memstats $(DESTDIR)$(BINDIR)/memstats-c++

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/memstats.h $(DESTDIR)$(LIBDIR)/pkgconfig/memstats.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/memstats
	rm -f $(DESTDIR)$(LIBDIR)/libmemstats.a $(DESTDIR)$(LIBDIR)/libmemstats.so* $(DESTDIR)$(LIBDIR)/libmemstats-preload.so
	rm -f $(DESTDIR)$(BINDIR)/memstats $(DESTDIR)$(BINDIR)/memstats-cc $(DESTDIR)$(BINDIR)/memstats-c++

# ---- tests ---------------------------------------------------------------

deps:
	@scripts/install-deps.sh

# What the memstats command needs to build (jansson, zlib).
build-deps:
	@scripts/install-deps.sh build

UNIT_SRCS   := $(wildcard tests/unit/*.c)
ITEST_SRCS  := $(wildcard tests/integration/test_*.c)
ITESTS      := $(ITEST_SRCS:tests/integration/%.c=$(B)/tests/%) $(B)/tests/static_basic $(B)/tests/static_report \
	       $(B)/tests/static_names $(B)/tests/test_cxx $(B)/tests/test_preload $(B)/tests/test_cc \
	       $(B)/tests/test_cli $(B)/tests/portable_track

# C++ tests use the C compiler's sibling: clang++ with clang, else $(CXX).
TEST_CXX    := $(if $(findstring clang,$(notdir $(CC))),$(subst clang,clang++,$(CC)),$(CXX))

# The unit tests call the runtime's internals: they link its objects, built
# again with the test hooks (internal.h's last block), which the library
# itself never has. Their rows are written positionally: the fields added
# since (kind, offset, via) are zero there, as they should be.
TEST_OBJS  := $(SRCS:src/%.c=$(B)/obj-test/%.o)
$(B)/obj-test/%.o: src/%.c $(HEADERS) $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -DMEMSTATS_TEST_HOOKS -c $< -o $@

$(B)/tests/unit: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(TEST_OBJS) $(B)/flags | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers -Iinclude -Isrc -DMEMSTATS_DISABLE \
		-DMEMSTATS_TEST_HOOKS $(CHECK_CFLAGS) \
		$(UNIT_SRCS) $(TEST_OBJS) -o $@ $(CHECK_LIBS) -pthread

# Integration tests are real programs built with -include memstats.h; each is
# a Check suite that asserts exact per-line numbers about itself.
$(B)/tests/test_%: tests/integration/test_%.c tests/integration/itest.h $(B)/libmemstats.so $(B)/flags | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		$< -o $@ $(INSTR_LIBS) $(CHECK_LIBS) $(ITEST_DEFS)

# test_track again with the header's portable C where x86-64 has asm (the
# sampling countdown), as a machine without asm flag outputs builds it.
$(B)/tests/portable_track: tests/integration/test_track.c tests/integration/itest.h $(B)/libmemstats.so $(B)/flags | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -U__GCC_ASM_FLAG_OUTPUTS__ $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		$< -o $@ $(INSTR_LIBS) $(CHECK_LIBS) $(ITEST_DEFS)

# An instrumented plugin of two files, for test_dso.
# test_pools: a plugin with a pool operation, unloaded and loaded again.
$(B)/tests/libpoolplugin.so: tests/integration/poolplugin/pool-plugin.c $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -Wall -Wextra -Werror $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

$(B)/tests/test_pools: $(B)/tests/libpoolplugin.so
$(B)/tests/test_pools: ITEST_DEFS = -DPOOLPLUGIN='"$(abspath $(B)/tests/libpoolplugin.so)"' -ldl

$(B)/tests/libplugin.so: $(wildcard tests/integration/plugin/*.c) $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -Wall -Wextra -Werror $(INSTR_CFLAGS) $(filter %.c,$^) -o $@ $(INSTR_LIBS)

# The same plugin built again: a second object, for a thread that loads and
# unloads one while the test holds the other.
$(B)/tests/libplugin2.so: $(B)/tests/libplugin.so
	$(CC) $(CFLAGS) -fPIC -shared $(INSTR_CFLAGS) $(wildcard tests/integration/plugin/*.c) -o $@ $(INSTR_LIBS)

# test_wrappers: wrappers in another file and in an instrumented shared library.
$(B)/tests/libwrapped.so: tests/integration/wrappers/lib.c tests/integration/wrappers/wrappers.h $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -Wall -Wextra -Werror $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

# The preload tests' plugin built with the header: unloaded, it has the
# runtime resolve its callers at its dlclose (a plain one is resolved at
# the report only where the preload library is not there to see dlclose).
$(B)/tests/libplug-instr.so: tests/preload/plug.c $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

$(B)/tests/libplug-instr-other.so: tests/preload/plug.c $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -DPLUG_OTHER $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

$(B)/tests/test_wrappers: tests/integration/test_wrappers.c tests/integration/wrappers/util.c \
		tests/integration/wrappers/wrappers.h tests/integration/itest.h $(B)/tests/libwrapped.so \
		$(B)/tests/libplug-instr.so $(B)/tests/libplug-instr-other.so $(B)/flags | deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		-DPLUG='"$(abspath $(B)/tests/libplug-instr.so)"' \
		-DPLUG_OTHER='"$(abspath $(B)/tests/libplug-instr-other.so)"' \
		$(filter %.c,$^) -o $@ -L$(B)/tests -lwrapped -Wl,-rpath,$(abspath $(B)/tests) $(INSTR_LIBS) $(CHECK_LIBS)

# The preload library's tests: programs built without the header's macros
# (test_preload uses memstats.h for its API only), run under it.
PRELOAD_TESTS := $(B)/tests/test_preload $(B)/tests/preload_nodebug $(B)/tests/preload_news $(B)/tests/libplug.so \
		 $(B)/tests/libplug-other.so
$(B)/tests/preload_nodebug: tests/preload/nodebug.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) -O0 -g0 $< -o $@

$(B)/tests/preload_news: tests/preload/news.cc $(B)/flags
	@mkdir -p $(@D)
	$(TEST_CXX) -O0 -g -std=c++17 -fsized-deallocation $< -o $@

$(B)/tests/libplug.so: tests/preload/plug.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared $< -o $@

$(B)/tests/libplug-other.so: tests/preload/plug.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -DPLUG_OTHER $< -o $@

$(B)/tests/test_preload: tests/preload/test_preload.c tests/integration/itest.h $(PRELOAD) \
		$(B)/tests/preload_nodebug $(B)/tests/preload_news $(B)/tests/libplug.so $(B)/tests/libplug-other.so \
		$(B)/flags | deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -Iinclude -DMEMSTATS_DISABLE $(CHECK_CFLAGS) \
		-DBUILD='"$(abspath $(B))"' $< -o $@ $(INSTR_LIBS) -ldl $(CHECK_LIBS)

# The memstats command's report commands, on reports written by the test
# and one of a real program.
$(B)/tests/cli_prog: tests/cli/prog.c $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

# torture's: a program with unhandled failures (contrib's), and one that hangs.
$(B)/tests/cli_kv: contrib/torture-example/kv.c $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

$(B)/tests/cli_hang: tests/cli/hang.c $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

$(B)/tests/test_cli: tests/cli/test_cli.c $(CLI) $(B)/tests/cli_prog $(B)/tests/cli_kv $(B)/tests/cli_hang \
		$(B)/flags | deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(CHECK_CFLAGS) -DBUILD='"$(abspath $(B))"' $< -o $@ \
		$(CHECK_LIBS) -lz

# memstats-cc and memstats-c++, driving $(CC) and its C++ sibling.
$(B)/tests/test_cc: tests/cc/test_cc.c tests/cc/fake-cc.sh $(CLI) $(B)/libmemstats.so $(B)/libmemstats.a $(B)/flags | deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(CHECK_CFLAGS) -DBUILD='"$(abspath $(B))"' \
		-DSRC='"$(abspath .)"' -DREAL_CC='"$(CC)"' -DREAL_CXX='"$(TEST_CXX)"' $< -o $@ $(CHECK_LIBS)

$(B)/tests/test_mixed: tests/integration/test_mixed.c tests/integration/itest.h $(PRELOAD) $(B)/flags | deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		-DPRELOAD='"$(abspath $(PRELOAD))"' $< -o $@ $(INSTR_LIBS) $(CHECK_LIBS)

# An instrumented C++ plugin: its sites in an inline function and a template.
$(B)/tests/libcxxplugin.so: tests/integration/cxxplugin/plugin.cc $(B)/libmemstats.so $(B)/flags
	@mkdir -p $(@D)
	$(TEST_CXX) $(CFLAGS) -std=c++17 -fPIC -shared -Wall -Wextra -Werror $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

# Preloaded by test_dso: a strdup out of memory for the plugin's path.
$(B)/tests/liboomstrdup.so: tests/integration/oom-strdup.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared $< -o $@

$(B)/tests/test_dso: tests/integration/test_dso.c tests/integration/itest.h $(B)/tests/libplugin.so \
		$(B)/tests/libplugin2.so $(B)/tests/libcxxplugin.so $(B)/tests/liboomstrdup.so $(B)/flags | deps
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		-DPLUGIN='"$(abspath $(B)/tests/libplugin.so)"' -DPLUGIN2='"$(abspath $(B)/tests/libplugin2.so)"' \
		-DCXXPLUGIN='"$(abspath $(B)/tests/libcxxplugin.so)"' -DOOM_SHIM='"$(abspath $(B)/tests/liboomstrdup.so)"' \
		$< -o $@ $(INSTR_LIBS) -ldl $(CHECK_LIBS)

# The same programs linked statically: the runtime must still be pulled in,
# and report at exit after the program's destructors.
$(B)/tests/static_%: tests/integration/test_%.c tests/integration/itest.h $(B)/libmemstats.a $(B)/flags | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		$< -o $@ -static -L$(B) -lmemstats $(shell pkg-config --static --libs check) -pthread

$(B)/tests/test_cxx: tests/integration/test_cxx.cc $(B)/libmemstats.so | deps
	@mkdir -p $(@D)
	$(TEST_CXX) $(CFLAGS) -std=c++17 -Wall -Wextra -Wold-style-cast -Wzero-as-null-pointer-constant -Werror \
		$(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		$< -o $@ $(INSTR_LIBS) $(CHECK_LIBS)

check: check-unit check-integration check-header check-exports check-deps

# The runtime's files call one way: no cycle (scripts/deps.sh).
check-deps: all
	NM='$(NM)' scripts/deps.sh $(B) >/dev/null || NM='$(NM)' scripts/deps.sh $(B)

check-exports: all
	NM='$(NM)' tests/symbols/check-exports.sh $(B)

check-unit: $(B)/tests/unit
	MEMSTATS_OUTPUT=off $(B)/tests/unit

# The reports at exit of the tests themselves are noise here: off. Tests of
# the report run children with an environment of their own.
check-integration: $(ITESTS)
	@set -e; for t in $^; do echo "== $$t"; MEMSTATS_OUTPUT=off ITEST_SELF=$$t $$t; done

# The integration tests under sanitizers (the runtime itself stays plain, as
# users link it). Huge requests must fail with NULL, as without ASan.
SAN_TESTS := basic aligned threads report track periodic
SAN_KINDS := asan tsan
SAN_FLAGS_asan := -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_FLAGS_tsan := -fsanitize=thread
SAN_BINS := $(foreach k,$(SAN_KINDS),$(SAN_TESTS:%=$(B)/tests/$(k)_%))

SAN_BUILD = @mkdir -p $(@D) && echo "$(CC) [$(1)] $< -o $@" && \
	$(CC) -O1 -g $(SAN_FLAGS_$(1)) -std=gnu11 -Wall -Wextra -Werror \
		$(INSTR_CFLAGS) $(CHECK_CFLAGS) $< -o $@ $(INSTR_LIBS) $(CHECK_LIBS)

$(B)/tests/asan_%: tests/integration/test_%.c tests/integration/itest.h $(B)/libmemstats.so $(B)/flags | deps
	$(call SAN_BUILD,asan)

$(B)/tests/tsan_%: tests/integration/test_%.c tests/integration/itest.h $(B)/libmemstats.so $(B)/flags | deps
	$(call SAN_BUILD,tsan)

# The runtime itself under TSan, linked into the tests that race it hardest
# (threads counting, tracking across threads).
RT_TSAN_TESTS := threads track
RT_TSAN_OBJS  := $(SRCS:src/%.c=$(B)/obj-tsan/%.o)
RT_TSAN_BINS  := $(RT_TSAN_TESTS:%=$(B)/tests/rttsan_%)
.SECONDARY: $(RT_TSAN_OBJS)

$(B)/obj-tsan/%.o: src/%.c $(HEADERS) $(B)/flags
	@mkdir -p $(@D)
	$(CC) -O1 -g -fsanitize=thread $(LIB_CFLAGS) -c $< -o $@

$(B)/tests/rttsan_%: tests/integration/test_%.c tests/integration/itest.h $(RT_TSAN_OBJS) $(B)/flags | deps
	@mkdir -p $(@D)
	$(CC) -O1 -g -fsanitize=thread -std=gnu11 -Wall -Wextra -Werror $(INSTR_CFLAGS) $(CHECK_CFLAGS) \
		$< $(RT_TSAN_OBJS) -o $@ -ldl $(CHECK_LIBS) -pthread

check-sanitize: $(SAN_BINS) $(RT_TSAN_BINS)
	@set -e; for t in $^; do echo "== $$t"; \
		ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0 TSAN_OPTIONS=halt_on_error=1:allocator_may_return_null=1 \
		MEMSTATS_OUTPUT=off ITEST_SELF=$$t $$t; done

# Toolchains, flags, sanitizers, valgrind and the contrib/ build systems,
# against an installed copy. Takes a few minutes.
check-matrix: all | deps
	tests/matrix/check-matrix.sh

check-header: all
	CC='$(CC)' B='$(B)' tests/header/check-header.sh

# ---- benchmarks ----------------------------------------------------------
# The same workloads plain, with memstats, with the atomic baseline, with
# tracking on and built plain under the preload library; ratios of
# medians, never timed assertions. BENCH_RUNS=N for more rounds.

BENCH_CFLAGS := -O2 -g -std=gnu11 -pthread
BENCH_RUNS   ?= 5

$(B)/bench/plain: tests/bench/bench.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@

$(B)/bench/memstats: tests/bench/bench.c $(B)/libmemstats.so
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

$(B)/bench/atomic: tests/bench/bench.c tests/bench/atomic-baseline.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -include tests/bench/atomic-baseline.h $< -o $@

$(B)/bench/report-bench: tests/bench/report-bench.c $(B)/libmemstats.so
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Iinclude -DMEMSTATS_DISABLE $< -o $@ $(INSTR_LIBS)

# The least exact tracking can cost here (tests/bench/floor.c): a tracker
# in line in the loop, with the runtime's clock.
$(B)/bench/floor: tests/bench/floor.c $(B)/obj/clock.o
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Iinclude -Isrc -DMEMSTATS_DISABLE $< $(B)/obj/clock.o -o $@

bench: $(B)/bench/plain $(B)/bench/memstats $(B)/bench/atomic $(B)/bench/report-bench $(B)/bench/floor $(PRELOAD)
	PRELOAD=$(abspath $(PRELOAD)) tests/bench/run.sh $(B)/bench $(BENCH_RUNS)
	MEMSTATS_OUTPUT=off $(B)/bench/report-bench 100000
	$(B)/bench/floor $(BENCH_RUNS)

# ---- demo ----------------------------------------------------------------

$(B)/demo: contrib/demo/wordfreq.c all
	$(CC) $(CFLAGS) $(INSTR_CFLAGS) $< -o $@ $(INSTR_LIBS)

# The callers demo (README "Wrappers, libraries and programs you cannot
# rebuild"): as built, then its wrappers declared, under the preload library.
$(B)/demo-callers: contrib/demo/callers/lines.c contrib/demo/callers/util.c contrib/demo/callers/util.h all
	$(CC) $(CFLAGS) -g $(INSTR_CFLAGS) contrib/demo/callers/lines.c contrib/demo/callers/util.c -o $@ $(INSTR_LIBS)

demo: $(B)/demo $(B)/demo-callers $(PRELOAD)
	$(B)/demo contrib/demo/wordfreq.c Makefile
	$(B)/demo-callers contrib/demo/wordfreq.c Makefile
	MEMSTATS_WRAPPERS=xmalloc,xstrdup LD_PRELOAD=$(abspath $(PRELOAD)) $(B)/demo-callers contrib/demo/wordfreq.c Makefile

clean:
	rm -rf $(B)

FORCE:
