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
# The linker's .comment section serves nothing in a stripped binary.
objcopy --remove-section=.comment "$stage/usr/bin/kasse"
install -D -m 0644 "$here/linux/no.kasse.till.desktop" "$stage/usr/share/applications/no.kasse.till.desktop"
install -D -m 0644 "$top/assets/icon.png" "$stage/usr/share/icons/hicolor/512x512/apps/no.kasse.till.png"
install -D -m 0644 "$here/linux/kasse-kiosk.desktop" "$stage/usr/share/kasse/kasse-kiosk.desktop"
install -D -m 0644 "$here/linux/kasse-kiosk.service" "$stage/usr/lib/systemd/user/kasse-kiosk.service"
install -D -m 0644 "$here/linux/kasse-hub.service" "$stage/usr/lib/systemd/system/kasse-hub.service"
install -D -m 0644 "$here/deb/README.Debian" "$stage/usr/share/doc/kasse/README.Debian"
install -D -m 0644 "$here/deb/copyright" "$stage/usr/share/doc/kasse/copyright"
# A sample catalogue for the first-run assistant's import (and import-catalog).
install -D -m 0644 "$top/assets/catalog-demo.csv" "$stage/usr/share/doc/kasse/examples/catalog.csv"

# The date of the commit built (reproducible), else now.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}
mkdir -p "$stage/usr/share/man/man1"
sed -e "s/@VERSION@/$version/" -e "s/^\.TH KASSE 1 \"\"/.TH KASSE 1 \"$(date -u -d "@$epoch" +%Y-%m-%d)\"/" \
	"$here/linux/kasse.1" | gzip -9n >"$stage/usr/share/man/man1/kasse.1.gz"
# A native package (the version has no Debian revision): changelog.gz.
{
	printf 'kasse (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Release %s. The changes are in the history of\n    https://github.com/kasse-pos/kasse.\n\n' "$version"
	printf ' -- kasse maintainers <kasse@users.noreply.github.com>  %s\n' "$(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$stage/usr/share/doc/kasse/changelog.gz"
chmod 0644 "$stage/usr/share/man/man1/kasse.1.gz" "$stage/usr/share/doc/kasse/changelog.gz"

# The newest glibc symbol version the binary needs is the libc6 it depends on.
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

mkdir -p "$stage/DEBIAN"
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@GLIBC@/${glibc:-2.17}/" \
	"$here/deb/control.in" >"$stage/DEBIAN/control"
install -m 0755 "$here/deb/postinst" "$here/deb/postrm" "$stage/DEBIAN/"
(cd "$stage" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
