#!/usr/bin/env bash
# lesson-diff.sh NN [FROM] — what lesson NN changed against the lesson before
# it (or against lesson FROM), as one unified diff of their sources (*.c and
# *.h). `make diff L=NN [FROM=MM]`, e.g. `make diff L=04 FROM=02`: lesson 04
# was built on 02's line server. A file only lesson NN has is shown as new; a
# file only the older lesson has is left out (lesson 05 reuses 04's chat.c
# through its Makefile, and 04 simply has no use for 03's rpc.c).
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:?usage: lesson-diff.sh NN [FROM]   (e.g. 02)}
from=${2:-}
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
if [ -n "$from" ]; then
    prev=''
    for l in "${lessons[@]}"; do
        case ${l##*/} in "$from"-*) prev=$l ;; esac
    done
    [ -n "$prev" ] || { echo "lesson-diff: no lesson $from with a server.c" >&2; exit 2; }
fi
[ -n "$this" ] || { echo "lesson-diff: no lesson $n with a server.c" >&2; exit 2; }
[ -n "$prev" ] || { echo "lesson-diff: lesson $n is the first; nothing to diff against" >&2; exit 2; }

shopt -s nullglob
files=$(for f in "$prev"/*.[ch] "$this"/*.[ch]; do echo "${f##*/}"; done | sort -u)
status=0
for f in $files; do
    a=$prev/$f b=$this/$f
    [ -f "$b" ] || continue             # not part of this lesson
    [ -f "$a" ] || a=/dev/null
    # diff exits 1 when the files differ: that is the point, not an error.
    diff -u --label "$prev/$f" --label "$this/$f" "$a" "$b" || [ $? -eq 1 ] || status=2
done
exit $status
