#!/usr/bin/env bash
# tests/grade/start.sh NN [DIR] — `make start L=NN`: create work/NN-name/ (or
# DIR), the student's own copy to turn into lesson NN, and build it once.
#
# What it starts with is in tests/grade/NN-name.start:
#   from LESSON        the source files (*.c, *.h, Makefile) of that lesson:
#                      usually the one before, the code lesson NN grows from
#   given FILE...      copied from lesson NN itself: what the lesson pastes and
#                      explains rather than types (its Makefile, a parser...)
#   starter FILE...    copied from tests/grade/starter/NN-name/: an outline to fill in
# A workspace is never overwritten. work/ is git-ignored.
# Plain bash 3.2 and POSIX tools, so it runs on macOS too.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

die() { printf 'start: %s\n' "$*" >&2; exit 2; }
# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

[ -n "${1:-}" ] || die "which lesson? make start L=01 (or 02, 03, ...)"
lesson=$(lesson_named "$1")
[ -n "$lesson" ] || die "no lesson $1 in lessons/ (there are: $(cd lessons && echo *))"
plan=tests/grade/$lesson.start
[ -f "$plan" ] || die "lesson $1 has no workspace plan yet ($plan)"
ws=${2:-work/$lesson}
if [ -e "$ws" ]; then
    printf 'start: %s exists already, and is left as it is: your work is safe.\n' "$ws"
    printf '       To start over: mv %s %s.old && make start L=%s\n' "$ws" "$ws" "$1"
    exit 1
fi

mkdir -p "$ws" || die "cannot create $ws"
from="" given="" starter=""
while read -r key rest; do
    rest=${rest%%#*}
    case $key in
        from) from=$rest ;;
        given) given=$rest ;;
        starter) starter=$rest ;;
    esac
done <"$plan"
from=${from%% *}       # one lesson; drop trailing blanks

copy() {    # copy FROM_DIR FILE
    [ -f "$1/$2" ] || { rm -rf "$ws"; die "$plan names $1/$2, which does not exist"; }
    cp "$1/$2" "$ws/$2"
}
if [ -n "$from" ]; then
    for f in "lessons/$from"/*.c "lessons/$from"/*.h "lessons/$from/Makefile"; do
        [ -f "$f" ] && copy "lessons/$from" "$(basename "$f")"
    done
fi
for f in $given; do copy "lessons/$lesson" "$f"; done
for f in $starter; do copy "tests/grade/starter/$lesson" "$f"; done

if [ -n "$from" ]; then
    printf 'start: %s created from lesson %s\n' "$ws" "$from"
else
    printf 'start: %s created from a starter outline\n' "$ws"
fi
[ -z "$given" ] || printf '       given by lesson %s (read them, do not retype them): %s\n' "$1" "$given"
[ -z "$starter" ] || printf '       outlines to fill in: %s\n' "$starter"
if make -s --no-print-directory -C "$ws" COMMON="$REPO/common" >/dev/null; then
    printf '       it builds: make -C %s\n' "$ws"
else
    printf 'start: warning: %s does not build yet (output above)\n' "$ws"
fi
printf '\nNext: read lessons/%s/README.md, edit %s/, then: make grade L=%s\n' "$lesson" "$ws" "$1"
