#!/usr/bin/env bash
# Stage 2: build rvkvm.ko against a cached host kernel, from a copy of the
# sources in the work area (the checkout stays free of build outputs).
set -euo pipefail
STAGE=module
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cfg=${1:?usage: 20-module.sh vendor|intree|debug}
STAGE="module $cfg"
kb=$(kbuild_dir "$cfg")
[ -f "$kb/.rvkvm-built" ] || die "kernel $cfg not built (run 10-kernel.sh $cfg)"
dst=$(work_dir "module-$cfg")

mkdir -p "$dst"
rsync -a --delete --exclude generated --exclude '*.o' --exclude '*.ko' \
	"$RVKVM_ROOT"/{Kbuild,Makefile,src,include} "$dst/"
say "building rvkvm.ko against $(basename "$kb")"
make -s -C "$dst" KDIR="$kb" ARCH=riscv CROSS_COMPILE="$CROSS_COMPILE" \
	KBUILD_MODPOST_WARN= W=1
[ -f "$dst/rvkvm.ko" ] || die "no rvkvm.ko produced"
say "built $dst/rvkvm.ko ($(stat -c %s "$dst/rvkvm.ko") bytes)"
