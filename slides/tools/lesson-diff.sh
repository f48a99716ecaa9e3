#!/usr/bin/env bash
# lesson-diff.sh NN [FROM] — what lesson NN changed against the lesson before
# it (or against lesson FROM), as one unified diff of their sources (*.c and
# *.h), server.c first, then a --stat style summary. `make diff L=NN [FROM=MM]`,
# e.g. `make diff L=04 FROM=02`: lesson 04 was built on 02's line server. A
# file only lesson NN has is new (`--- /dev/null`); a file only the older
# lesson has is left out (04 has no use for 03's rpc.c).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 1 ] || [ -z "$1" ]; then
    echo "usage: make diff L=NN [FROM=MM]   (e.g. make diff L=03, make diff L=04 FROM=02)" >&2
    exit 2
fi
n=$1
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
# The files `make start L=NN` hands a student ready-made (the "given" line of
# tests/grade/NN-name.start) are pasted and read aloud in class, not typed:
# the summary marks them, and counts the typed lines apart.
given=' '
plan=tests/grade/${this##*/}.start
[ -f "$plan" ] && given=" $(sed -n 's/^given //p' "$plan" | tr '\n' ' ') "
# server.c first: it is what the instructor types; then the rest by name.
files="server.c $(for f in "$this"/*.[ch]; do f=${f##*/}; [ "$f" = server.c ] || echo "$f"; done | sort)"
status=0
stat=''
total_added=0 total_removed=0 typed_added=0 typed_removed=0
for f in $files; do
    a=$prev/$f b=$this/$f label=$prev/$f
    [ -f "$a" ] || { a=/dev/null; label=/dev/null; }
    # diff exits 1 when the files differ: that is the point, not an error.
    out=$(diff -u --label "$label" --label "$b" "$a" "$b") || [ $? -eq 1 ] || status=2
    [ -n "$out" ] || { stat+=$(printf ' %-52s unchanged' "$b")$'\n'; continue; }
    printf '%s\n' "$out"
    added=$(printf '%s\n' "$out" | grep -c '^+' || true)
    removed=$(printf '%s\n' "$out" | grep -c '^-' || true)
    added=$((added - 1)) removed=$((removed - 1))     # not the ---/+++ lines
    [ "$a" = /dev/null ] && removed=0
    total_added=$((total_added + added)) total_removed=$((total_removed + removed))
    note=''
    [ "$a" = /dev/null ] && note='new'
    case $given in
    *" $f "*) note="${note:+$note, }given" ;;
    *) typed_added=$((typed_added + added)) typed_removed=$((typed_removed + removed)) ;;
    esac
    stat+=$(printf ' %-52s +%d -%d%s' "$b" "$added" "$removed" "${note:+ ($note)}")$'\n'
done
printf '\n%s %s\n' "$prev -> $this:" "+$total_added -$total_removed"
printf '%s' "$stat"
[ "$given" = ' ' ] ||
    printf 'typed: +%d -%d (the files marked given come ready-made: make start L=%s)\n' \
        "$typed_added" "$typed_removed" "$n"
exit $status
