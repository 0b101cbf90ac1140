// SPDX-License-Identifier: GPL-2.0
/* Zicbom detection and its block size, both exported to modules (6.1+). */
#include <asm/cacheflush.h>
#include <asm/hwcap.h>

unsigned int rvkvm_probe(void)
{
	return riscv_isa_extension_available(NULL, ZICBOM) ?
	       riscv_cbom_block_size : 0;
}
