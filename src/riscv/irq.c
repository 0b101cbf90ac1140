// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: virtual interrupt injection through hvip. Injectors (KVM_INTERRUPT
 * from any thread, the timer, SBI IPIs) set bits in irqs_pending and mark
 * them in irqs_pending_mask under irq_lock; the vCPU moves marked bits into
 * hvip with interrupts off right before entering the guest.
 */

#include <linux/bitops.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>

#define VS_IRQS		(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | BIT(IRQ_VS_EXT))

int rvkvm_irq_set(struct rvkvm_vcpu *vcpu, unsigned int irq, bool level)
{
	unsigned long flags;

	if (irq != IRQ_VS_SOFT && irq != IRQ_VS_TIMER && irq != IRQ_VS_EXT)
		return -EINVAL;
	/* The hrtimer injects from hard interrupt context. */
	spin_lock_irqsave(&vcpu->arch.irq_lock, flags);
	if (level)
		__set_bit(irq, &vcpu->arch.irqs_pending);
	else
		__clear_bit(irq, &vcpu->arch.irqs_pending);
	__set_bit(irq, &vcpu->arch.irqs_pending_mask);
	spin_unlock_irqrestore(&vcpu->arch.irq_lock, flags);
	rvkvm_vcpu_request(vcpu, RVKVM_REQ_HVIP);
	return 0;
}

/*
 * hvip as rvkvm keeps it. QEMU 7.2 shows Sstc's comparator in hvip.VSTIP;
 * for a vCPU with Sstc the bit kept is the injectors' (a VMM's sip write),
 * which only changes while the vCPU does not run.
 */
unsigned long rvkvm_irq_hvip_own(struct rvkvm_vcpu *vcpu, unsigned long hvip)
{
	if (!rvkvm_vcpu_has_sstc(vcpu))
		return hvip;
	return (hvip & ~BIT(IRQ_VS_TIMER)) |
	       (READ_ONCE(vcpu->arch.irqs_pending) & BIT(IRQ_VS_TIMER));
}

/* Apply changed bits to hvip. Interrupts off, guest state loaded. */
void rvkvm_irq_flush(struct rvkvm_vcpu *vcpu)
{
	unsigned long mask, hvip;

	if (!READ_ONCE(vcpu->arch.irqs_pending_mask))
		return;
	spin_lock(&vcpu->arch.irq_lock);
	mask = vcpu->arch.irqs_pending_mask;
	vcpu->arch.irqs_pending_mask = 0;
	hvip = csr_read(CSR_HVIP);
	hvip = (hvip & ~mask) | (vcpu->arch.irqs_pending & mask);
	hvip = rvkvm_irq_hvip_own(vcpu, hvip);
	csr_write(CSR_HVIP, hvip);
	vcpu->arch.hvip_written = hvip;
	spin_unlock(&vcpu->arch.irq_lock);
}

/*
 * After an exit: the guest sets or clears its own software interrupt by
 * writing sip.SSIP, which is hvip.VSSIP. Take that back, unless an
 * injector has queued a newer value. Interrupts off.
 */
void rvkvm_irq_sync(struct rvkvm_vcpu *vcpu)
{
	unsigned long hvip = csr_read(CSR_HVIP);

	if (!((hvip ^ vcpu->arch.hvip_written) & BIT(IRQ_VS_SOFT)))
		return;
	spin_lock(&vcpu->arch.irq_lock);
	if (!test_bit(IRQ_VS_SOFT, &vcpu->arch.irqs_pending_mask)) {
		if (hvip & BIT(IRQ_VS_SOFT))
			__set_bit(IRQ_VS_SOFT, &vcpu->arch.irqs_pending);
		else
			__clear_bit(IRQ_VS_SOFT, &vcpu->arch.irqs_pending);
	}
	vcpu->arch.hvip_written = rvkvm_irq_hvip_own(vcpu, hvip);
	spin_unlock(&vcpu->arch.irq_lock);
}

/*
 * Whether an interrupt the guest enabled is pending (WFI wake-up). With
 * @loaded the vCPU's state is on this CPU, interrupts off; otherwise it is
 * in memory. Sstc's comparator is in neither hvip nor irqs_pending.
 */
bool rvkvm_irq_pending(struct rvkvm_vcpu *vcpu, bool loaded)
{
	unsigned long pending = READ_ONCE(vcpu->arch.irqs_pending) & VS_IRQS;
	unsigned long vsie;

	if (loaded) {
		vsie = csr_read(CSR_VSIE);
		if (rvkvm_timer_due_loaded(vcpu))
			pending |= BIT(IRQ_VS_TIMER);
	} else {
		vsie = READ_ONCE(vcpu->arch.csr.vsie);
		if (rvkvm_timer_due(vcpu))
			pending |= BIT(IRQ_VS_TIMER);
	}
	return pending & (vsie << 1);
}
