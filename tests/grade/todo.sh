#!/usr/bin/env bash
# tests/grade/todo.sh NN DIR [BUILD-LOG] — the to-do list of a workspace whose lesson
# gives a header that says which file defines what (lessons 04 and 05:
# room.h, whose comments "/* room.c: ... */", "/* limits.c: ... */" head the
# declarations each file provides). make start and make grade print it.
#
# For each function and variable such a header declares, it checks whether
# one of the server's source files (server.c and server_SRCS in the
# workspace's Makefile) defines it: each file is compiled alone (-c, no
# warnings) and nm(1) lists what it defines. What no file defines yet is
# listed under the file the header names (for a name in no file's part, the
# file where lessons/NN-name defines it). Files that do not exist yet are
# to create; an empty file defines nothing, so it is never "done". A file
# that does not compile is named with its compiler's first error, and a
# definition that `static` hides (room.h shares it now) is said so, with the
# exact change.
#
# Prints nothing and exits 1 when there is nothing to do (or the lesson has
# no such header); prints the list and exits 0 otherwise. Given the output of
# a failed build, it adds the errors the list does not explain.
# Plain bash 3.2 and POSIX tools (cc, nm -P), so it runs on macOS too.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
nn=${1:?usage: todo.sh NN DIR}
dir=${2:?usage: todo.sh NN DIR}
lesson=
for d in "$REPO"/lessons/"$nn"-*/; do [ -d "$d" ] && lesson=$(basename "$d"); done
[ -n "$lesson" ] && [ -d "$dir" ] || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/todo.XXXXXX") || exit 1
trap '[ -n "${TODO_KEEP:-}" ] || rm -rf "$tmp"' EXIT

