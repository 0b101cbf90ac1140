# shellcheck shell=bash
# Common settings for the qemu-scripts stages; sourced, never run.

RVKVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RVKVM_CACHE=${RVKVM_CACHE:-$HOME/.cache/rvkvm}
CROSS_COMPILE=${CROSS_COMPILE:-riscv64-linux-gnu-}
KSRC_PKG=${KSRC_PKG:-linux-source-6.1}
JOBS=${JOBS:-$(nproc)}
export RVKVM_ROOT RVKVM_CACHE CROSS_COMPILE KSRC_PKG JOBS

say() { printf '[%s] %s\n' "${STAGE:-rvkvm}" "$*"; }
die() { printf '[%s] error: %s\n' "${STAGE:-rvkvm}" "$*" >&2; exit 1; }

# Debian package version of the kernel source, part of every cache key.
ksrc_version() {
	dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null ||
		die "$KSRC_PKG is not installed (run qemu-scripts/00-install.sh)"
}

# Where the unpacked kernel source lives.
ksrc_dir() { echo "$RVKVM_CACHE/${KSRC_PKG#linux-source-}-$(ksrc_version)-src"; }

# Config fragments that make up a named config, in merge order.
config_fragments() {
	local cfg=$1 dir=$RVKVM_ROOT/qemu-scripts/config
	case $cfg in
	vendor | intree) echo "$dir/slim.config $dir/$cfg.config" ;;
	debug) echo "$dir/slim.config $dir/vendor.config $dir/debug.config" ;;
	*) die "unknown kernel config '$cfg' (vendor, intree, debug)" ;;
	esac
}

# Build directory for a config: keyed by source version, fragments, compiler.
kbuild_dir() {
	local cfg=$1 key
	# shellcheck disable=SC2046
	key=$( {
		ksrc_version
		cat $(config_fragments "$cfg")
		"${CROSS_COMPILE}gcc" --version | head -n 1
	} | sha256sum | cut -c1-12)
	echo "$RVKVM_CACHE/build-${KSRC_PKG#linux-source-}-$cfg-$key"
}

# Work area for things rebuilt on every run (module copies, initramfs, logs);
# RVKVM_WORK separates parallel checkouts that share one kernel cache.
work_dir() { echo "${RVKVM_WORK:-$RVKVM_CACHE/work}/$1"; }
