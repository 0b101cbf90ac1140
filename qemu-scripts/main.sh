#!/usr/bin/env bash
# The main job: build everything, boot the riscv64 QEMU host with the vendor
# kernel (CONFIG_KVM off), load rvkvm, show what it detected and run small
# guests through it.
set -euo pipefail
STAGE=main
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/lib.sh"
qs=$RVKVM_ROOT/qemu-scripts

"$qs/00-install.sh"
"$qs/10-kernel.sh" vendor
"$qs/20-module.sh" vendor
"$qs/30-initramfs.sh" vendor
rc=0
"$qs/40-boot.sh" vendor demo || rc=$?
say "what rvkvm said on the QEMU host:"
grep -a 'rvkvm: ' "$(work_dir results)/demo.log" | grep -v '^rvtest' || true
say "guests run through rvkvm: $(grep -ac '^rvtest: PASS \(run\|smp\)/' \
	"$(work_dir results)/demo.log") checks passed"
exit "$rc"
