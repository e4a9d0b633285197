#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into ./build-fuzz and runs each one
# on a copy of its seed corpus: for SECONDS (default 60), or with RUNS until
# it made RUNS executions (SECONDS 0: no time limit; docs/fuzzing.md used
# `fuzz.sh 0 1000000`). Crashing inputs are kept in build-fuzz/artifacts/
# (add them to tests/fuzz/corpus/<target>/ once fixed). Exits non-zero if
# any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
runs=${2:--1}
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
failed=()
for fuzzer in build-fuzz/tests/fuzz/fuzz-*; do
  name=$(basename "$fuzzer"); name=${name#fuzz-}
  case "$name" in replay-*) continue ;; esac
  [ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$name/." "$work/"
  artifacts="build-fuzz/artifacts/$name"
  mkdir -p "$artifacts"
  echo "fuzz: $name for ${seconds}s, runs $runs"
  "$fuzzer" -max_total_time="$seconds" -runs="$runs" -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" \
    || failed+=("$name")
  echo "fuzz: $name corpus now $(find "$work" -type f | wc -l) inputs"
  rm -rf "$work"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: found something in: ${failed[*]} (see build-fuzz/artifacts/)"
  exit 1
fi