# The headers with a file's part in them: the lesson's, as the workspace has it.
headers=
for h in "$REPO/lessons/$lesson"/*.h; do
    [ -f "$h" ] && grep -q '^/\* [a-z_-]*\.c[ :*]' "$h" && [ -f "$dir/$(basename "$h")" ] &&
        headers="$headers $dir/$(basename "$h")"
done
[ -n "$headers" ] || exit 1

# declared: FILE NAME KIND (KIND: f a function, v a variable), in header
# order. A statement is read up to its ";" at brace depth 0, comments and
# preprocessor lines left out; one with a body ({...}: a struct, an inline
# function) declares nothing to define. FILE is "-" outside any file's part
# (a part ends at a blank line).
# shellcheck disable=SC2086 # a list of paths
awk '
function flush(   s, n, i, parts, name) {
    s = stmt; stmt = ""
    if (s ~ /\{/ || s ~ /^[ \t]*(typedef|static|enum|struct[ \t]+[A-Za-z_0-9]+[ \t]*;)/) return
    gsub(/__attribute__[ \t]*\(\(.*\)\)[ \t]*/, "", s)
    if (s ~ /^[ \t]*extern[ \t]/) {
        sub(/^[ \t]*extern[ \t]+/, "", s); sub(/;.*/, "", s)
        n = split(s, parts, ",")
        for (i = 1; i <= n; i++) {
            name = parts[i]; gsub(/\[[^]]*\]/, "", name); gsub(/[ \t]+$/, "", name)
            sub(/.*[^A-Za-z0-9_]/, "", name)
            if (name != "") print (sfile == "" ? "-" : sfile), name, "v"
        }
        return
    }
    if (s ~ /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/) {
        name = s; sub(/[ \t]*\(.*/, "", name); sub(/.*[^A-Za-z0-9_]/, "", name)
        if (name != "") print (sfile == "" ? "-" : sfile), name, "f"
    }
}
FNR == 1 { file = ""; depth = 0; stmt = ""; incomment = 0 }
{
    line = $0
    if (line ~ /^[ \t]*$/) { if (depth == 0 && stmt == "") file = ""; next }
    if (incomment) { if (line !~ /\*\//) next; sub(/.*\*\//, "", line); incomment = 0 }
    if (depth == 0 && line ~ /^\/\* *[a-z_-]+\.c[ :*]/) {
        file = line; sub(/^\/\* */, "", file); sub(/[ :*].*/, "", file)
    }
    if (line ~ /^[ \t]*#/) next
    gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", line)
    if (line ~ /\/\*/) { sub(/\/\*.*/, "", line); incomment = 1 }
    if (line ~ /^[ \t]*$/) next
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (stmt == "" && (c == " " || c == "\t")) continue
        if (stmt == "") sfile = file
        stmt = stmt c
        if (c == "{") depth++
        else if (c == "}") { depth--; if (depth == 0) { stmt = stmt "{"; } }
        else if (c == ";" && depth == 0) flush()
    }
    if (depth == 0 && stmt ~ /\}\{$/) stmt = ""      # a body ended without ";": a definition
    if (stmt != "") stmt = stmt " "
}' $headers >"$tmp/declared"
[ -s "$tmp/declared" ] || exit 1

# For a name in no file's part: where the lesson itself defines it.
defined_in_lesson() {   # NAME
    awk -v n="$1" '
    /^[A-Za-z]/ && $0 !~ /^(extern|static|typedef|#)/ {
        s = $0; sub(/[ \t]*\/\*.*/, "", s)
        if (s ~ ("[^A-Za-z0-9_]" n "[ \t]*(\\[[^]]*\\])?[ \t]*(=.*)?;$") || s ~ ("[^A-Za-z0-9_]" n "[ \t]*\\(.*[^;]$")) {
            f = FILENAME; sub(/.*\//, "", f); print f; exit
        }
    }' "$REPO/lessons/$lesson"/*.c
}
while read -r file name kind; do
    if [ "$file" = - ]; then
        file=$(defined_in_lesson "$name")
        [ -n "$file" ] || file=server.c
    fi
    printf '%s %s %s\n' "$file" "$name" "$kind"
done <"$tmp/declared" >"$tmp/want"

# The server's sources, as the workspace's Makefile lists them.
sources="server.c $(sed -n 's/^server_SRCS *= *//p' "$dir/Makefile" 2>/dev/null | head -n 1)"

# Compile each that exists, alone; nm -P: "NAME TYPE ...", TYPE upper case
# when global (U: used, not defined), lower case when static.
: >"$tmp/defined" ; : >"$tmp/local"; : >"$tmp/broken"
for f in $sources; do
    [ -f "$dir/$f" ] || continue
    if LC_ALL=C "${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -I"$REPO/common" -I"$dir" -w -c \
        "$dir/$f" -o "$tmp/$f.o" >"$tmp/$f.err" 2>&1; then
        nm -P "$tmp/$f.o" 2>/dev/null | awk -v f="$f" '
            { n = $1; sub(/^_/, "", n) }
            $2 ~ /^[A-TV-Z]$/ { print n >>"'"$tmp/defined"'" }
            $2 ~ /^[a-z]$/ { print n, f >>"'"$tmp/local"'" }'
    else
        printf '%s\n' "$f" >>"$tmp/broken"
    fi
done

# The list: one item per file, in the order of the header's parts (a file
# named only through a name outside them comes last).
item=0
say() {
    [ "$item" -gt 0 ] || printf 'Your to-do list (%s says which file defines what; no file of yours defines these yet):\n' \
        "$(for h in $headers; do basename "$h"; done | tr '\n' ' ' | sed 's/ $//')"
    item=$((item + 1))
    printf '  %d. %s\n' "$item" "$*"
}
files=$(awk '$1 != "-" && !seen[$1]++ { print $1 }' "$tmp/declared"; awk '{ print $1 }' "$tmp/want")
for file in $(printf '%s\n' "$files" | awk '!seen[$1]++'); do
    case " $sources " in *" $file "*) ;; *) continue ;; esac
    if grep -qx "$file" "$tmp/broken"; then
        # The one compile error a fresh workspace meets: a function that was
        # static in the lesson before and that the header shares now.
        static=$(sed -n "s/.*:\([0-9][0-9]*\):[0-9]*: error: static declaration of '\([A-Za-z_0-9]*\)' follows non-static declaration.*/\2 \1/p" "$tmp/$file.err" | head -n 1)
        if [ -n "$static" ]; then
            say "$file: ${static% *}() is declared in $(basename "${headers# }") now, for the other files to call: remove \`static\` from its definition ($file line ${static#* })"
        else
            say "$file does not compile yet: $(grep -m 1 'error' "$tmp/$file.err" | cut -c 1-160) (make -C ${dir#"$REPO"/} shows all)"
        fi
        continue
    fi
    missing="" hidden=""
    while read -r f name kind; do
        [ "$f" = "$file" ] || continue
        grep -qx "$name" "$tmp/defined" && continue
        shown=$name
        [ "$kind" = f ] && shown="$name()"
        if grep -q "^$name $file\$" "$tmp/local"; then
            hidden="$hidden, $shown"
        else
            missing="$missing, $shown"
        fi
    done <"$tmp/want"
    [ -n "$missing$hidden" ] || continue
    missing=${missing#, } hidden=${hidden#, }
    [ -z "$hidden" ] || hidden="$(basename "${headers# }") shares $hidden, static in your $file: drop \`static\`"
    if [ ! -f "$dir/$file" ]; then
        say "create $file: $missing"
    elif [ ! -s "$dir/$file" ] || ! grep -q '[^[:space:]]' "$dir/$file"; then
        say "$file (empty): $missing"
    else
        say "$file: ${missing:+still to write: $missing}${missing:+${hidden:+; }}$hidden"
    fi
    printf '%s\n' "$file" >>"$tmp/listed"
done
[ "$item" -gt 0 ] || exit 1

# With a build's output: what in it the list does not explain (a missing
# file it does not name, a compile error, an undefined name no header
# declares); the rest (the linker's lines for each name above) is noise now.
if [ -n "${3:-}" ] && [ -s "$3" ]; then
    awk -v want="$tmp/want" -v listed="$tmp/listed" '
    BEGIN {
        while ((getline l < want) > 0) { split(l, w, " "); known[w[2]] = 1 }
        while ((getline l < listed) > 0) mine[l] = 1
    }
    /undefined reference to|undefined symbol|referenced from/ {
        n = $0; sub(/.*(undefined reference to [`'"'"'"]|undefined symbol: |^[ \t]*")/, "", n)
        sub(/[`'"'"'"].*/, "", n); sub(/^_/, "", n); sub(/[ ,].*/, "", n)
        if (n != "" && !(n in known) && !seen[n]++) print "undefined: " n
        next
    }
    /No rule to make target/ {
        f = $0; sub(/.*target [`'"'"'"]/, "", f); sub(/[`'"'"'"].*/, "", f)
        if (!(f in mine)) print; next
    }
    /static declaration of .* follows non-static declaration/ { next }
    /collect2: error|linker command failed|symbol\(s\) not found|^make(\[[0-9]+\])?: \*\*\*/ { next }
    /(^|: )(fatal )?error: / { if (++errors <= 10) print }
    ' "$3" >"$tmp/other"
    if [ -s "$tmp/other" ]; then
        printf 'And the compiler says:\n'
        sed 's/^/  /' "$tmp/other"
    fi
fi
exit 0
