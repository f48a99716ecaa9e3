#!/usr/bin/env bash
# tests/lint/lint.sh — static analysis of everything here; `make lint` runs it.
#
#   C files: cppcheck on every one (tests/lint/cppcheck.cfg, cppcheck.supp)
#   C files: clang-tidy on every one, with the checks chosen in .clang-tidy
#   shell scripts: shellcheck on every one: *.sh, *.bash, *.bats, tests/run, .ci/run
#                and any other file that starts with a sh/bash/bats #! line
#
# Files are the ones git knows about, plus new ones not ignored, so a new
# lesson is checked without being listed anywhere. Each tool must report
# nothing at all; the script prints one line per tool and fails if any did.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

# (tests/fuzz/planned/, when there is one, holds fuzz targets for lessons
# not written yet: neither built nor linted.)
files() {
    git ls-files --cached --others --exclude-standard -- "$@" ':!tests/fuzz/planned/' 2>/dev/null | sort -u
}
# Lines into arrays with read loops: bash 3.2 (macOS) has no mapfile.
c_files=() c_dirs=() scripts=()
while IFS= read -r f; do c_files+=("$f"); done < <(files '*.c')
while IFS= read -r f; do c_dirs+=("$f"); done < <(for f in "${c_files[@]}"; do dirname "$f"; done | sort -u)

# The flags every lesson is built with (common/build.mk), the headers of
# every folder with C files in it, and cJSON's (lesson 03).
cppflags=(-D_POSIX_C_SOURCE=200809L -Icommon)
for d in "${c_dirs[@]}"; do cppflags+=("-I$d"); done
read -ra cjson <<<"$(pkg-config --cflags libcjson 2>/dev/null)"
cppflags+=("${cjson[@]}")

failed=0
report() {  # report TOOL OUTPUT-FILE COUNT-OF-FILES
    if [ -s "$2" ]; then
        cat "$2"
        echo "lint: $1: FAILED (see above)"
        failed=1
    else
        echo "lint: $1: clean ($3 files)"
    fi
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# ---- cppcheck ---------------------------------------------------------------
cppcheck --quiet --enable=warning,style,performance,portability --inconclusive \
    --std=c11 --library=posix --library=tests/lint/cppcheck.cfg \
    --suppressions-list=tests/lint/cppcheck.supp --inline-suppr \
    --template='{file}:{line}: {severity}: {message} [{id}]' \
    "${cppflags[@]}" "${c_files[@]}" >"$out" 2>&1
report cppcheck "$out" "${#c_files[@]}"

# ---- clang-tidy: one file per process, as many at once as there are CPUs ----
# It prints "N warnings generated." even for warnings it was told to ignore.
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
printf '%s\0' "${c_files[@]}" |
    xargs -0 -I{} -P "$jobs" clang-tidy --quiet {} -- -std=c11 "${cppflags[@]}" 2>&1 |
    grep -Ev '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^$' >"$out"
report clang-tidy "$out" "${#c_files[@]}"

# ---- shellcheck ---------------------------------------------------------------
# By name, then by #! line. Files without a #! (e.g. the lessons' tour.sh,
# which common/tour.sh sources) and .bats files are checked as bash.
while IFS= read -r f; do scripts+=("$f"); done < <(
    {
        files '*.sh' '*.bash' '*.bats' tests/run .ci/run
        for f in $(files); do
            [ -f "$f" ] && head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba)?sh|^#!.*bats' && echo "$f"
        done
    } | sort -u)
: >"$out"
for f in "${scripts[@]}"; do
    shell=()
    case $f in *.bats) shell=(-s bash) ;; esac
    head -n 1 "$f" | grep -q '^#!' || shell=(-s bash)
    shellcheck -x "${shell[@]}" "$f" >>"$out" 2>&1
done
report shellcheck "$out" "${#scripts[@]}"

exit "$failed"
