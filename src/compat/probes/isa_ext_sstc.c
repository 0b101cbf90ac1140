// SPDX-License-Identifier: GPL-2.0
/* Sstc detection by the kernel's ISA-extension table (6.0+). */
#include <asm/hwcap.h>

int rvkvm_probe(void)
{
	return riscv_isa_extension_available(NULL, SSTC);
}
