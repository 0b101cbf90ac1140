// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: VMID allocation with generations. A VM keeps its VMID until the
 * space runs out; then the generation moves on, every CPU's G-stage TLB is
 * flushed and each VM takes a fresh VMID before its next guest entry.
 */

#include <linux/smp.h>
#include <linux/spinlock.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>

static DEFINE_SPINLOCK(vmid_lock);
static u64 vmid_gen = 1;
static unsigned long vmid_next = 1;

bool rvkvm_vmid_stale(struct rvkvm_vm *vm)
{
	return READ_ONCE(vm->arch.vmid.gen) != READ_ONCE(vmid_gen);
}

static void flush_all_local(void *unused)
{
	rvkvm_hfence_gvma_all();
}

/* Called before guest entry, preemptible; cheap when nothing changed. */
void rvkvm_vmid_update(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_vm *vm = vcpu->vm;

	if (!rvkvm_vmid_stale(vm))
		return;

	spin_lock(&vmid_lock);
	if (!rvkvm_vmid_stale(vm)) {
		spin_unlock(&vmid_lock);
		return;
	}
	if (!rvkvm_hw.vmid_bits) {
		/* No VMIDs: everyone shares 0 and flushes at every load. */
		vm->arch.vmid.vmid = 0;
	} else {
		if (vmid_next >= (1UL << rvkvm_hw.vmid_bits)) {
			/*
			 * Old VMIDs are about to be reused: flush every CPU
			 * before any VM gets one. The IPIs also push running
			 * vCPUs out; they see the new generation and come
			 * here before entering again.
			 */
			WRITE_ONCE(vmid_gen, vmid_gen + 1);
			vmid_next = 1;
			on_each_cpu(flush_all_local, NULL, 1);
		}
		vm->arch.vmid.vmid = vmid_next++;
	}
	/* The number first, then the generation that makes it valid. */
	smp_wmb();
	WRITE_ONCE(vm->arch.vmid.gen, READ_ONCE(vmid_gen));
	spin_unlock(&vmid_lock);

	/* vCPUs of this VM in the guest reload hgatp before re-entering. */
	rvkvm_vm_request_all(vm, RVKVM_REQ_VMID);
}
