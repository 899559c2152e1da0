#!/usr/bin/env bash
# Builds the local base image mpgw-base:<hash> (also tagged mpgw-base:latest) without any image registry:
# mmdebstrap installs docker/base-packages.txt from this machine's own Debian sources into a tar file, and
# `docker import` turns that file into an image. Never pulls. Skips the build when an image with the same
# hash label already exists on the engine (a warm data root makes this take no time).
#
# Usage: docker/base-image.sh            (uses DOCKER_HOST, or the default socket)
#        MPGW_BASE_SOURCES=/path/x.sources docker/base-image.sh   (other apt sources than the machine's)
# Prints the image reference (mpgw-base:<hash>) on the last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# No `cmd | head` under pipefail: head may exit before cmd writes, and SIGPIPE then fails the script.
docker=${DOCKER_CLI:-/usr/bin/docker}
packages_file="$here/base-packages.txt"

# Bump when the recipe below changes in a way that must produce a new image.
recipe_version=1
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
packages=$(grep -v '^\s*#' "$packages_file" | grep -v '^\s*$' | sort -u | paste -sd, -)
hash=$(printf 'recipe=%s suite=%s arch=%s packages=%s\n' "$recipe_version" "$suite" "$(dpkg --print-architecture)" "$packages" \
  | sha256sum | cut -c1-12)
image="mpgw-base:$hash"

existing=$("$docker" image inspect --format '{{ index .Config.Labels "mpgw.base.hash" }}' "$image" 2>/dev/null || true)
if [ "$existing" = "$hash" ]; then
  echo "base image $image exists, not rebuilding" >&2
  "$docker" tag "$image" mpgw-base:latest
  echo "$image"
  exit 0
fi

# The machine's own Debian sources only (deb822 or one-line); third-party repositories stay out of the image.
sources=${MPGW_BASE_SOURCES:-}
if [ -z "$sources" ]; then
  for candidate in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [ -s "$candidate" ] && grep -q 'debian' "$candidate"; then sources=$candidate; break; fi
  done
fi
[ -n "$sources" ] || { echo "no Debian apt sources found; set MPGW_BASE_SOURCES" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/mpgw-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
tarball="$work/rootfs.tar"
echo "building $image from $sources ($suite): $packages" >&2
start=$(date +%s)
# Written to a file, not piped into `docker import`: a failed build must not import a truncated image.
# man pages and docs are left out; openjdk's postinst needs usr/share/man/man1 to exist anyway.
# TMPDIR is unset because mmdebstrap hands it into the chroot, where that path does not exist.
env -u TMPDIR mmdebstrap \
  --mode=root --variant=essential --format=tar \
  --include="$packages" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='rm -f "$1"/etc/hostname "$1"/etc/resolv.conf' \
  "$suite" "$tarball" "$sources" >"$work/mmdebstrap.log" 2>&1 \
  || { tail -40 "$work/mmdebstrap.log" >&2; echo "mmdebstrap failed" >&2; exit 1; }
[ -s "$tarball" ] || { echo "mmdebstrap produced an empty tar file" >&2; exit 1; }

"$docker" import \
  --change "LABEL mpgw.base.hash=$hash" \
  --change "LABEL mpgw.base.packages=$packages" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  "$tarball" "$image" >/dev/null
"$docker" tag "$image" mpgw-base:latest
echo "built $image in $(( $(date +%s) - start )) s ($(du -m "$tarball" | cut -f1) MB tar)" >&2
echo "$image"
