// SPDX-License-Identifier: GPL-2.0
/* rvkvm: SBI TIME extension: the guest's next timer interrupt. */
#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

int rvkvm_sbi_time(struct rvkvm_vcpu *vcpu, unsigned long fid,
		   unsigned long *value, bool fast)
{
	if (fid != 0)
		return -EOPNOTSUPP;
	rvkvm_timer_set(vcpu, vcpu->arch.sw.guest.gpr[10]);
	return 0;
}
