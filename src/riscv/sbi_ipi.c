// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: SBI IPI and RFENCE extensions. Hart ids are vCPU ids; a hart mask
 * is (mask, base), with base -1 meaning every hart.
 */
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

/* Apply fn to each vCPU the mask names; -EINVAL if one does not exist. */
static int apply_to_harts(struct rvkvm_vcpu *vcpu, unsigned long mask,
			  unsigned long base,
			  void (*fn)(struct rvkvm_vcpu *target))
{
	struct rvkvm_vm *vm = vcpu->vm;
	struct rvkvm_vcpu *target;
	unsigned long id, bit;

	if (base == -1UL) {
		xa_for_each(&vm->vcpus, id, target)
			fn(target);
		return 0;
	}
	for_each_set_bit(bit, &mask, BITS_PER_LONG) {
		if (base + bit < base)
			return -EINVAL;
		target = rvkvm_vm_vcpu(vm, base + bit);
		if (!target)
			return -EINVAL;
	}
	for_each_set_bit(bit, &mask, BITS_PER_LONG)
		fn(rvkvm_vm_vcpu(vm, base + bit));
	return 0;
}

static void send_ipi(struct rvkvm_vcpu *target)
{
	rvkvm_irq_set(target, IRQ_VS_SOFT, true);
}

static void send_fence(struct rvkvm_vcpu *target)
{
	rvkvm_vcpu_request(target, RVKVM_REQ_TLB_FLUSH);
}

static void fence_ack(void *info)
{
}

/*
 * A remote fence is complete only when no target can still run on stale
 * translations: wait until each target in the guest has left it (each one
 * flushes before it enters again).
 */
static void wait_fenced(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_vcpu *t;
	cpumask_var_t cpus;
	unsigned long id;
	int cpu;

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL)) {
		/* No mask: every CPU then. */
		on_each_cpu(fence_ack, NULL, 1);
		return;
	}
	xa_for_each(&vcpu->vm->vcpus, id, t) {
		cpu = READ_ONCE(t->cpu);
		if (t != vcpu && cpu >= 0 &&
		    test_bit(RVKVM_REQ_TLB_FLUSH, &t->requests))
			cpumask_set_cpu(cpu, cpus);
	}
	on_each_cpu_mask(cpus, fence_ack, NULL, true);
	free_cpumask_var(cpus);
}

int rvkvm_sbi_ipi(struct rvkvm_vcpu *vcpu, unsigned long fid,
		  unsigned long *value, bool fast)
{
	unsigned long *r = vcpu->arch.sw.guest.gpr;

	if (fid != 0)
		return -EOPNOTSUPP;
	return apply_to_harts(vcpu, r[10], r[11], send_ipi);
}

int rvkvm_sbi_rfence(struct rvkvm_vcpu *vcpu, unsigned long fid,
		     unsigned long *value, bool fast)
{
	unsigned long *r = vcpu->arch.sw.guest.gpr;

	/*
	 * fence.i, sfence.vma and sfence.vma.asid: a full VS-stage flush of
	 * each target covers any address range or ASID. The H-extension
	 * fences are for nested hypervisors, which rvkvm does not offer.
	 */
	int ret;

	if (fid > 2)
		return -EOPNOTSUPP;
	/* Waiting for other CPUs needs interrupts on: the slow path. */
	if (fast)
		return RVKVM_SBI_SLOW;
	ret = apply_to_harts(vcpu, r[10], r[11], send_fence);
	if (!ret)
		wait_fenced(vcpu);
	return ret;
}

/* SBI v0.1 IPI and fences pass a guest pointer to a mask: treat as all. */
void rvkvm_sbi_legacy_all(struct rvkvm_vcpu *vcpu, bool ipi)
{
	apply_to_harts(vcpu, 0, -1UL, ipi ? send_ipi : send_fence);
	if (!ipi)
		wait_fenced(vcpu);
}
