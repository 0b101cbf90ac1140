#!/usr/bin/env bash
# Build the kernel's RISC-V KVM selftests from the unpacked linux-source as
# static riscv64 binaries, unmodified, out of tree, and copy them to OUTDIR.
# The build is cached in RVKVM_CACHE, keyed on the kernel source version,
# the compiler, this script and the compat headers; a hit skips the build.
# Usage: tests/selftests/build.sh OUTDIR
set -euo pipefail
shopt -s nullglob
STAGE=selftests
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/../../qemu-scripts/lib.sh"

outdir=${1:?usage: build.sh OUTDIR}
here=$RVKVM_ROOT/tests/selftests
src=$(ksrc_dir)
kst=$src/tools/testing/selftests/kvm
[ -f "$src/.rvkvm-unpacked" ] || die "no kernel source in $src (run 10-kernel.sh)"
# The tests the 6.1 Makefile builds for ARCH=riscv; the plans run all six.
tests=(demand_paging_test dirty_log_test kvm_create_max_vcpus
	kvm_page_table_test set_memory_region_test kvm_binary_stats_test)
jobs=$((JOBS < 2 ? JOBS : 2))

key=$( {
	ksrc_version
	"${CROSS_COMPILE}gcc" --version | head -n 1
	cat "$here/build.sh" "$here"/compat/*.h
} | sha256sum | cut -c1-12)
cache=$RVKVM_CACHE/selftests-${KSRC_PKG#linux-source-}-$key

if [ -f "$cache/.rvkvm-built" ]; then
	say "cached: $cache (built in $(cat "$cache/.rvkvm-built"))"
else
	tmp=$cache.tmp.$$
	trap 'rm -rf "$tmp"' EXIT
	rm -rf "$tmp"
	mkdir -p "$tmp/bin"
	start=$SECONDS

	# The uapi headers of this very source (kvm.h of 6.1), not the cross
	# libc's linux-libc-dev: headers_install with O= writes only into $tmp.
	say "installing $(ksrc_version) uapi headers"
	make -s -C "$src" O="$tmp/hdr-build" ARCH=riscv \
		INSTALL_HDR_PATH="$tmp/usr" headers_install

	# OUTPUT= puts every object and binary under $tmp, and TMPOUT moves
	# the scratch dir of the Makefile's compiler probes (by default in the
	# current directory, i.e. the source tree) there too. A command-line
	# LDFLAGS replaces the Makefile's own "-pthread -no-pie": give them.
	say "building ${#tests[@]} selftests with -j$jobs (log: $tmp/build.log)"
	compat=()
	for h in "$here"/compat/*.h; do
		compat+=(-include "$h")
	done
	if ! make -C "$kst" -j"$jobs" ARCH=riscv CROSS_COMPILE="$CROSS_COMPILE" \
		OUTPUT="$tmp/out" TMPOUT="$tmp/try-run" KHDR_INCLUDES="-isystem $tmp/usr/include" \
		EXTRA_CFLAGS="${compat[*]}" LDFLAGS="-static -pthread -no-pie" \
		>"$tmp/build.log" 2>&1; then
		tail -n 30 "$tmp/build.log" >&2
		die "selftests build failed (log above)"
	fi

	for t in "${tests[@]}"; do
		[ -x "$tmp/out/$t" ] || die "$t was not built"
		"${CROSS_COMPILE}strip" -o "$tmp/bin/$t" "$tmp/out/$t"
		if "${CROSS_COMPILE}readelf" -l "$tmp/bin/$t" | grep -q INTERP; then
			die "$t is not statically linked"
		fi
	done
	rm -rf "$tmp/hdr-build"
	echo "$((SECONDS - start))s" >"$tmp/.rvkvm-built"
	# Another build may have won the race; either result is the same.
	mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	trap - EXIT
	say "built $cache in $((SECONDS - start))s"
fi

mkdir -p "$outdir"
for t in "${tests[@]}"; do
	cp "$cache/bin/$t" "$outdir/$t"
done
say "copied ${#tests[@]} selftests to $outdir ($(du -sh "$outdir" | cut -f1))"
