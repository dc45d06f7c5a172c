#!/bin/sh
# Makes sure what "make check" needs is here: pkg-config, the Check unit
# test framework, and elfutils' libdw headers (caller rows get their file
# and line from DWARF through libdw). As root with apt-get, installs them;
# otherwise says exactly what to install and fails.
set -u
missing=
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists check 2>/dev/null; then
	missing="$missing check"
fi
[ -f /usr/include/elfutils/libdwfl.h ] || missing="$missing libdw-dev"
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
echo "memstats: make check needs$missing." >&2
echo "  Debian/Ubuntu: sudo apt-get install$missing" >&2
echo "  Fedora:        sudo dnf install pkgconf check-devel elfutils-devel" >&2
exit 1
