#!/usr/bin/env bash
# Stage 1: build a riscv64 host kernel (vendor or intree config) out of tree
# into the cache, or reuse the cached build when its key matches.
set -euo pipefail
STAGE=kernel
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cfg=${1:?usage: 10-kernel.sh vendor|intree|debug}
STAGE="kernel $cfg"
src=$(ksrc_dir)
out=$(kbuild_dir "$cfg")
kmake=(make -C "$src" O="$out" ARCH=riscv CROSS_COMPILE="$CROSS_COMPILE")

mkdir -p "$RVKVM_CACHE"
if [ ! -f "$src/.rvkvm-unpacked" ]; then
	say "unpacking $KSRC_PKG $(ksrc_version) into $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "/usr/src/$KSRC_PKG.tar.xz" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.rvkvm-unpacked"
	mv "$src.tmp" "$src"
fi

if [ -f "$out/.rvkvm-built" ] && [ -f "$out/arch/riscv/boot/Image" ]; then
	say "cached: $out (built in $(cat "$out/.rvkvm-built"))"
	exit 0
fi

say "configuring in $out"
rm -rf "$out"
mkdir -p "$out"
"${kmake[@]}" -s defconfig
# shellcheck disable=SC2046
(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" .config \
	$(config_fragments "$cfg") >"$out/merge.log")
"${kmake[@]}" -s olddefconfig

# A fragment line that did not survive olddefconfig is a config bug.
# shellcheck disable=SC2046
bad=$(grep -hE '^(CONFIG_|# CONFIG_)' $(config_fragments "$cfg") |
	while read -r line; do
		case $line in
		"# CONFIG_"*) sym=${line#\# }; sym=${sym%% *}
			grep -q "^$sym=" "$out/.config" && echo "$sym is set" ;;
		*) grep -qx "$line" "$out/.config" || echo "$line missing" ;;
		esac
	done || true)
[ -z "$bad" ] || die "config $cfg did not apply: $(echo "$bad" | tr '\n' ';')"

for sym in KVM PREEMPT_NOTIFIERS MMU_NOTIFIER; do
	val=$(grep -E "^CONFIG_$sym=" "$out/.config" | cut -d= -f2 || true)
	say "CONFIG_$sym=${val:-n (off)}"
done

say "building Image and modules with -j$JOBS (log: $out/build.log)"
start=$SECONDS
n=0
"${kmake[@]}" -j"$JOBS" Image modules 2>&1 | tee "$out/build.log" |
	while IFS= read -r line; do
		case $line in
		*" CC "* | *" AS "*) n=$((n + 1))
			[ $((n % 500)) -ne 0 ] ||
				say "$n objects compiled, $((SECONDS - start))s" ;;
		*error:* | *Error\ *) echo "$line" ;;
		esac
	done
[ "${PIPESTATUS[0]}" -eq 0 ] || die "kernel build failed, see $out/build.log"
took=$((SECONDS - start))
printf '%dm%02ds\n' $((took / 60)) $((took % 60)) >"$out/.rvkvm-built"
say "built $out/arch/riscv/boot/Image in $(cat "$out/.rvkvm-built")"
