/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout of the world-switch area, shared by switch.S and C. The offsets are
 * plain numbers so the assembler needs no generated header; sw.c checks
 * them against the C structure at build time.
 */
#ifndef RVKVM_RISCV_SWITCH_H
#define RVKVM_RISCV_SWITCH_H

/* One context: x0..x31 (x0 unused), then sepc, sstatus, hstatus, scounteren */
#define RVKVM_CTX_GPR(n)	((n) * 8)
#define RVKVM_CTX_SEPC		(32 * 8)
#define RVKVM_CTX_SSTATUS	(33 * 8)
#define RVKVM_CTX_HSTATUS	(34 * 8)
#define RVKVM_CTX_SCOUNTEREN	(35 * 8)
#define RVKVM_CTX_SIZE		(36 * 8)

/* struct rvkvm_switch: guest context, host context, host trap CSRs */
#define RVKVM_SW_GUEST		0
#define RVKVM_SW_HOST		RVKVM_CTX_SIZE
#define RVKVM_SW_HOST_STVEC	(2 * RVKVM_CTX_SIZE)
#define RVKVM_SW_HOST_SSCRATCH	(2 * RVKVM_CTX_SIZE + 8)
#define RVKVM_SW_SIZE		(2 * RVKVM_CTX_SIZE + 16)

/* struct rvkvm_utrap, filled by the guarded guest-memory access stub */
#define RVKVM_UTRAP_SEPC	0
#define RVKVM_UTRAP_SCAUSE	8
#define RVKVM_UTRAP_STVAL	16
#define RVKVM_UTRAP_HTVAL	24
#define RVKVM_UTRAP_HTINST	32

#ifndef __ASSEMBLY__
#include <linux/types.h>

struct rvkvm_cpu_ctx {
	unsigned long gpr[32];
	unsigned long sepc;
	unsigned long sstatus;
	unsigned long hstatus;
	unsigned long scounteren;
};

struct rvkvm_switch {
	struct rvkvm_cpu_ctx guest;
	struct rvkvm_cpu_ctx host;
	unsigned long host_stvec;
	unsigned long host_sscratch;
};

/* A trap taken while reading guest memory with HLV/HLVX. */
struct rvkvm_utrap {
	unsigned long sepc;
	unsigned long scause;
	unsigned long stval;
	unsigned long htval;
	unsigned long htinst;
};

/* switch.S */
void rvkvm_switch_to_guest(struct rvkvm_switch *sw);
unsigned long rvkvm_guest_read_insn(unsigned long addr, struct rvkvm_utrap *t);
void rvkvm_fp_save(struct __riscv_d_ext_state *fp);
void rvkvm_fp_restore(const struct __riscv_d_ext_state *fp);
#endif

#endif
