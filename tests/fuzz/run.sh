#!/usr/bin/env bash
# `make fuzz`: the long fuzz and stress run, for the record; not part of
# the test command, which runs bounded versions. SEED=n replays a run (every
# program prints the seed it used). FUZZ_KERNEL picks the host kernel: the
# debug one by default (KASAN, lockdep, kmemleak, UBSAN), so that a fault
# the fuzzers provoke is reported even when the host survives it.
# The whole run is four boots (tests/plans/fuzz-*), hours of TCG each;
# FUZZ_PLANS="fuzz-guest-1 ..." runs some of them, so that a long run can
# be done in parts with one SEED.
set -euo pipefail
STAGE=fuzz
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/../../qemu-scripts/lib.sh"
qs=$RVKVM_ROOT/qemu-scripts

seed=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
# Hours of guest work under TCG: raise the runner's per-command limit and
# the boot's, both overridable.
timeout_s=${FUZZ_TIMEOUT:-43200}

"$qs/00-install.sh"
kernel=${FUZZ_KERNEL:-debug}
"$qs/10-kernel.sh" "$kernel"
"$qs/20-module.sh" "$kernel"
"$qs/30-initramfs.sh" "$kernel"
say "long fuzz on the $kernel kernel, seed $seed (replay: SEED=$seed make fuzz)"
read -ra plans <<<"${FUZZ_PLANS:-fuzz-ioctl fuzz-guest-1 fuzz-guest-2 fuzz-stress}"
# Two boots at a time, one per host core.
rc=0
for ((i = 0; i < ${#plans[@]}; i += 2)); do
	pids=()
	for plan in "${plans[@]:i:2}"; do
		[ -f "$RVKVM_ROOT/tests/plans/$plan" ] || die "no plan $plan"
		BOOT_TIMEOUT=$((timeout_s + 600)) \
			BOOT_APPEND="rvtest.seed=$seed rvtest.timeout=$timeout_s" \
			"$qs/40-boot.sh" "$kernel" "$plan" &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
done
say "what the fuzzers ran:"
for plan in "${plans[@]}"; do
	grep -aE '^(fuzz-ioctl|fuzz-guest|stress): [0-9]' \
		"$(work_dir results)/$plan.log" || true
done
exit "$rc"
