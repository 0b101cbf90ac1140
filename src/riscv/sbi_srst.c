// SPDX-License-Identifier: GPL-2.0
/* rvkvm: SBI SRST: shutdown and reboot become KVM_EXIT_SYSTEM_EVENT. */
#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

/* Stop every vCPU and tell userspace; the VMM decides what happens next. */
int rvkvm_sbi_system_event(struct rvkvm_vcpu *vcpu, u32 type, u64 reason,
			   bool fast)
{
	struct kvm_run *run = vcpu->run;
	struct rvkvm_vcpu *v;
	unsigned long id;

	if (fast)
		return RVKVM_SBI_SLOW;
	xa_for_each(&vcpu->vm->vcpus, id, v) {
		spin_lock(&v->arch.mp_lock);
		WRITE_ONCE(v->arch.stopped, true);
		spin_unlock(&v->arch.mp_lock);
		rvkvm_vcpu_request(v, RVKVM_REQ_SLEEP);
	}
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->system_event.data[0] = reason;
	/*
	 * Nothing to complete: a VMM that resets the vCPU (QEMU's reboot)
	 * sets pc and a0/a1 itself; one that just resumes it runs the call
	 * again.
	 */
	return RVKVM_SBI_USER_EXIT;
}

int rvkvm_sbi_srst(struct rvkvm_vcpu *vcpu, unsigned long fid,
		   unsigned long *value, bool fast)
{
	unsigned long *r = vcpu->arch.sw.guest.gpr;
	u32 type;

	if (fid != 0)
		return -EOPNOTSUPP;
	switch (r[10]) {
	case 0:
		type = KVM_SYSTEM_EVENT_SHUTDOWN;
		break;
	case 1:
	case 2:
		type = KVM_SYSTEM_EVENT_RESET;
		break;
	default:
		return -EINVAL;
	}
	if (r[11] > 1 && r[11] < 0xe0000000UL)
		return -EINVAL;
	return rvkvm_sbi_system_event(vcpu, type, r[11], fast);
}
