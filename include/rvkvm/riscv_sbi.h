/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: SBI numbers from the RISC-V SBI specification (own definitions, so
 * older kernel headers need not have them) and the handler table type.
 */
#ifndef RVKVM_RISCV_SBI_H
#define RVKVM_RISCV_SBI_H

#include <linux/bits.h>
#include <linux/types.h>

struct rvkvm_vcpu;

#define RVKVM_SBI_EXT_LEGACY_LAST	0x08	/* shutdown */
#define RVKVM_SBI_EXT_LEGACY_END	0x0f
#define RVKVM_SBI_EXT_BASE		0x10
#define RVKVM_SBI_EXT_TIME		0x54494d45
#define RVKVM_SBI_EXT_IPI		0x735049
#define RVKVM_SBI_EXT_RFENCE		0x52464e43
#define RVKVM_SBI_EXT_HSM		0x48534d
#define RVKVM_SBI_EXT_SRST		0x53525354
#define RVKVM_SBI_EXT_DBCN		0x4442434e
#define RVKVM_SBI_EXT_EXPERIMENTAL	0x08000000
#define RVKVM_SBI_EXT_EXPERIMENTAL_END	0x08ffffff
#define RVKVM_SBI_EXT_VENDOR		0x09000000
#define RVKVM_SBI_EXT_VENDOR_END	0x09ffffff

#define RVKVM_SBI_SUCCESS		0
#define RVKVM_SBI_ERR_FAILURE		-1
#define RVKVM_SBI_ERR_NOT_SUPPORTED	-2
#define RVKVM_SBI_ERR_INVALID_PARAM	-3
#define RVKVM_SBI_ERR_DENIED		-4
#define RVKVM_SBI_ERR_INVALID_ADDRESS	-5
#define RVKVM_SBI_ERR_ALREADY_AVAILABLE	-6

/* What rvkvm reports: SBI v1.0, and KVM's implementation id. */
#define RVKVM_SBI_SPEC_VERSION		BIT(24)	/* major 1, minor 0 */
#define RVKVM_SBI_IMPL_ID		3
#define RVKVM_SBI_IMPL_VERSION		1

/*
 * A handler's result: 0 with *value for the guest, a negative errno that
 * becomes an SBI error, or one of these.
 */
#define RVKVM_SBI_USER_EXIT	1	/* kvm_run filled in for userspace */
#define RVKVM_SBI_SLOW		2	/* fast path: retry in the slow path */
#define RVKVM_SBI_NO_RETURN	3	/* no a0/a1 (HSM stop, reset) */

struct rvkvm_sbi_ext {
	unsigned long first, last;	/* extension id range */
	int (*handler)(struct rvkvm_vcpu *vcpu, unsigned long fid,
		       unsigned long *value, bool fast);
	bool probe;			/* BASE probe answers 1 */
};

int rvkvm_sbi_forward(struct rvkvm_vcpu *vcpu);
bool rvkvm_sbi_probe(unsigned long eid);
void rvkvm_sbi_legacy_all(struct rvkvm_vcpu *vcpu, bool ipi);
int rvkvm_sbi_system_event(struct rvkvm_vcpu *vcpu, u32 type, u64 reason,
			   bool fast);

#define RVKVM_SBI_HANDLER(name) \
	int name(struct rvkvm_vcpu *vcpu, unsigned long fid, \
		 unsigned long *value, bool fast)

RVKVM_SBI_HANDLER(rvkvm_sbi_legacy);
RVKVM_SBI_HANDLER(rvkvm_sbi_base);
RVKVM_SBI_HANDLER(rvkvm_sbi_time);
RVKVM_SBI_HANDLER(rvkvm_sbi_ipi);
RVKVM_SBI_HANDLER(rvkvm_sbi_rfence);
RVKVM_SBI_HANDLER(rvkvm_sbi_hsm);
RVKVM_SBI_HANDLER(rvkvm_sbi_srst);

#endif
