#!/bin/sh
# Prints kasse's version for builds and package names, from git:
#   v1.2.3 tag on HEAD        -> 1.2.3
#   3 commits after v1.2.3    -> 1.2.3+3.gabc1234
#   no tag yet                -> <FyneApp.toml Version>+gabc1234
# and ".dirty" when the work tree has uncommitted changes. The result is a
# valid Debian upstream version (starts with a digit; only [0-9A-Za-z.+~-]).
set -eu
cd "$(dirname "$0")/../.."
base=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
if ! sha=$(git rev-parse --short=7 HEAD 2>/dev/null); then
	echo "${base:-0.0.0}+unknown"
	exit 0
fi
if desc=$(git describe --tags --match 'v[0-9]*' --long 2>/dev/null); then
	# v1.2.3-N-gSHA
	tag=${desc%-*-g*}
	n=${desc#"$tag"-}
	n=${n%%-g*}
	v=${tag#v}
	[ "$n" = 0 ] || v="$v+$n.g$sha"
else
	v="${base:-0.0.0}+g$sha"
fi
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	case $v in *+*) v="$v.dirty" ;; *) v="$v+dirty" ;; esac
fi
echo "$v"
