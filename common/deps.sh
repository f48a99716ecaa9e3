#!/usr/bin/env bash
# deps.sh GROUP... — make sure what GROUP needs is installed, installing what
# is missing (apt-get on Debian/Ubuntu, brew on macOS) and saying so. Where it
# cannot install (not root, no passwordless sudo) it prints the one command
# that would, and fails.
#
#   build   a C compiler, make, pkg-config, cJSON
#   test    bats-core with bats-support and bats-assert
#   bench   gnuplot, for the benchmark plots (make bench)
set -euo pipefail

apt_pkgs=() brew_pkgs=() what=()

# need DESCRIPTION TEST-COMMAND APT-PACKAGE BREW-PACKAGE
need() {
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
        ;;
    bench)
        need "gnuplot (bench plots)" "command -v gnuplot" gnuplot-nox gnuplot
        ;;
    *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done

[ ${#what[@]} -eq 0 ] && exit 0

echo "deps: missing: $(IFS=,; echo "${what[*]}" | sed 's/,/, /g')"
if command -v apt-get >/dev/null 2>&1; then
    install="apt-get update -q && apt-get install -y --no-install-recommends ${apt_pkgs[*]}"
    if [ "$(id -u)" = 0 ]; then sudo=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo "
    else
        echo "deps: run this, then try again:"
        echo "    sudo sh -c '$install'"
        exit 1
    fi
    echo "deps: installing with: ${sudo}apt-get install ${apt_pkgs[*]}"
    ${sudo}env DEBIAN_FRONTEND=noninteractive sh -c "$install" >/dev/null
elif command -v brew >/dev/null 2>&1; then
    echo "deps: installing with: brew install ${brew_pkgs[*]}"
    brew install "${brew_pkgs[@]}"
else
    echo "deps: please install: ${what[*]}" >&2
    exit 1
fi
echo "deps: done"
