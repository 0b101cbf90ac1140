/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * RISC-V KVM ABI facts that the oldest supported uapi headers (Linux 6.1)
 * do not name yet. The values are the ABI's, so they match what newer
 * kernels' headers say; each is guarded so those headers win when present.
 * Used by the module and by the userspace tests alike.
 */
#ifndef RVKVM_UAPI_KVM_COMPAT_H
#define RVKVM_UAPI_KVM_COMPAT_H

#include <linux/kvm.h>

/* Bits 23:16 of a register index: sub-type within the type (Linux 6.6). */
#ifndef KVM_REG_RISCV_SUBTYPE_MASK
#define KVM_REG_RISCV_SUBTYPE_SHIFT	16
#define KVM_REG_RISCV_SUBTYPE_MASK	0x0000000000FF0000ULL
#endif

/* CSR sub-types: the general supervisor CSRs are 0, the AIA ones 1. */
#ifndef KVM_REG_RISCV_CSR_GENERAL
#define KVM_REG_RISCV_CSR_GENERAL	(0x0ULL << KVM_REG_RISCV_SUBTYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_CSR_AIA
#define KVM_REG_RISCV_CSR_AIA		(0x1ULL << KVM_REG_RISCV_SUBTYPE_SHIFT)
#endif

/* ISA_EXT sub-types: one extension per register, or bitmaps of them. */
#ifndef KVM_REG_RISCV_ISA_SINGLE
#define KVM_REG_RISCV_ISA_SINGLE	(0x0ULL << KVM_REG_RISCV_SUBTYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_ISA_MULTI_EN
#define KVM_REG_RISCV_ISA_MULTI_EN	(0x1ULL << KVM_REG_RISCV_SUBTYPE_SHIFT)
#endif

/*
 * CONFIG register indices. Newer headers derive them from the layout of
 * struct kvm_riscv_config, which 6.1 only has the first two members of, so
 * rvkvm names them itself: isa and zicbom_block_size (6.1), the machine IDs
 * (6.2), zicboz_block_size and satp_mode (later).
 */
#define RVKVM_RISCV_CONFIG_ISA			0
#define RVKVM_RISCV_CONFIG_ZICBOM_BLOCK_SIZE	1
#define RVKVM_RISCV_CONFIG_MVENDORID		2
#define RVKVM_RISCV_CONFIG_MARCHID		3
#define RVKVM_RISCV_CONFIG_MIMPID		4
#define RVKVM_RISCV_CONFIG_ZICBOZ_BLOCK_SIZE	5
#define RVKVM_RISCV_CONFIG_SATP_MODE		6
/* Registers rvkvm answers in the CONFIG type: indices 0..NR-1. */
#define RVKVM_RISCV_CONFIG_NR			7

#endif
