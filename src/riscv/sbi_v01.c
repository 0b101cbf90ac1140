// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: the legacy SBI v0.1 calls (extension id = function). The console
 * and shutdown go to userspace, as in-tree KVM does.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

int rvkvm_sbi_legacy(struct rvkvm_vcpu *vcpu, unsigned long fid,
		     unsigned long *value, bool fast)
{
	unsigned long *r = vcpu->arch.sw.guest.gpr;

	switch (r[17]) {
	case 0:		/* set_timer */
		rvkvm_timer_set(vcpu, r[10]);
		return 0;
	case 1:		/* console_putchar */
	case 2:		/* console_getchar */
		return fast ? RVKVM_SBI_SLOW : rvkvm_sbi_forward(vcpu);
	case 3:		/* clear_ipi */
		rvkvm_irq_set(vcpu, IRQ_VS_SOFT, false);
		return 0;
	case 4:		/* send_ipi: the mask is in guest memory; send to all */
		rvkvm_sbi_legacy_all(vcpu, true);
		return 0;
	case 5:		/* remote_fence_i */
	case 6:		/* remote_sfence_vma */
	case 7:		/* remote_sfence_vma_asid */
		if (fast)
			return RVKVM_SBI_SLOW;
		rvkvm_sbi_legacy_all(vcpu, false);
		return 0;
	case 8:		/* shutdown */
		return rvkvm_sbi_system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN,
					      0, fast);
	}
	return -EOPNOTSUPP;
}
