/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hypervisor CSR facts rvkvm relies on. The kernel's asm/csr.h has most of
 * them; whatever an older kernel lacks is defined here from the RISC-V
 * privileged specification.
 */
#ifndef RVKVM_RISCV_CSR_H
#define RVKVM_RISCV_CSR_H

#include <asm/csr.h>

#ifndef CSR_HENVCFG
#define CSR_HENVCFG		0x60a
#endif
#ifndef CSR_SENVCFG
#define CSR_SENVCFG		0x10a
#endif
#ifndef CSR_VSTIMECMP
#define CSR_VSTIMECMP		0x24d
#endif

#ifndef HGATP_MODE_SV57X4
#define HGATP_MODE_SV57X4	_AC(10, UL)
#endif

#ifndef ENVCFG_STCE
#define ENVCFG_STCE		(_AC(1, ULL) << 63)
#endif
#ifndef ENVCFG_PBMTE
#define ENVCFG_PBMTE		(_AC(1, ULL) << 62)
#endif
#define RVKVM_ENVCFG_ADUE	(_AC(1, ULL) << 61)

/* satp.MODE: the top four bits on RV64, the top one on RV32. */
#ifdef CONFIG_64BIT
#define RVKVM_SATP_MODE_SHIFT	60
#else
#define RVKVM_SATP_MODE_SHIFT	31
#endif

/* hcounteren bits: cycle, time, instret */
#define RVKVM_HCOUNTEREN_CY	BIT(0)
#define RVKVM_HCOUNTEREN_TM	BIT(1)
#define RVKVM_HCOUNTEREN_IR	BIT(2)

/*
 * H-extension fences, encoded by hand because older assemblers do not know
 * them. hfence.gvma takes rs1 = guest physical address >> 2 and rs2 = VMID;
 * hfence.vvma acts on the VMID in the current hgatp.
 */
static inline void rvkvm_hfence_gvma_all(void)
{
	asm volatile(".insn r 0x73, 0x0, 0x31, x0, x0, x0" : : : "memory");
}

static inline void rvkvm_hfence_gvma_vmid(unsigned long vmid)
{
	asm volatile(".insn r 0x73, 0x0, 0x31, x0, x0, %0"
		     : : "r" (vmid) : "memory");
}

static inline void rvkvm_hfence_gvma_gpa(unsigned long gpa, unsigned long vmid)
{
	asm volatile(".insn r 0x73, 0x0, 0x31, x0, %0, %1"
		     : : "r" (gpa >> 2), "r" (vmid) : "memory");
}

static inline void rvkvm_hfence_vvma_all(void)
{
	asm volatile(".insn r 0x73, 0x0, 0x11, x0, x0, x0" : : : "memory");
}

#endif
