#!/usr/bin/env bats
# The slides (slides/README.md): every lesson has a deck and a README, every
# deck builds, no slide's code has drifted from its source, the "try it"
# commands still print what the decks say, and a deck renders in Chromium.
# The decks are built once, for the whole file, into a temporary folder.

load helper

setup_file() {
    REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    export SLIDES_BUILD=$BATS_FILE_TMPDIR/build
    [ -x "$REPO/node_modules/.bin/marp" ] || {
        echo "# Marp CLI is not installed: run make deps (or make test)" >&3
        return 0
    }
    make -s -C "$REPO/slides" BUILD="$SLIDES_BUILD" >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
        echo "# make -C slides failed; see the 'every deck builds' test" >&3
}

# Lessons with a server, as names: 01-echo 02-line-framing ...
lessons() {
    local d
    for d in "$REPO"/lessons/*/server.c; do basename "$(dirname "$d")"; done
}

decks() {
    ls "$REPO"/slides/[0-9][0-9]-*.md
}

# The decks, and the lesson READMEs: a README may use the same checked blocks.
decks_and_readmes() {
    decks
    ls "$REPO"/lessons/*/README.md 2>/dev/null || true
}

# missing_for PATTERN: the files, one per lesson (%s is its name), that do not exist.
missing_for() {
    local l
    for l in $(lessons); do
        # shellcheck disable=SC2059
        [ -f "$REPO/$(printf "$1" "$l")" ] || printf "$1 " "$l"
    done
}

@test "slides: every lesson with a server has a deck" {
    run missing_for 'slides/%s.md'
    [ -z "$output" ] || fail "no deck: $output(copy slides/02-line-framing.md)"
}

@test "slides: every lesson with a server has a README" {
    run missing_for 'lessons/%s/README.md'
    [ -z "$output" ] || fail "no README: $output"
}

@test "slides: every deck builds into one self-contained HTML file" {
    [ -x "$REPO/node_modules/.bin/marp" ] || fail "Marp CLI is not installed: run make deps"
    [ -f "$SLIDES_BUILD/.html" ] || fail "make -C slides failed: $(cat "$BATS_FILE_TMPDIR/build.log")"
    local deck html
    for deck in $(decks); do
        html=$SLIDES_BUILD/$(basename "$deck" .md).html
        [ -s "$html" ] || fail "not built: $html"
        # Images are inlined (slides/engine.mjs): nothing is fetched from elsewhere.
        run grep -o -E '(src="|url\(&quot;|url\(")[^d][^"&]*' "$html"
        assert_output ""
    done
}

@test "slides: every diagram is drawn" {
    local dot
    for dot in "$REPO"/slides/diagrams/*.dot; do
        [ -s "${dot%.dot}.svg" ] || fail "not built: ${dot%.dot}.svg"
        grep -q '<svg' "${dot%.dot}.svg"
    done
}

@test "slides: no slide's code has drifted from the file it names" {
    local files
    mapfile -t files < <(decks_and_readmes)
    run node "$REPO/slides/tools/check.mjs" code "${files[@]}"
    assert_success
    assert_output --partial ", 0 drifted"
}

@test "slides: every deck has the parts of a lesson, and instructor notes" {
    local deck part first
    first=$(decks | head -1)
    for deck in $(decks); do
        for part in "## The problem" "## The idea" "## The code" "## Pitfalls" "## Try it" "## Exercises"; do
            grep -q "^$part" "$deck" || fail "$deck has no '$part' slide"
        done
        grep -q '^Time: ' "$deck" || fail "$deck: the notes do not say the time per lesson ('Time: ')"
        grep -q 'Checkpoint' "$deck" || fail "$deck: the notes name no live-coding checkpoint"
        grep -q '^```console try-it' "$deck" || fail "$deck has no checked 'try-it' block"
        [ "$deck" = "$first" ] && continue
        # The lesson's own diff against the one before it, quoted from make diff.
        local n
        n=$(basename "$deck" | cut -c1-2)
        grep -q "^## What changed since lesson" "$deck" || fail "$deck has no 'What changed since lesson' slide"
        grep -q "^\`\`\`diff make diff L=$n\$" "$deck" || fail "$deck quotes no block of 'make diff L=$n'"
    done
}

@test "slides: the 'try it' commands still print what the decks and READMEs say" {
    [ -x "$TCPC" ] || fail "tests/tcpc is not built: make -C tests"
    local files
    mapfile -t files < <(decks_and_readmes)
    run node "$REPO/slides/tools/check.mjs" try-it "${files[@]}"
    assert_success
    refute_output --partial FAILED
}

@test "slides: make diff L=02 is lesson 02 against lesson 01, as a unified diff" {
    run make -s -C "$REPO" diff L=02
    assert_success
    assert_line --index 0 "--- lessons/01-echo/server.c"
    assert_line --index 1 "+++ lessons/02-line-framing/server.c"
    assert_output --partial "+static void answer_lines(struct conn *c)"
    run "$REPO/slides/tools/lesson-diff.sh" 01
    assert_failure
    assert_output --partial "is the first"
}

@test "slides: make diff shows server.c first, new files from /dev/null, a summary; no L= is a usage line" {
    run "$REPO/slides/tools/lesson-diff.sh" 05
    assert_success
    assert_line --index 0 "--- lessons/04-chat-broadcast/server.c"
    assert_line "--- /dev/null"
    assert_line "+++ lessons/05-shutdown-timeouts-limits/shutdown.c"
    assert_line --regexp '^lessons/04-chat-broadcast -> lessons/05-shutdown-timeouts-limits: \+[0-9]+ -[0-9]+$'
    assert_line --regexp '^ lessons/05-shutdown-timeouts-limits/chat.c +unchanged$'
    run make -s -C "$REPO" diff
    assert_failure
    assert_line --index 0 --partial "usage: make diff L=NN"
}

@test "slides: a deck renders in headless Chromium, and not blank" {
    local chrome
    chrome=$("$REPO/slides/tools/find-chrome.sh") || skip "no Chromium (apt-get install chromium)"
    [ -f "$SLIDES_BUILD/.html" ] || fail "the decks did not build"
    local html png=$BATS_TEST_TMPDIR/slide.png
    html=$SLIDES_BUILD/$(basename "$(decks | head -1)" .md).html
    # No network, no sandbox (we may be root), a profile of our own; slide 4.
    "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$BATS_TEST_TMPDIR/profile" --hide-scrollbars \
        --window-size=1280,720 --screenshot="$png" "file://$html#4" >/dev/null 2>&1 3>&- ||
        fail "$chrome could not take a screenshot"
    run node "$REPO/slides/tools/check.mjs" png "$png"
    assert_success
}
