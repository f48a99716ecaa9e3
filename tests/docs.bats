#!/usr/bin/env bats
# The READMEs' transcripts are either checked or say they are not.
#
# The rule, for README.md and every lessons/*/README.md:
#   ```console try-it [ARGS]   commands and their output, run against a real
#                              server by tests/slides.bats (slides/tools/check.mjs)
#   ```text server-log         that server's log; must follow a try-it block
#   ```console illustration    a transcript that is not checked (timing, your
#   ```text illustration       machine, tools the tests do not install)
#   ```sh                      commands to type, no output
#   ```text                    not a transcript: diagrams, file trees
#   ```c, ```json, ...         code, in any language
# A bare ``` fence, an unmarked ```console, or output in a ```sh block is an error.

load helper

# Lessons whose READMEs are being re-cut elsewhere and not yet marked: take
# a lesson out of this list as soon as its README follows the rule.
NOT_YET=""

readmes() {
    local f l
    ls "$REPO/README.md"
    for f in "$REPO"/lessons/*/README.md; do
        l=$(basename "$(dirname "$f")")
        case " $NOT_YET " in *" $l "*) continue ;; esac
        echo "$f"
    done
}

# Print "file:line: why" for every block that breaks the rule.
check_readme() {
    awk -v f="${1#"$REPO"/}" '
        function bad(why) { printf "%s:%d: %s\n", f, NR, why }
        !inside && /^ *```/ {
            info = $0; sub(/^ *```/, "", info); sub(/^ +/, "", info)
            inside = 1; start = NR; lang = info; sub(/ .*/, "", lang)
            if (info == "") bad("a bare ``` block: say what it is (console try-it, console illustration, text, sh, ...)")
            else if (lang == "console" && info !~ /^console (try-it|illustration)( |$)/)
                bad("a console block must be \"console try-it\" (checked) or \"console illustration\"")
            else if (info ~ /server-log/ && prev !~ /try-it/)
                bad("a server-log block must follow a try-it block directly")
            prev = info
            next
        }
        inside && /^ *```/ { inside = 0; next }
        inside && lang == "sh" && /^ *\$ / { bad("a sh block holds commands only: a transcript is console try-it or console illustration") }
    ' "$1"
}

@test "docs: every README transcript is checked (try-it) or marked as an illustration" {
    local f problems=""
    for f in $(readmes); do
        problems+=$(check_readme "$f")$'\n'

    done
    [ -z "${problems//$'\n'/}" ] || fail "$(printf 'blocks that break the rule (see tests/docs.bats):\n%s' "$problems")"
}

@test "docs: the check catches an unmarked transcript" {
    local f=$BATS_TEST_TMPDIR/README.md
    printf '%s\n' '# x' '```console' '$ echo hi' 'hi' '```' '```' 'log' '```' '```text server-log' 'x' '```' >"$f"
    run check_readme "$f"
    assert_line --partial ':2: a console block must be'
    assert_line --partial ':6: a bare ``` block'
    assert_line --partial ':9: a server-log block must follow a try-it block'
}
