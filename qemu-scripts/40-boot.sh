#!/usr/bin/env bash
# Stage 4: boot a host kernel in QEMU with a test plan, then judge the serial
# log: count the runner's result lines, and fail on a missing summary, a
# timeout, or any kernel BUG/WARNING/Oops/panic/Call Trace.
# Usage: 40-boot.sh CONFIG PLAN [CPU]   (CPU default: rv64,h=true)
set -euo pipefail
STAGE=boot
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cfg=${1:?usage: 40-boot.sh CONFIG PLAN [CPU]}
plan=${2:?usage: 40-boot.sh CONFIG PLAN [CPU]}
cpu=${3:-rv64,h=true}
timeout_s=${BOOT_TIMEOUT:-900}
# Extra kernel command line, e.g. "rvtest.seed=N rvtest.timeout=S".
append_extra=${BOOT_APPEND:-}
STAGE="boot $plan"
kb=$(kbuild_dir "$cfg")
initrd=$(work_dir "initramfs-$cfg")/initramfs.cpio.gz
[ -f "$initrd" ] || die "no $initrd (run 30-initramfs.sh $cfg)"
results=$(work_dir results)
log=$results/$plan.log
mkdir -p "$results"

# A boot whose kernel has not reached its console by then is stuck before
# any test ran (seen once: QEMU silent after OpenSBI's banner for 900 s).
console_s=${BOOT_CONSOLE_TIMEOUT:-300}

# One QEMU run into $log; sets rc, and stuck=true when the kernel printed
# nothing within console_s seconds (QEMU is then stopped).
boot_once() {
	local qpid
	start=$SECONDS
	rc=0
	stuck=false
	# BOOT_SMP harts (default 2); BOOT_QEMU_OPTS, extra QEMU options as a
	# word list (e.g. "-icount shift=0,sleep=off").
	# shellcheck disable=SC2086
	timeout --foreground -k 10 "$timeout_s" qemu-system-riscv64 \
		-M virt -cpu "$cpu" -smp "${BOOT_SMP:-2}" -m 2G -nographic \
		-no-reboot ${BOOT_QEMU_OPTS:-} \
		-kernel "$kb/arch/riscv/boot/Image" -initrd "$initrd" \
		-append "console=ttyS0 panic_on_warn=1 panic=-1 rvtest.plan=$plan${append_extra:+ $append_extra}" \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		if [ $((SECONDS - start)) -ge "$console_s" ] &&
			! grep -aq 'Linux version' "$log"; then
			stuck=true
			kill "$qpid" 2>/dev/null || true
		fi
	done
	wait "$qpid" || rc=$?
	say "QEMU exited with $rc after $((SECONDS - start))s (log: $log)"
}

say "QEMU: kernel $cfg, cpu $cpu, ${BOOT_SMP:-2} harts, plan $plan (timeout ${timeout_s}s)${BOOT_QEMU_OPTS:+, $BOOT_QEMU_OPTS}"
boot_once
if $stuck; then
	say "no kernel output within ${console_s}s: stuck before the kernel's console, so no test ran; booting once more"
	mv "$log" "$log.stuck"
	boot_once
fi

# Host-side checks count as results of their own.
host_result() {
	if [ "$1" = ok ]; then
		echo "rvtest: PASS host[$plan]/$2"
	else
		echo "rvtest: FAIL host[$plan]/$2: $3"
	fi
}
{
	tr -d '\r' <"$log" | grep -aE '^rvtest: (PASS|FAIL|SKIP) ' || true
	if $stuck; then
		host_result fail qemu-finished "no kernel output within ${console_s}s, twice"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		host_result fail qemu-finished "timed out after ${timeout_s}s"
	else
		host_result ok qemu-finished
	fi
	if grep -aq '^rvtest: DONE' "$log"; then
		host_result ok runner-finished
	else
		host_result fail runner-finished "no 'rvtest: DONE' in the log"
	fi
	# KASAN and "sleeping function" reports start with BUG:, lockdep's
	# with WARNING:; UBSAN has its own prefix; hung tasks and RCU stalls
	# say INFO:; kmemleak reports "unreferenced object".
	bad=$(grep -aE 'BUG:|WARNING:|Oops|Kernel panic|Call Trace|UBSAN:|INFO: |unreferenced object' "$log" | head -n 3 || true)
	if [ -z "$bad" ]; then
		host_result ok kernel-log-clean
	else
		host_result fail kernel-log-clean "$(echo "$bad" | tr '\n' '|')"
	fi
} >"$results/$plan.results"

cat "$results/$plan.results"
p=$(grep -c '^rvtest: PASS ' "$results/$plan.results" || true)
f=$(grep -c '^rvtest: FAIL ' "$results/$plan.results" || true)
s=$(grep -c '^rvtest: SKIP ' "$results/$plan.results" || true)
say "plan $plan: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
