/* SPDX-License-Identifier: GPL-2.0 */
/* Instruction encodings rvkvm decodes (RISC-V unprivileged/privileged ISA). */
#ifndef RVKVM_RISCV_INSN_H
#define RVKVM_RISCV_INSN_H

#define RVKVM_INSN_LEN(x)	(((x) & 3) == 3 ? 4 : 2)
#define RVKVM_INSN_WFI		0x10500073UL

#define RVKVM_OP_LOAD		0x03
#define RVKVM_OP_STORE		0x23
#define RVKVM_OP_SYSTEM		0x73

#define RVKVM_RD(x)		(((x) >> 7) & 0x1f)
#define RVKVM_FUNCT3(x)		(((x) >> 12) & 0x7)
#define RVKVM_RS1(x)		(((x) >> 15) & 0x1f)
#define RVKVM_RS2(x)		(((x) >> 20) & 0x1f)
#define RVKVM_CSR_NUM(x)	((x) >> 20)

/* Compressed: quadrant, funct3, and the 3-bit register fields (x8-x15). */
#define RVKVM_C_OP(x)		((x) & 3)
#define RVKVM_C_FUNCT3(x)	(((x) >> 13) & 7)
#define RVKVM_C_RD_P(x)		((((x) >> 2) & 7) + 8)
#define RVKVM_C_RS2_P(x)	((((x) >> 2) & 7) + 8)
#define RVKVM_C_RD(x)		(((x) >> 7) & 0x1f)
#define RVKVM_C_RS2(x)		(((x) >> 2) & 0x1f)

#define RVKVM_CSR_SEED		0x015

#endif
