#!/usr/bin/env bash
# tests/fresh-box.sh — the README's quick start on a fresh, minimal Debian 12.
#
# What a newcomer has: `debootstrap --variant=minbase bookworm` (about the
# debian:12 container image) plus build-essential, git and ca-certificates.
# This script builds that box as a chroot, clones the committed HEAD of this
# repository into it, and checks, timing each command:
#
#   1. as a user without root and without sudo: `make test` stops at the
#      missing dependencies and prints one command; that command, run as
#      root (what `su -c` would do after the password), installs everything:
#      `common/deps.sh` then finds nothing missing.
#   2. as root, on a second fresh copy of the box: `make tour`, then
#      `make test`, with nothing installed by hand.
#
# Heavy (a few hundred packages, the whole suite, minutes): run it by hand
# after changing common/deps.sh or the quick start, not from `make test`.
# Needs root, debootstrap and the network (a Debian mirror and npm).
#
#   tests/fresh-box.sh            run both checks
#   FRESH_BOX_CACHE=DIR           where the pristine box and the .deb cache
#                                 live (default /var/tmp/poll-by-hand-fresh-box);
#                                 delete it to start from nothing
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
CACHE=${FRESH_BOX_CACHE:-/var/tmp/poll-by-hand-fresh-box}
MIRROR=${FRESH_BOX_MIRROR:-http://deb.debian.org/debian}
BASE=$CACHE/base            # the pristine box, made once
BOX=$CACHE/box              # a throw-away copy for each check
DEBS=$CACHE/debs            # downloaded .debs, shared by every copy

[ "$(id -u)" = 0 ] || { echo "fresh-box: run as root (chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-box: apt-get install debootstrap" >&2; exit 2; }
HEAD=$(git rev-parse HEAD)
git diff --quiet HEAD || echo "fresh-box: note: uncommitted changes are not tested, only HEAD $HEAD"

say() { printf '\n=== %s\n' "$*"; }

mounted=()
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
    mounted=()
}
trap unmount_all EXIT

mount_into() {      # mount_into TARGET MOUNT-ARGS...
    local target=$1
    shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounted+=("$target")
}

# in_box [--user NAME] COMMAND: run a shell command inside the box, as a
# login shell would (a clean environment, the box's PATH).
in_box() {
    local user=root
    if [ "$1" = --user ]; then user=$2; shift 2; fi
    chroot "$BOX" /usr/bin/env -i HOME="$( [ "$user" = root ] && echo /root || echo "/home/$user")" \
        ${host_ca:+NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt} \
        TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /usr/sbin/runuser -u "$user" -- /bin/bash -c "$1"
}

# timed LABEL [--user NAME] COMMAND: run COMMAND in the box, say how long it took.
timed() {
    local label=$1 start end rc=0
    shift
    start=$(date +%s)
    in_box "$@" || rc=$?
    end=$(date +%s)
    printf 'fresh-box: %-40s %4ds  exit %d\n' "$label" $((end - start)) "$rc" | tee -a "$CACHE/times"
    return "$rc"
}

make_base() {
    [ -x "$BASE/usr/bin/make" ] && [ -x "$BASE/usr/bin/git" ] && return 0
    say "debootstrap --variant=minbase bookworm (once; cached in $BASE)"
    rm -rf "$BASE"
    mkdir -p "$DEBS"
    debootstrap --variant=minbase --cache-dir="$DEBS" \
        --include=build-essential,git,ca-certificates bookworm "$BASE" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
        { tail -20 "$CACHE/debootstrap.log"; exit 1; }
    rm -f "$BASE"/var/cache/apt/archives/*.deb
}

# A fresh copy of the base, the repository cloned at HEAD, and a user
# "newbie" with no root and no sudo (as on a Debian installed with a root
# password: sudo is not even installed).
new_box() {
    unmount_all
    rm -rf "$BOX"
    cp -a "$BASE" "$BOX"
    cp /etc/resolv.conf "$BOX/etc/resolv.conf"
    # A host whose network intercepts TLS (a proxy with its own CA, as in
    # CI sandboxes) has that CA in /usr/local/share/ca-certificates: the box
    # needs it too, or npm cannot reach the registry. Nothing else is copied.
    if [ -n "$host_ca" ]; then
        cp /usr/local/share/ca-certificates/*.crt "$BOX/usr/local/share/ca-certificates/"
        in_box "update-ca-certificates >/dev/null 2>&1"
    fi
    mount_into "$BOX/proc" -t proc proc
    mount_into "$BOX/sys" -t sysfs sys
    mount_into "$BOX/dev" --bind /dev
    mount_into "$BOX/dev/pts" --bind /dev/pts
    mount_into "$BOX/var/cache/apt/archives" --bind "$DEBS"
    in_box "useradd -m -s /bin/bash newbie"
    git clone -q --no-hardlinks "$REPO" "$BOX/home/newbie/poll-by-hand"
    git -C "$BOX/home/newbie/poll-by-hand" checkout -q --detach "$HEAD"
    in_box "chown -R newbie: /home/newbie/poll-by-hand"
}

host_ca=
ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1 && host_ca=yes
mkdir -p "$CACHE" "$DEBS/partial"
: >"$CACHE/times"
make_base

say "1. a user without root or sudo: the printed command must be complete"
new_box
in_box "command -v sudo" >/dev/null && { echo "fresh-box: the box has sudo; it should not"; exit 1; }
rc=0
in_box --user newbie "cd ~/poll-by-hand && make test" >"$CACHE/newbie.out" 2>&1 || rc=$?
cat "$CACHE/newbie.out"
[ "$rc" -ne 0 ] || { echo "fresh-box: make test passed with nothing installed?"; exit 1; }
command=$(sed -n '/^deps: run this as root/{n;s/^ *//;p;q;}' "$CACHE/newbie.out")
case $command in
"su -c '"*"'") ;;
*) echo "fresh-box: FAIL: expected one 'su -c ...' command, got: '$command'"; exit 1 ;;
esac
inner=${command#su -c \'}
inner=${inner%\'}
timed "root runs the printed command" "$inner"
timed "newbie: common/deps.sh build test node slides" --user newbie \
    "cd ~/poll-by-hand && common/deps.sh build test node slides"
echo "fresh-box: the printed command was complete"

say "2. root on a fresh box: the README's two commands"
new_box
timed "make tour" "cd /home/newbie/poll-by-hand && make tour" >"$CACHE/tour.out" 2>&1 || { tail -40 "$CACHE/tour.out"; exit 1; }
tail -3 "$CACHE/tour.out"
timed "make test" "cd /home/newbie/poll-by-hand && make test" >"$CACHE/test.out" 2>&1 || { grep -E '^not ok|^#' "$CACHE/test.out" | head -60; tail -3 "$CACHE/test.out"; exit 1; }
tail -1 "$CACHE/test.out"

say "times"
cat "$CACHE/times"
echo "fresh-box: all passed (HEAD $HEAD)"
