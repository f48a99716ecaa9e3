#!/usr/bin/env bash
# tests/grade/solve.sh NN K [DIR] — `make solve L=NN EXERCISE=k [DIR=folder]`:
# apply lessons/NN-name/solutions/K-*.patch to a workspace (default
# work/NN-name) with `patch -p1` inside it. patch refuses what does not fit
# and says so; --dry-run first, so a refused patch changes nothing.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

die() { printf 'solve: %s\n' "$*" >&2; exit 2; }
# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then die "usage: make solve L=NN EXERCISE=k [DIR=folder]"; fi
lesson=$(lesson_named "$1")
[ -n "$lesson" ] || die "no lesson $1 in lessons/"
patch_file=
for f in "lessons/$lesson/solutions/$2"-*.patch; do [ -f "$f" ] && patch_file=$f; done
[ -n "$patch_file" ] ||
    die "exercise $2 of lesson $1 has no worked solution (lessons/$lesson/solutions/ has: $(cd "lessons/$lesson/solutions" 2>/dev/null && echo *.patch))"
dir=${3:-work/$lesson}
[ -d "$dir" ] || die "no folder $dir (make start L=$1 creates work/$lesson)"

sed -n '/^---/q; p' "$patch_file"     # the header: what it changes and why
patch -p1 --dry-run -s -d "$dir" <"$patch_file" >/dev/null ||
    die "$patch_file does not apply to $dir (already applied, or your code differs there); read it and apply it by hand"
patch -p1 -d "$dir" <"$patch_file" || exit 1
printf 'solve: applied %s to %s; now: make grade L=%s EXERCISE=%s\n' "$patch_file" "$dir" "$1" "$2"
