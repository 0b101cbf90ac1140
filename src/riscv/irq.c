// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: virtual interrupt injection through hvip. Injectors (KVM_INTERRUPT
 * from any thread, the timer, SBI IPIs) set bits in irqs_pending and mark
 * them in irqs_pending_mask; the vCPU moves marked bits into hvip with
 * interrupts off right before entering the guest.
 */

#include <linux/bitops.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>

#define VS_IRQS		(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | BIT(IRQ_VS_EXT))

int rvkvm_irq_set(struct rvkvm_vcpu *vcpu, unsigned int irq, bool level)
{
	if (irq != IRQ_VS_SOFT && irq != IRQ_VS_TIMER && irq != IRQ_VS_EXT)
		return -EINVAL;
	if (level)
		set_bit(irq, &vcpu->arch.irqs_pending);
	else
		clear_bit(irq, &vcpu->arch.irqs_pending);
	/* The value must be visible before the mark that says to apply it. */
	smp_mb__before_atomic();
	set_bit(irq, &vcpu->arch.irqs_pending_mask);
	rvkvm_vcpu_request(vcpu, RVKVM_REQ_HVIP);
	return 0;
}

/* Apply changed bits to hvip. Interrupts off, guest state loaded. */
void rvkvm_irq_flush(struct rvkvm_vcpu *vcpu)
{
	unsigned long mask, val, hvip;

	if (!READ_ONCE(vcpu->arch.irqs_pending_mask))
		return;
	mask = xchg(&vcpu->arch.irqs_pending_mask, 0);
	val = READ_ONCE(vcpu->arch.irqs_pending);
	hvip = csr_read(CSR_HVIP);
	hvip = (hvip & ~mask) | (val & mask);
	csr_write(CSR_HVIP, hvip);
}

/*
 * After an exit: the guest clears its own software interrupt by writing
 * sip.SSIP, which is hvip.VSSIP. Take that back unless an injector has a
 * newer value queued.
 */
void rvkvm_irq_sync(struct rvkvm_vcpu *vcpu)
{
	unsigned long hvip = csr_read(CSR_HVIP);

	if (test_bit(IRQ_VS_SOFT, &vcpu->arch.irqs_pending_mask))
		return;
	if (hvip & BIT(IRQ_VS_SOFT))
		set_bit(IRQ_VS_SOFT, &vcpu->arch.irqs_pending);
	else
		clear_bit(IRQ_VS_SOFT, &vcpu->arch.irqs_pending);
}

/* Whether an interrupt the guest enabled is pending (WFI wake-up). */
bool rvkvm_irq_pending(struct rvkvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.irqs_pending) & VS_IRQS &
	       (READ_ONCE(vcpu->arch.csr.vsie) << 1);
}
