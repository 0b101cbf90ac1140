#!/usr/bin/env bash
# Stage 0: install the Debian packages the build and the QEMU host need.
set -euo pipefail
STAGE=install
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/lib.sh"

pkgs=(qemu-system-misc opensbi gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
	"$KSRC_PKG" make gcc bc bison flex libssl-dev libelf-dev cpio xz-utils
	kmod rsync perl python3 dkms shellcheck)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say "all ${#pkgs[@]} packages present"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
say "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say "installed ${#missing[@]} packages"
