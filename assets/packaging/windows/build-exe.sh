#!/bin/sh
# Cross-builds kasse.exe for 64-bit Windows with mingw-w64 (cgo: GLFW, SQLite):
#   build-exe.sh VERSION LDFLAGS OUT.exe
# The icon, manifest and version information are compiled with windres into a
# .syso in the main package directory, which `go build` links for
# GOOS=windows only; it is removed again when the build ends.
set -eu
version=$1 ldflags=$2 out=$3
case $out in /*) ;; *) out="$PWD/$out" ;; esac
go=${GO:-go}
cc=${MINGW_CC:-x86_64-w64-mingw32-gcc}
windres=${WINDRES:-x86_64-w64-mingw32-windres}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
syso="$top/rsrc_windows_amd64.syso"
trap 'rm -rf "$work" "$syso"' EXIT

# Windows wants four 16-bit numbers: 0.1.0+g1234567 -> 0,1,0,0
numeric=$(printf '%s' "$version" | sed 's/[^0-9.].*//')
set -- $(printf '%s' "$numeric" | tr '.' ' ') 0 0 0 0
commas="$1,$2,$3,0" dots="$1.$2.$3.0"

cp "$here/kasse.ico" "$work/"
sed "s/@FILEVERSION_DOTS@/$dots/" "$here/kasse.exe.manifest" >"$work/kasse.exe.manifest"
sed -e "s/@FILEVERSION@/$commas/" -e "s/@VERSION@/$version/" "$here/kasse.rc.in" >"$work/kasse.rc"
(cd "$work" && "$windres" -O coff -F pe-x86-64 -i kasse.rc -o "$syso")

mkdir -p "$(dirname "$out")"
cd "$top"
CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC="$cc" \
	"$go" build -ldflags "-H=windowsgui -s -w $ldflags" -o "$out" .
echo "$out"
