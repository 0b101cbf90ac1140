/* SPDX-License-Identifier: GPL-2.0 */
/* What the load-time probe found out about the hypervisor hardware. */
#ifndef RVKVM_RISCV_HW_H
#define RVKVM_RISCV_HW_H

#include <linux/types.h>

struct rvkvm_hw {
	unsigned long gstage_mode;	/* HGATP_MODE_* common to all CPUs */
	unsigned int gstage_levels;
	unsigned int vmid_bits;		/* 0: VMIDs not used */
	unsigned long sbi_version;
	bool sstc;
	bool svpbmt;
	bool fpu;			/* host has F or D: FP state to switch */
};

extern struct rvkvm_hw rvkvm_hw;

/* Guest physical address bits the G-stage mode reaches (2 extra bits). */
static inline unsigned int rvkvm_gpa_bits(void)
{
	return 12 + 9 * rvkvm_hw.gstage_levels + 2;
}

#endif
