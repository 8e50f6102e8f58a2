#!/bin/sh
# Packs a prebuilt Linux binary with `fyne package` into the tar.xz that Fyne
# apps ship (binary, desktop entry, icon and a Makefile for `make install`):
#   build-tarball.sh FYNE BINARY VERSION OUT.tar.xz
# fyne package reads FyneApp.toml from a Go source directory and bumps its
# Build number on every run; it runs on a copy in a temporary directory so
# the checkout stays clean.
set -eu
fyne=$1 bin=$2 version=$3 out=$4
top=$(cd "$(dirname "$0")/../../.." && pwd)
case $bin in /*) ;; *) bin="$PWD/$bin" ;; esac
case $out in /*) ;; *) out="$PWD/$out" ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/assets"
cp "$top/FyneApp.toml" "$work/"
cp "$top/assets/icon.png" "$work/assets/"
printf 'package main\n\nfunc main() {}\n' >"$work/main.go"
printf 'module kasse\n\ngo 1.26\n' >"$work/go.mod"
# fyne wants a plain x.y.z; the full version is in the binary and the file name.
numeric=$(printf '%s' "$version" | sed 's/[^0-9.].*//')
(cd "$work" && "$fyne" package -os linux --exe "$bin" --app-version "${numeric:-0.0.0}")
mkdir -p "$(dirname "$out")"
mv "$work/kasse.tar.xz" "$out"
echo "$out"
