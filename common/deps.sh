#!/usr/bin/env bash
# deps.sh GROUP... — make sure what GROUP needs is installed, installing what
# is missing (apt-get on Debian/Ubuntu, brew on macOS) and saying so. Where it
# cannot install (not root, no passwordless sudo) it prints the one command
# that would, complete, for this machine (sudo where there is sudo, su -c
# where there is not), and fails. tests/fresh-box.sh checks both on a
# minimal Debian.
#
#   build   a C compiler, make, pkg-config, cJSON
#   test    bats-core with bats-support and bats-assert, and ps/pkill
#           (procps), without which bats cannot time out a test
#   clang   the second compiler CI builds with
#   node    Node.js >= 18 with npm, then the npm packages pinned in
#           package-lock.json (`npm ci` when node_modules is missing or stale):
#           jayson for lesson 03's tests, Marp CLI for the slides
#   slides  node, and Graphviz for the diagrams
#   hardening  clang with libFuzzer, valgrind, cppcheck, clang-tidy, shellcheck
#   bench   gnuplot, for the benchmark plots (make bench); cargo and, on
#           Debian, the packaged Tokio/serde crates for bench/tokio
#   browser Chromium, for the slides' layout test and PDFs (macOS: none
#           installed; tests/slides.bats uses Chrome if it is there)
set -euo pipefail

apt_pkgs=() brew_pkgs=() what=() npm_ci=false

# need DESCRIPTION TEST-COMMAND APT-PACKAGE BREW-PACKAGE
need() {
    case " ${what[*]:-} " in *" $1 "*) return 0 ;; esac   # asked for already
    if ! eval "$2" >/dev/null 2>&1; then
        what+=("$1"); apt_pkgs+=("$3"); brew_pkgs+=("$4")
    fi
}

# Is the bats library $1 where bats_load_library will look for it?
bats_lib() {
    local d
    for d in ${BATS_LIB_PATH:+${BATS_LIB_PATH//:/ }} /usr/lib/bats /usr/local/lib /opt/homebrew/lib; do
        [ -f "$d/$1/load.bash" ] && return 0
    done
    return 1
}

# Can clang link a fuzz target? Debian ships libFuzzer apart from clang; on
# macOS only Homebrew's llvm has it, keg-only, so that clang is named (as
# the top Makefile does for make fuzz).
libfuzzer_works() {
    local tmp rc clang=clang
    if [ "$(uname -s)" = Darwin ] && command -v brew >/dev/null 2>&1; then
        clang="$(brew --prefix llvm 2>/dev/null)/bin/clang"
    fi
    tmp=$(mktemp -d)
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        >"$tmp/t.c"
    "$clang" -fsanitize=fuzzer -o "$tmp/t" "$tmp/t.c" 2>/dev/null
    rc=$?
    rm -rf "$tmp"
    return $rc
}

for group in "$@"; do
    case $group in
    build)
        need "a C compiler" "command -v cc" gcc gcc
        need "pkg-config" "command -v pkg-config" pkg-config pkg-config
        need "cJSON (lesson 03)" "pkg-config --exists 'libcjson >= 1.7.15'" libcjson-dev cjson
        ;;
    test)
        need "bats-core" "command -v bats" bats bats-core
        need "bats-support" "bats_lib bats-support" bats-support bats-core/bats-core/bats-support
        need "bats-assert" "bats_lib bats-assert" bats-assert bats-core/bats-core/bats-assert
        # tests/run sets BATS_TEST_TIMEOUT; bats then needs pkill or ps, which
        # minimal images (debian:12) lack. macOS always has ps.
        need "ps/pkill (procps)" "command -v pkill || command -v ps" procps procps
        ;;
    clang)
        need "clang" "command -v clang" clang llvm
        ;;
    node | slides)
        need "Node.js >= 18" "node -e 'process.exit(+process.versions.node.split(\".\")[0] >= 18 ? 0 : 1)'" nodejs node
        need "npm" "command -v npm" npm node
        npm_ci=true
        [ "$group" = node ] || need "Graphviz" "command -v dot" graphviz graphviz
        ;;
    hardening)
        need "clang" "command -v clang" clang llvm
        need "libFuzzer (clang -fsanitize=fuzzer)" libfuzzer_works libclang-rt-dev llvm
        need "valgrind" "command -v valgrind" valgrind valgrind
        need "cppcheck" "command -v cppcheck" cppcheck cppcheck
        need "clang-tidy" "command -v clang-tidy" clang-tidy llvm
        need "shellcheck" "command -v shellcheck" shellcheck shellcheck
        ;;
    bench)
        need "gnuplot (bench plots)" "command -v gnuplot" gnuplot-nox gnuplot
        need "cargo (bench/tokio)" "command -v cargo" cargo rust
        if command -v apt-get >/dev/null 2>&1; then   # crates built offline from Debian's packages
            need "Tokio crates" "ls -d /usr/share/cargo/registry/tokio-1.*" librust-tokio-dev -
            need "serde_json crates" "ls -d /usr/share/cargo/registry/serde_json-1.*" librust-serde-json-dev -
            need "serde_derive crates" "ls -d /usr/share/cargo/registry/serde_derive-1.*" librust-serde-derive-dev -
        fi
        ;;
    browser)
        # Debian's chromium; on macOS we install nothing (a browser is not a
        # formula): slides/tools/find-chrome.sh finds Chrome or Chromium.app.
        if ! command -v brew >/dev/null 2>&1; then
            need "Chromium (slide layout test)" "command -v chromium" chromium ""
        fi
        ;;
    *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done

# The npm packages, exactly as package-lock.json pins them, once node is there.
# node_modules/.package-lock.json is npm's record of what it last installed.
npm_packages() {
    $npm_ci || return 0
    cd "$(dirname "$0")/.."
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "deps: installing the npm packages with: npm ci"
        npm ci --no-audit --no-fund --loglevel=error
    fi
}

[ ${#what[@]} -eq 0 ] && { npm_packages; exit 0; }

missing=$(IFS=,; echo "${what[*]}")
echo "deps: missing: ${missing//,/, }"
if command -v apt-get >/dev/null 2>&1; then
    # noninteractive: no debconf questions, and no "delaying package
    # configuration" chatter on a box without apt-utils.
    install="export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -qq -y --no-install-recommends ${apt_pkgs[*]}"
    if [ "$(id -u)" = 0 ]; then sudo=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo "
    else
        # One command the user can paste: sudo where it exists, else su
        # (a Debian installed with a root password has no sudo at all).
        if command -v sudo >/dev/null 2>&1; then
            echo "deps: run this (it asks for your password), then try again:"
            echo "    sudo sh -c '$install'"
        else
            echo "deps: run this as root (su asks for the root password), then try again:"
            echo "    su -c '$install'"
        fi
        exit 1
    fi
    echo "deps: installing with: ${sudo}apt-get install ${apt_pkgs[*]}"
    # Quiet unless it fails: then show everything apt said.
    log=$(mktemp)
    # shellcheck disable=SC2086 # $sudo is "" or "sudo ": split on purpose
    if ! ${sudo}sh -c "$install" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "deps: apt-get failed (above)" >&2
        exit 1
    fi
    rm -f "$log"
elif command -v brew >/dev/null 2>&1; then
    echo "deps: installing with: brew install ${brew_pkgs[*]}"
    brew install "${brew_pkgs[@]}"
else
    echo "deps: please install: ${what[*]}" >&2
    exit 1
fi
npm_packages
echo "deps: done"
