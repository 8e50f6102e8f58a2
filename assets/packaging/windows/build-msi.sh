#!/bin/sh
# Builds the kasse MSI from a cross-built kasse.exe:
#   build-msi.sh KASSE.EXE VERSION OUT.msi
# wixl (Debian's msitools) makes it from kasse.wxs; msibuild then adds what
# wixl cannot express: the feature conditions for DESKTOPSHORTCUT and KIOSK,
# and those properties in SecureCustomProperties (so a managed, per-machine
# install passes them on from the command line or a transform).
set -eu
exe=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
case $exe in /*) ;; *) exe="$PWD/$exe" ;; esac
case $out in /*) ;; *) out="$PWD/$out" ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Windows Installer versions are three numbers (major < 256, minor < 256, build < 65536).
numeric=$(printf '%s' "$version" | sed 's/[^0-9.].*//')
# wixl takes sources relative to the working directory only.
cp "$exe" "$work/kasse.exe"
cp "$here/kasse.wxs" "$here/kasse.ico" "$work/"
cp "$here/../../catalog-demo.csv" "$work/catalog-sample.csv"
cd "$work"
wixl -a x64 -D Version="$version" -D NumVersion="${numeric:-0.0.0}" -D Exe=kasse.exe -o kasse.msi kasse.wxs
printf 'Feature_\tLevel\tCondition\ns38\ti2\tS255\nCondition\tFeature_\tLevel\nDesktop\t1\tDESKTOPSHORTCUT="1"\nKiosk\t1\tKIOSK="1"\n' >Condition.idt
msiinfo export kasse.msi Property >Property.idt
# IDT lines end in CR LF.
sed -i 's/^\(SecureCustomProperties\t[^\r]*\)/\1;DESKTOPSHORTCUT;KIOSK/' Property.idt
grep -q '^SecureCustomProperties.*;KIOSK' Property.idt
msibuild kasse.msi -i Condition.idt
msibuild kasse.msi -i Property.idt
mkdir -p "$(dirname "$out")"
mv kasse.msi "$out"
echo "$out"
