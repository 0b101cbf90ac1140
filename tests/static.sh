#!/usr/bin/env bash
# Static checks, one result line each: shellcheck on every shell script,
# the kernel's checkpatch.pl on every C source and header.
set -euo pipefail
STAGE=static
# shellcheck source=qemu-scripts/lib.sh
. "$(dirname "$0")/../qemu-scripts/lib.sh"
cd "$RVKVM_ROOT"

mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null || find . -name '*.sh')
for f in "${scripts[@]}"; do
	if out=$(shellcheck -x "$f" 2>&1); then
		echo "rvtest: PASS static/shellcheck $f"
	else
		echo "rvtest: FAIL static/shellcheck $f: $(echo "$out" | grep -m1 SC)"
	fi
done

cp=$(ksrc_dir)/scripts/checkpatch.pl
if [ ! -f "$cp" ]; then
	echo "rvtest: FAIL static/checkpatch: no $cp (kernel source not unpacked)"
	exit 0
fi
# Module code is held to --strict; the userspace tests to the default.
mapfile -t sources < <(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h')
for f in "${sources[@]}"; do
	strict=--strict
	[ "${f#tests/}" = "$f" ] || strict=
	# shellcheck disable=SC2086
	out=$(perl "$cp" --no-tree --terse $strict -f "$f" 2>&1 || true)
	if echo "$out" | grep -qE ': (ERROR|WARNING|CHECK):'; then
		echo "rvtest: FAIL static/checkpatch $f: $(echo "$out" | grep -m1 -E 'ERROR|WARNING|CHECK')"
	else
		echo "rvtest: PASS static/checkpatch $f"
	fi
done
