// SPDX-License-Identifier: GPL-2.0
/* Svpbmt detection by the kernel's ISA-extension table. */
#include <asm/hwcap.h>

int rvkvm_probe(void)
{
	return riscv_isa_extension_available(NULL, SVPBMT);
}
