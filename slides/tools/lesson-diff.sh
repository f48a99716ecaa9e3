#!/usr/bin/env bash
# lesson-diff.sh NN — what lesson NN changed against the lesson before it, as
# one unified diff of their server sources (*.c and *.h). `make diff L=NN`.
# A file only one of the two lessons has is diffed against nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:?usage: lesson-diff.sh NN   (e.g. 02)}
lessons=()
for d in lessons/*/; do
    [ -f "$d/server.c" ] && lessons+=("${d%/}")
done
prev='' this=''
for ((i = 0; i < ${#lessons[@]}; i++)); do
    case ${lessons[i]##*/} in
    "$n"-*)
        this=${lessons[i]}
        [ "$i" -gt 0 ] && prev=${lessons[i - 1]} ;;
    esac
done
[ -n "$this" ] || { echo "lesson-diff: no lesson $n with a server.c" >&2; exit 2; }
[ -n "$prev" ] || { echo "lesson-diff: lesson $n is the first; nothing to diff against" >&2; exit 2; }

shopt -s nullglob
files=$(for f in "$prev"/*.[ch] "$this"/*.[ch]; do echo "${f##*/}"; done | sort -u)
status=0
for f in $files; do
    a=$prev/$f b=$this/$f
    [ -f "$a" ] || a=/dev/null
    [ -f "$b" ] || b=/dev/null
    # diff exits 1 when the files differ: that is the point, not an error.
    diff -u --label "$prev/$f" --label "$this/$f" "$a" "$b" || [ $? -eq 1 ] || status=2
done
exit $status
