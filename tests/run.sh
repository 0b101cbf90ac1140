#!/usr/bin/env bash
# The test command: installs what it needs, builds the three host kernels
# (or reuses the cache), builds rvkvm and the test initramfs, runs every test
# boot in QEMU plus the static checks, and ends with
# "N passed, N failed, N skipped". Exits non-zero on any failure.
set -euo pipefail
STAGE=tests
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/../qemu-scripts/lib.sh"
qs=$RVKVM_ROOT/qemu-scripts
results=$(work_dir results)
start=$SECONDS

"$qs/00-install.sh"
rm -rf "$results"
mkdir -p "$results"

# A build step is a result too; a failed one fails what depends on it.
declare -A built=()
build() {
	local name=$1
	shift
	if "$@"; then
		echo "rvtest: PASS build/$name" >>"$results/build.results"
		return 0
	fi
	echo "rvtest: FAIL build/$name: see the output above" >>"$results/build.results"
	return 1
}
for cfg in vendor intree debug; do
	built[$cfg]=0
	build "kernel-$cfg" "$qs/10-kernel.sh" "$cfg" &&
		build "module-$cfg" "$qs/20-module.sh" "$cfg" &&
		build "initramfs-$cfg" "$qs/30-initramfs.sh" "$cfg" &&
		built[$cfg]=1
done

# SEED=n replays the fuzzers of an earlier run (they print their seeds).
if [ -n "${SEED:-}" ]; then
	export BOOT_APPEND="rvtest.seed=$SEED"
fi

boot() {
	local cfg=$1 plan=$2
	if [ "${built[$cfg]}" != 1 ]; then
		echo "rvtest: FAIL host[$plan]/boot: $cfg build failed" >"$results/$plan.results"
		return
	fi
	"$qs/40-boot.sh" "$@" || true
}
boot vendor vendor
boot vendor noh rv64,h=false
boot intree coexist
# The selftest boots run minutes of guest work under TCG.
BOOT_TIMEOUT=1500 boot intree selftests-intree
BOOT_TIMEOUT=1500 boot vendor selftests-vendor
# KASAN, lockdep and kmemleak make the debug kernel several times slower:
# its dirty_log_test needs more than the runner's default 600 s a command.
BOOT_APPEND="rvtest.timeout=1500${BOOT_APPEND:+ $BOOT_APPEND}" \
	BOOT_TIMEOUT=3600 boot debug debug

STAGE=static
"$RVKVM_ROOT/tests/static.sh" >"$results/static.results" || true
cat "$results/static.results"

STAGE=tests
total() { cat "$results"/*.results | grep -c "^rvtest: $1 " || true; }
p=$(total PASS)
f=$(total FAIL)
s=$(total SKIP)
if [ "$f" -ne 0 ]; then
	say "failures:"
	cat "$results"/*.results | grep '^rvtest: FAIL ' || true
fi
say "finished in $((SECONDS - start))s; logs in $results"
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
