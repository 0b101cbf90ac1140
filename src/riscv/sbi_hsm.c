// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: SBI HSM: harts (vCPUs) start, stop, suspend and report their
 * state. A start is applied by the target itself, in its run loop.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

#define HSM_STARTED	0
#define HSM_STOPPED	1
#define HSM_SUSPENDED	4

#define HSM_SUSPEND_RET_DEFAULT		0x0UL
#define HSM_SUSPEND_NON_RET_DEFAULT	0x80000000UL

/* In the target's own thread: reset, then run at the start address. */
void rvkvm_sbi_hsm_start_apply(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_cpu_ctx *g = &vcpu->arch.sw.guest;

	rvkvm_arch_vcpu_reset(vcpu);
	g->sepc = vcpu->arch.hsm_start.pc;
	g->gpr[10] = vcpu->vcpu_id;
	g->gpr[11] = vcpu->arch.hsm_start.opaque;
}

static int hsm_start(struct rvkvm_vcpu *vcpu, unsigned long hartid,
		     unsigned long pc, unsigned long opaque)
{
	struct rvkvm_vcpu *t = rvkvm_vm_vcpu(vcpu->vm, hartid);
	int ret = 0;

	if (!t)
		return -EINVAL;
	spin_lock(&t->arch.mp_lock);
	if (!t->arch.stopped) {
		ret = -EALREADY;
	} else {
		t->arch.hsm_start.pc = pc;
		t->arch.hsm_start.opaque = opaque;
		set_bit(RVKVM_REQ_RESET, &t->requests);
		WRITE_ONCE(t->arch.stopped, false);
	}
	spin_unlock(&t->arch.mp_lock);
	if (!ret)
		rvkvm_vcpu_kick(t);
	return ret;
}

/*
 * Retentive suspend is a WFI that returns success; while it sleeps, the
 * hart's status reads SUSPENDED. Non-retentive suspend is not offered, as
 * on KVM; every other type is reserved or platform-specific.
 */
static int hsm_suspend(struct rvkvm_vcpu *vcpu, unsigned long type,
		       bool fast)
{
	if (type == HSM_SUSPEND_NON_RET_DEFAULT)
		return -EOPNOTSUPP;
	if (type != HSM_SUSPEND_RET_DEFAULT)
		return -EINVAL;
	/* In the fast loop the state is loaded; sleeping needs the slow path. */
	if (fast)
		return rvkvm_irq_pending(vcpu, true) ? 0 : RVKVM_SBI_SLOW;
	/* The halt returns at once if an interrupt is pending. */
	WRITE_ONCE(vcpu->arch.suspended, true);
	rvkvm_vcpu_halt(vcpu);
	WRITE_ONCE(vcpu->arch.suspended, false);
	return 0;
}

int rvkvm_sbi_hsm(struct rvkvm_vcpu *vcpu, unsigned long fid,
		  unsigned long *value, bool fast)
{
	unsigned long *r = vcpu->arch.sw.guest.gpr;
	struct rvkvm_vcpu *t;

	switch (fid) {
	case 0:
		return hsm_start(vcpu, r[10], r[11], r[12]);
	case 1:
		spin_lock(&vcpu->arch.mp_lock);
		WRITE_ONCE(vcpu->arch.stopped, true);
		spin_unlock(&vcpu->arch.mp_lock);
		return RVKVM_SBI_NO_RETURN;
	case 2:
		t = rvkvm_vm_vcpu(vcpu->vm, r[10]);
		if (!t)
			return -EINVAL;
		if (READ_ONCE(t->arch.stopped))
			*value = HSM_STOPPED;
		else if (READ_ONCE(t->arch.suspended))
			*value = HSM_SUSPENDED;
		else
			*value = HSM_STARTED;
		return 0;
	case 3:
		return hsm_suspend(vcpu, r[10], fast);
	}
	return -EOPNOTSUPP;
}
