// SPDX-License-Identifier: GPL-2.0
/* rvkvm: SBI BASE extension: versions, ids and extension probing. */
#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

int rvkvm_sbi_base(struct rvkvm_vcpu *vcpu, unsigned long fid,
		   unsigned long *value, bool fast)
{
	switch (fid) {
	case 0:
		*value = RVKVM_SBI_SPEC_VERSION;
		return 0;
	case 1:
		*value = RVKVM_SBI_IMPL_ID;
		return 0;
	case 2:
		*value = RVKVM_SBI_IMPL_VERSION;
		return 0;
	case 3:
		*value = rvkvm_sbi_probe(vcpu->arch.sw.guest.gpr[10]);
		return 0;
	case 4:
		*value = vcpu->arch.mvendorid;
		return 0;
	case 5:
		*value = vcpu->arch.marchid;
		return 0;
	case 6:
		*value = vcpu->arch.mimpid;
		return 0;
	}
	return -EOPNOTSUPP;
}
