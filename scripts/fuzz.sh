#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into ./build-fuzz and runs each one
# for SECONDS (default 60) on a copy of its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzers=enabled -Dtests=enabled
fi
ninja -C build-fuzz
for fuzzer in build-fuzz/tests/fuzz/fuzz-*; do
  name=$(basename "$fuzzer"); name=${name#fuzz-}
  case "$name" in replay-*) continue ;; esac
  [ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue  # not the .p dirs
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$name/." "$work/"
  echo "fuzz: $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 "$work"
  rm -rf "$work"
done
