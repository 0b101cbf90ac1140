#!/usr/bin/env bash
# Stage 3: build the test programs (static riscv64) and the kernel's KVM
# selftests, and pack them with the modules and the test plans into a fresh
# initramfs.
set -euo pipefail
STAGE=initramfs
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cfg=${1:?usage: 30-initramfs.sh vendor|intree|debug}
STAGE="initramfs $cfg"
kb=$(kbuild_dir "$cfg")
mod=$(work_dir "module-$cfg")/rvkvm.ko
[ -f "$mod" ] || die "no $mod (run 20-module.sh $cfg)"
out=$(work_dir "initramfs-$cfg")
bin=$out/bin

rm -rf "$out"
mkdir -p "$bin"
say "building test programs"
make -s -C "$RVKVM_ROOT/tests" O="$bin" CROSS_COMPILE="$CROSS_COMPILE"
"$RVKVM_ROOT/tests/selftests/build.sh" "$out/selftests"

spec=$out/spec
{
	for d in /dev /bin /bin/selftests /lib /lib/modules /plans /proc /sys /tmp; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $bin/init 0755 0 0"
	for p in "$bin"/*; do
		[ "$(basename "$p")" = init ] || echo "file /bin/$(basename "$p") $p 0755 0 0"
	done
	for p in "$out"/selftests/*; do
		echo "file /bin/selftests/$(basename "$p") $p 0755 0 0"
	done
	echo "file /lib/modules/rvkvm.ko $mod 0644 0 0"
	if [ "$cfg" = intree ]; then
		echo "file /lib/modules/kvm.ko $kb/arch/riscv/kvm/kvm.ko 0644 0 0"
	fi
	for p in "$RVKVM_ROOT"/tests/plans/*; do
		echo "file /plans/$(basename "$p") $p 0644 0 0"
	done
} >"$spec"
"$kb/usr/gen_init_cpio" "$spec" | gzip -1 >"$out/initramfs.cpio.gz"
say "packed $out/initramfs.cpio.gz ($(stat -c %s "$out/initramfs.cpio.gz") bytes)"
