#!/bin/sh
# Builds the kasse .deb from a prebuilt Linux binary:
#   build-deb.sh BINARY VERSION OUT.deb
# The tree is staged in a temporary directory and packed with dpkg-deb
# --root-owner-group, so no root is needed and every file belongs to root.
set -eu
bin=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")/.." && pwd)   # assets/packaging
top=$(cd "$here/../.." && pwd)
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
umask 022

install -D -m 0755 "$bin" "$stage/usr/bin/kasse"
install -D -m 0644 "$here/linux/no.kasse.till.desktop" "$stage/usr/share/applications/no.kasse.till.desktop"
install -D -m 0644 "$top/assets/icon.png" "$stage/usr/share/icons/hicolor/512x512/apps/no.kasse.till.png"
install -D -m 0644 "$here/linux/kasse-kiosk.desktop" "$stage/usr/share/kasse/kasse-kiosk.desktop"
install -D -m 0644 "$here/deb/README.Debian" "$stage/usr/share/doc/kasse/README.Debian"
printf 'kasse\n\nSee https://github.com/kasse-pos/kasse for the source and its licence.\n' >"$stage/usr/share/doc/kasse/copyright"

# The newest glibc symbol version the binary needs is the libc6 it depends on.
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

mkdir -p "$stage/DEBIAN"
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@GLIBC@/${glibc:-2.17}/" \
	"$here/deb/control.in" >"$stage/DEBIAN/control"
install -m 0755 "$here/deb/postinst" "$here/deb/postrm" "$stage/DEBIAN/"

mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
