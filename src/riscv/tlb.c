// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: G-stage TLB maintenance for a VM, on this CPU or on all of them.
 */

#include <linux/smp.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>

static void flush_vmid_local(unsigned long vmid)
{
	if (rvkvm_hw.vmid_bits)
		rvkvm_hfence_gvma_vmid(vmid);
	else
		rvkvm_hfence_gvma_all();
}

void rvkvm_tlb_flush_vm_local(struct rvkvm_vm *vm)
{
	flush_vmid_local(READ_ONCE(vm->arch.vmid.vmid));
}

static void flush_vm_ipi(void *info)
{
	rvkvm_tlb_flush_vm_local(info);
}

/*
 * Flush the VM's G-stage translations on every CPU and wait. A CPU running
 * one of its vCPUs takes the IPI as a guest exit, so when this returns no
 * CPU uses a translation that was removed before the call.
 */
void rvkvm_tlb_flush_vm(struct rvkvm_vm *vm)
{
	vm->stats.remote_tlb_flush++;
	on_each_cpu(flush_vm_ipi, vm, 1);
}

void rvkvm_tlb_flush_gpa_range(struct rvkvm_vm *vm, u64 gpa, u64 size)
{
	/* Ranges are rare and small next to an IPI round: flush the VMID. */
	rvkvm_tlb_flush_vm(vm);
}
