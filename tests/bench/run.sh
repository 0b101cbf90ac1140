#!/usr/bin/env bash
# Benchmarks: the same guest work on the in-tree kvm.ko and on rvkvm, in
# one boot of the intree kernel (tests/plans/bench), printed as a table.
# Installs what it needs, builds (or reuses) the intree kernel, rvkvm and
# the initramfs, then boots:
#  1. -smp 1 -icount shift=0,sleep=off: emulated time advances 1 ns per
#     instruction, so the figures are instruction counts (host + guest);
#  2. with BENCH_WALL=1, the same without icount: wall-clock ns. Under TCG
#     these mostly measure QEMU's own costs (TLB flushes, mode switches)
#     and vary by tens of percent from run to run: a rough second figure.
# Logs: results/bench-icount.log and results/bench-wall.log in the work
# area ($RVKVM_WORK, else ~/.cache/rvkvm/work); results/bench.log is the
# icount boot's. Exits non-zero if a boot or a benchmark failed.
set -euo pipefail
STAGE=bench
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/../../qemu-scripts/lib.sh"
qs=$RVKVM_ROOT/qemu-scripts
results=$(work_dir results)
wall=${BENCH_WALL:-0}
timeout_s=${BOOT_TIMEOUT:-1500}
extra=${BOOT_APPEND:-}

say "building: kernel intree, rvkvm, initramfs"
"$qs/00-install.sh"
"$qs/10-kernel.sh" intree
"$qs/20-module.sh" intree
"$qs/30-initramfs.sh" intree
mkdir -p "$results"

# boot NAME SMP QEMU_OPTS APPEND: one bench boot, its log kept as NAME.
rc=0
boot() {
	local name=$1 smp=$2 opts=$3 append=$4 brc=0
	say "boot $name: -smp $smp${opts:+ $opts}"
	BOOT_SMP=$smp BOOT_QEMU_OPTS=$opts BOOT_TIMEOUT=$timeout_s \
		BOOT_APPEND="${extra:+$extra }$append" \
		"$qs/40-boot.sh" intree bench || brc=$?
	cp "$results/bench.log" "$results/bench-$name.log"
	cp "$results/bench.results" "$results/bench-$name.results"
	if [ "$brc" -ne 0 ]; then
		say "boot $name failed (exit $brc)"
		rc=1
	fi
}
if [ "$wall" = 1 ]; then
	boot wall 1 "" ""
fi
# Last, so that results/bench.log is the icount boot's.
boot icount 1 "-icount shift=0,sleep=off" "rvbench.clock=icount"

# The bench program's own lines, per boot.
for name in icount wall; do
	log=$results/bench-$name.log
	[ -f "$log" ] || continue
	[ "$name" = icount ] || [ "$wall" = 1 ] || continue
	say "bench output ($name boot, $log):"
	tr -d '\r' <"$log" | grep -a -e '^bench: ' -e '^rvtest: \(PASS\|FAIL\) bench/' || true
done

# One table of both boots: "bench: ROW A VA U/P B VB U/P ratio R" lines.
say "summary (insn = instructions under icount; ns = wall clock; medians)"
{
	tr -d '\r' <"$results/bench-icount.log" | sed 's/^/icount /'
	if [ "$wall" = 1 ] && [ -f "$results/bench-wall.log" ]; then
		tr -d '\r' <"$results/bench-wall.log" | sed 's/^/wall /'
	fi
} | awk '
$2 == "bench:" && $10 == "ratio" {
	if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
	split($6, up, "/")
	per[$3] = up[2]
	a[$1, $3] = $5; b[$1, $3] = $8; r[$1, $3] = $11
}
END {
	if (!n) { print "no bench figures in the logs"; exit 1 }
	printf "%-28s %-5s | %10s %10s %6s | %10s %10s %6s\n", "row", "per",
		"kvm.ko", "rvkvm", "ratio", "kvm.ko", "rvkvm", "ratio"
	printf "%-28s %-5s | %29s | %29s\n", "", "",
		"instructions (icount)", "ns (wall clock)"
	for (i = 1; i <= n; i++) {
		k = order[i]
		printf "%-28s %-5s | %10s %10s %6s | %10s %10s %6s\n", k,
			per[k], v(a["icount", k]), v(b["icount", k]),
			v(r["icount", k]), v(a["wall", k]), v(b["wall", k]),
			v(r["wall", k])
	}
}
function v(x) { return x == "" ? "-" : x }' || rc=1
exit "$rc"
