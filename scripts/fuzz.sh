#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into ./build-fuzz and runs each one
# for SECONDS (default 60) on a copy of its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if [ ! -f build-fuzz/build.ninja ]; then
  # Instrument the libraries too, or libFuzzer sees no coverage of the
  # parsers it drives (the targets alone get -fsanitize=fuzzer). Undefined
  # behaviour stops the run like a crash, instead of a line in the log.
  flags="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzers=enabled -Dtests=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dc_args=$flags" "-Dcpp_args=$flags"
fi
ninja -C build-fuzz
for fuzzer in build-fuzz/tests/fuzz/fuzz-*; do
  name=$(basename "$fuzzer"); name=${name#fuzz-}
  case "$name" in replay-*) continue ;; esac
  [ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$name/." "$work/"
  echo "fuzz: $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 "$work"
  rm -rf "$work"
done
