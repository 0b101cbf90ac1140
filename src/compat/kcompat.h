/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel-version differences are bridged. Force-included
 * into every rvkvm object; the RVKVM_HAVE_* facts come from build-time probes.
 */
#ifndef RVKVM_KCOMPAT_H
#define RVKVM_KCOMPAT_H

/* Every message rvkvm prints starts with its name. */
#define pr_fmt(fmt) "rvkvm: " fmt

#include "kcompat-generated.h"
#include <linux/hrtimer.h>
#include <asm/hwcap.h>

static inline void
rvkvm_hrtimer_setup(struct hrtimer *t,
		    enum hrtimer_restart (*fn)(struct hrtimer *),
		    clockid_t clock, enum hrtimer_mode mode)
{
#ifdef RVKVM_HAVE_HRTIMER_SETUP
	hrtimer_setup(t, fn, clock, mode);
#else
	hrtimer_init(t, clock, mode);
	t->function = fn;
#endif
}

static inline bool rvkvm_cpu_has_sstc(void)
{
#ifdef RVKVM_HAVE_ISA_EXT_SSTC
	return riscv_isa_extension_available(NULL, SSTC);
#else
	return false;
#endif
}

static inline bool rvkvm_cpu_has_svpbmt(void)
{
#ifdef RVKVM_HAVE_ISA_EXT_SVPBMT
	return riscv_isa_extension_available(NULL, SVPBMT);
#else
	return false;
#endif
}

/*
 * Cache-block-operation extensions of the host: the block size when the
 * extension is there, 0 when it is not (or the kernel cannot tell). The
 * sizes are declared here rather than by including asm/cacheflush.h, which
 * would pull printk.h in ahead of each file's pr_fmt.
 */
#ifdef RVKVM_HAVE_ISA_EXT_ZICBOM
extern unsigned int riscv_cbom_block_size;
#endif
#ifdef RVKVM_HAVE_ISA_EXT_ZICBOZ
extern unsigned int riscv_cboz_block_size;
#endif

static inline unsigned long rvkvm_cpu_zicbom_block_size(void)
{
#ifdef RVKVM_HAVE_ISA_EXT_ZICBOM
	if (riscv_isa_extension_available(NULL, ZICBOM))
		return riscv_cbom_block_size;
#endif
	return 0;
}

static inline unsigned long rvkvm_cpu_zicboz_block_size(void)
{
#ifdef RVKVM_HAVE_ISA_EXT_ZICBOZ
	if (riscv_isa_extension_available(NULL, ZICBOZ))
		return riscv_cboz_block_size;
#endif
	return 0;
}

#endif
