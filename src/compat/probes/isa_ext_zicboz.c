// SPDX-License-Identifier: GPL-2.0
/* Zicboz detection and its block size (6.3+). */
#include <asm/cacheflush.h>
#include <asm/hwcap.h>

unsigned int rvkvm_probe(void)
{
	return riscv_isa_extension_available(NULL, ZICBOZ) ?
	       riscv_cboz_block_size : 0;
}
