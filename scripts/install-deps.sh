#!/bin/sh
# Makes sure what the build needs is here. "build": what "make" needs for
# the memstats command (jansson reads reports, zlib gzips profiles) and for
# caller rows' file and line (elfutils' libdw headers, optional). Without
# an argument: that and what "make check" needs too (pkg-config, the Check
# unit test framework). As root with apt-get, installs what is missing;
# otherwise says exactly what to install and fails.
set -u
missing=
[ -f /usr/include/jansson.h ] || missing="$missing libjansson-dev"
[ -f /usr/include/zlib.h ] || missing="$missing zlib1g-dev"
[ -f /usr/include/elfutils/libdwfl.h ] || missing="$missing libdw-dev"
if [ "${1:-}" != build ]; then
	command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
	if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists check 2>/dev/null; then
		missing="$missing check"
	fi
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "memstats: installing$missing with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
		echo "memstats: apt-get install$missing failed" >&2
		exit 1
	}
	exit 0
fi
echo "memstats: ${1:-make check} needs$missing." >&2
echo "  Debian/Ubuntu: sudo apt-get install$missing" >&2
echo "  Fedora:        sudo dnf install jansson-devel zlib-devel elfutils-devel pkgconf check-devel" >&2
exit 1
