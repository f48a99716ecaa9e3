#!/usr/bin/env bash
# tests/grade/solve.sh NN K [DIR] — `make solve L=NN EXERCISE=k [DIR=folder]`:
# apply lessons/NN-name/solutions/K-*.patch to a workspace (default
# work/NN-name) with `patch -p1` inside it; --dry-run first, so a patch that
# does not fit changes nothing.
#
# The patches are written against the lesson's own code, so they fit a
# workspace that is close to it, and often not one's own way of writing it.
# Then the solution goes beside it instead: DIR.solution-K/ (the lesson's
# sources with the patch applied, made once, never overwritten), and solve
# prints the commands to compare the two and to grade the solution.
# Every hint keeps the DIR= given. Plain bash 3.2 and POSIX tools.
set -uo pipefail
caller_dir=$PWD
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

die() { printf 'solve: %s\n' "$*" >&2; exit 2; }
# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

nn=${1:-} k=${2:-} dir_arg=${3:-}
if [ -z "$nn" ] || [ -z "$k" ]; then die "usage: make solve L=NN EXERCISE=k [DIR=folder]"; fi
lesson=$(lesson_named "$nn")
[ -n "$lesson" ] || die "no lesson $nn in lessons/"
patch_file=
for f in "lessons/$lesson/solutions/$k"-*.patch; do [ -f "$f" ] && patch_file=$f; done
[ -n "$patch_file" ] ||
    die "exercise $k of lesson $nn has no worked solution (lessons/$lesson/solutions/ has: $(cd "lessons/$lesson/solutions" 2>/dev/null && echo *.patch))"
dir=${dir_arg:-work/$lesson}
case $dir in
    /*) ;;
    *) [ -z "$dir_arg" ] || [ ! -d "$caller_dir/$dir" ] || dir=$caller_dir/$dir ;;
esac
opts=${dir_arg:+ DIR=$dir_arg}
[ -d "$dir" ] || die "no folder ${dir_arg:-$dir} (make start L=$nn$opts creates it)"
shown=${dir#"$REPO"/}

sed -n '/^---/q; p' "$patch_file"     # the header: what it changes and why
if patch -p1 --dry-run -s -d "$dir" <"$patch_file" >/dev/null 2>&1; then
    patch -p1 -s -d "$dir" <"$patch_file" || exit 1
    printf 'solve: applied %s to %s; now: make grade L=%s EXERCISE=%s%s\n' "$patch_file" "$shown" "$nn" "$k" "$opts"
    exit 0
fi

# It does not fit: the lesson + the patch, beside the workspace.
beside=${dir%/}.solution-$k
[ "$dir" != "$REPO/lessons/$lesson" ] || beside=work/$lesson.solution-$k
shown_beside=${beside#"$REPO"/}
if [ ! -e "$beside" ]; then
    mkdir -p "$beside" || die "cannot create $shown_beside"
    cp "lessons/$lesson"/*.c "lessons/$lesson/Makefile" "$beside"/
    cp "lessons/$lesson"/*.h "$beside"/ 2>/dev/null
    patch -p1 -s -d "$beside" <"$patch_file" >/dev/null || die "$patch_file does not apply to lessons/$lesson either: report it"
    printf 'solve: %s does not fit %s (already applied, or your code differs there): nothing changed in it.\n' "$patch_file" "$shown"
    printf '       The lesson with the solution applied is now beside it, in %s/.\n' "$shown_beside"
else
    printf 'solve: %s does not fit %s (already applied, or your code differs there): nothing changed in it.\n' "$patch_file" "$shown"
    printf '       The lesson with the solution applied is beside it already, in %s/.\n' "$shown_beside"
fi
changed=$(sed -n 's|^+++ [^/]*/\([^ 	]*\).*|\1|p' "$patch_file")
printf 'Compare, file by file (the patch changes %s):\n' "$(printf '%s\n' "$changed" | tr '\n' ' ' | sed 's/ $//')"
printf '%s\n' "$changed" | while read -r f; do
    printf '  diff -u %s/%s %s/%s\n' "$shown" "$f" "$shown_beside" "$f"
done
printf 'See it pass: make grade L=%s EXERCISE=%s DIR=%s\n' "$nn" "$k" "$shown_beside"
printf 'Or let patch apply to yours what fits (the rest goes to .rej files): patch -p1 -d %s < %s\n' "$shown" "$patch_file"
exit 1
