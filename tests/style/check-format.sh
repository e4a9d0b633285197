#!/usr/bin/env bash
# Fails when clang-format (.clang-format at the top of the tree) would change
# any C or C++ file of the project, and names each file and place.
set -uo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || {
  echo "clang-format is missing: install Debian's clang-format (scripts/setup.sh does)"
  exit 1
}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard \
    '*.c' '*.cpp' '*.h' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
  mapfile -t files < <(find gst plugins tools tests examples \
    -name node_modules -prune -o \( -name '*.c' -o -name '*.cpp' -o -name '*.h' \) -print)
fi
[ ${#files[@]} -gt 0 ] || { echo "no C/C++ files found"; exit 1; }
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "Not formatted: run  clang-format -i <file>  on the files above."
  exit 1
fi
echo "${#files[@]} files formatted"
