#!/usr/bin/env bash
# tests/grade/start.sh NN [DIR] [FROM] — `make start L=NN [DIR=folder]
# [FROM=folder]`: create work/NN-name/ (or DIR), the student's own copy to
# turn into lesson NN, and build it once.
#
# What it starts with is in tests/grade/NN-name.start:
#   from LESSON        the source files (*.c, *.h, Makefile) of that lesson:
#                      usually the one before, the code lesson NN grows from.
#                      FROM=folder takes them from there instead: your own
#                      lesson (make start L=04 FROM=work/02-line-framing)
#   given FILE...      copied from lesson NN itself: what the lesson pastes and
#                      explains rather than types (its Makefile, a parser...)
#   starter FILE...    copied from tests/grade/starter/NN-name/: an outline to fill in
# A workspace is never overwritten. work/ is git-ignored. When it does not
# build yet because files are still to write (lessons 04 and 05), it prints
# the to-do list (tests/grade/todo.sh), not the linker's lines.
# Plain bash 3.2 and POSIX tools, so it runs on macOS too.
set -uo pipefail
caller_dir=$PWD
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

die() { printf 'start: %s\n' "$*" >&2; exit 2; }
# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}
# in_caller PATH: PATH as given from the folder make was run in, if it is
# there, else from the top of the repository.
in_caller() {
    case $1 in
        /*) echo "$1" ;;
        *) if [ -e "$caller_dir/$1" ]; then echo "$caller_dir/$1"; else echo "$1"; fi ;;
    esac
}

nn=${1:-} dir_arg=${2:-} from_arg=${3:-}
[ -n "$nn" ] || die "which lesson? make start L=01 (or 02, 03, ...)"
lesson=$(lesson_named "$nn")
[ -n "$lesson" ] || die "no lesson $nn in lessons/ (there are: $(cd lessons && echo *))"
plan=tests/grade/$lesson.start
[ -f "$plan" ] || die "lesson $nn has no workspace plan yet ($plan)"
ws=${dir_arg:-work/$lesson}
opts="${dir_arg:+ DIR=$dir_arg}"
if [ -e "$ws" ]; then
    printf 'start: %s exists already, and is left as it is: your work is safe.\n' "$ws"
    printf '       To start over: mv %s %s.old && make start L=%s%s%s\n' "$ws" "$ws" "$nn" "$opts" "${from_arg:+ FROM=$from_arg}"
    exit 1
fi

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
src=
if [ -n "$from_arg" ]; then
    [ -n "$from" ] || die "lesson $nn starts from an outline, not from an earlier lesson: FROM= does not apply"
    src=$(in_caller "$from_arg")
    [ -f "$src/server.c" ] || die "FROM=$from_arg has no server.c: give the folder of your lesson ${from%%-*} (e.g. work/$from)"
elif [ -n "$from" ]; then
    src=lessons/$from
fi

mkdir -p "$ws" || die "cannot create $ws"
copy() {    # copy FROM_DIR FILE
    [ -f "$1/$2" ] || { rm -rf "$ws"; die "$plan names $1/$2, which does not exist"; }
    cp "$1/$2" "$ws/$2"
}
if [ -n "$src" ]; then
    for f in "$src"/*.c "$src"/*.h "$src/Makefile"; do
        [ -f "$f" ] && copy "$src" "$(basename "$f")"
    done
fi
for f in $given; do copy "lessons/$lesson" "$f"; done
for f in $starter; do copy "tests/grade/starter/$lesson" "$f"; done

if [ -n "$from_arg" ]; then
    printf 'start: %s created from %s: your lesson %s\n' "$ws" "$from_arg" "${from%%-*}"
elif [ -n "$from" ]; then
    printf 'start: %s created from lesson %s: the reference code in lessons/%s, not yours.\n' "$ws" "$from" "$from"
    if [ -d "work/$from" ]; then
        printf '       To start from your own (work/%s) instead:\n' "$from"
        printf '         rm -r %s && make start L=%s%s FROM=work/%s\n' "$ws" "$nn" "$opts" "$from"
    else
        printf '       To start from your own lesson %s instead: make start L=%s%s FROM=its-folder\n' "${from%%-*}" "$nn" "$opts"
    fi
else
    printf 'start: %s created from a starter outline\n' "$ws"
fi
[ -z "$given" ] || printf '       given by lesson %s (read them, do not retype them): %s\n' "$nn" "$given"
[ -z "$starter" ] || printf '       outlines to fill in: %s\n' "$starter"
build=$(mktemp "${TMPDIR:-/tmp}/start-build.XXXXXX") || die "mktemp failed"
trap 'rm -f "$build"' EXIT
if make -s --no-print-directory -C "$ws" COMMON="$REPO/common" >"$build" 2>&1; then
    printf '       it builds: make -C %s\n' "$ws"
    # It builds, but files may still be empty (lesson 05 with 04's server.c).
    tests/grade/todo.sh "$nn" "$ws" && printf '\n'
elif tests/grade/todo.sh "$nn" "$ws" "$build"; then
    printf 'It builds once they exist: each file'"'"'s part of the header says what its names are for.\n'
else
    cat "$build"
    printf 'start: warning: %s does not build yet (output above)\n' "$ws"
fi
printf '\nNext: read lessons/%s/README.md, edit %s/, then: make grade L=%s%s\n' "$lesson" "$ws" "$nn" "$opts"
