// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: the guest timer. Guest time is host time plus the VM's htimedelta.
 * The guest programs its next timer interrupt with SBI set_timer or, when
 * it has Sstc, by writing stimecmp itself. Without Sstc an hrtimer raises
 * the virtual timer interrupt at that time. With Sstc, vstimecmp raises it
 * in hardware while the vCPU is loaded, with no exit at all; the hrtimer
 * then only wakes a vCPU that sleeps in WFI.
 */

#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/timex.h>
#include <asm/delay.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>

u64 rvkvm_timer_now(struct rvkvm_vm *vm)
{
	return get_cycles64() + READ_ONCE(vm->arch.time_delta);
}

/* Guest-chosen deltas can be anything: saturate instead of wrapping. */
static u64 cycles_to_ns(u64 cycles)
{
	u64 sec = div64_u64(cycles, riscv_timebase);
	u64 rem = cycles - sec * riscv_timebase;

	if (sec >= KTIME_SEC_MAX)
		return KTIME_MAX;
	return sec * NSEC_PER_SEC +
	       div64_u64(rem * NSEC_PER_SEC, riscv_timebase);
}

static enum hrtimer_restart timer_expired(struct hrtimer *h)
{
	struct rvkvm_vcpu *vcpu = container_of(h, struct rvkvm_vcpu,
					       arch.timer.hrt);
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 now = rvkvm_timer_now(vcpu->vm);

	/* hrtimers may fire a little early against the time CSR. */
	if (now < t->next_cycles) {
		hrtimer_forward_now(h, ns_to_ktime(cycles_to_ns(t->next_cycles -
								 now)));
		return HRTIMER_RESTART;
	}
	if (rvkvm_vcpu_has_sstc(vcpu)) {
		/* vstimecmp raises the interrupt once the vCPU is back. */
		rvkvm_vcpu_kick(vcpu);
		return HRTIMER_NORESTART;
	}
	t->armed = false;
	rvkvm_irq_set(vcpu, IRQ_VS_TIMER, true);
	return HRTIMER_NORESTART;
}

void rvkvm_timer_init(struct rvkvm_vcpu *vcpu)
{
	rvkvm_hrtimer_setup(&vcpu->arch.timer.hrt, timer_expired,
			    CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->arch.timer.next_cycles = U64_MAX;
}

/*
 * What vstimecmp holds when no timer is armed: far ahead, but not -1.
 * QEMU 7.2 turns the distance to a compare value into nanoseconds in 64
 * bits, which can wrap near 2^64 ticks and put the expiry in the past.
 * 2^56 ticks are 228 years at QEMU's 10 MHz.
 */
#define SSTC_FAR	BIT_ULL(56)

static u64 sstc_off(struct rvkvm_vcpu *vcpu)
{
	u64 now = rvkvm_timer_now(vcpu->vm);

	return now > U64_MAX - SSTC_FAR ? U64_MAX : now + SSTC_FAR;
}

/*
 * The compare value vstimecmp holds for this vCPU: an armed one exactly
 * (the guest reads back what it or the VMM wrote), else far ahead.
 */
static u64 sstc_cmp(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;

	return t->armed ? t->next_cycles : sstc_off(vcpu);
}

/*
 * With Sstc, while the vCPU is loaded vstimecmp is the compare value: keep
 * it in step with a change made by SBI or ONE_REG. Loaded means this CPU:
 * only the vCPU's own thread changes the timer while it can run.
 */
static void sstc_update(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;

	if (READ_ONCE(vcpu->cpu) < 0)
		return;
	t->hw_cmp = sstc_cmp(vcpu);
	csr_write(CSR_VSTIMECMP, t->hw_cmp);
}

void rvkvm_timer_cancel(struct rvkvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.timer.hrt);
	vcpu->arch.timer.armed = false;
	if (rvkvm_vcpu_has_sstc(vcpu))
		sstc_update(vcpu);
}

void rvkvm_timer_set(struct rvkvm_vcpu *vcpu, u64 cycles)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 now;

	if (rvkvm_vcpu_has_sstc(vcpu)) {
		/* Only a sip write by the VMM puts VSTIP in hvip here. */
		if (test_bit(IRQ_VS_TIMER, &vcpu->arch.irqs_pending))
			rvkvm_irq_set(vcpu, IRQ_VS_TIMER, false);
		t->next_cycles = cycles;
		t->armed = cycles != U64_MAX;
		sstc_update(vcpu);
		return;
	}

	rvkvm_timer_cancel(vcpu);
	/* A new compare value withdraws the interrupt, as the SBI says. */
	rvkvm_irq_set(vcpu, IRQ_VS_TIMER, false);
	t->next_cycles = cycles;
	if (cycles == U64_MAX)
		return;
	now = rvkvm_timer_now(vcpu->vm);
	if (cycles <= now) {
		rvkvm_irq_set(vcpu, IRQ_VS_TIMER, true);
		return;
	}
	t->armed = true;
	/* Centuries away is never: no hrtimer at all. */
	if (cycles_to_ns(cycles - now) >= KTIME_MAX)
		return;
	hrtimer_start(&t->hrt, ns_to_ktime(cycles_to_ns(cycles - now)),
		      HRTIMER_MODE_REL);
}

/*
 * ONE_REG, before the first run. The timer interrupt is derived again from
 * the compare value: it moves between the hrtimer and vstimecmp.
 */
void rvkvm_timer_use_sstc(struct rvkvm_vcpu *vcpu, bool on)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	bool armed = t->armed ||
		     test_bit(IRQ_VS_TIMER, &vcpu->arch.irqs_pending);

	rvkvm_timer_cancel(vcpu);
	rvkvm_irq_set(vcpu, IRQ_VS_TIMER, false);
	if (on)
		vcpu->arch.ext |= RVKVM_EXT_SSTC;
	else
		vcpu->arch.ext &= ~RVKVM_EXT_SSTC;
	if (armed)
		rvkvm_timer_set(vcpu, t->next_cycles);
}

/*
 * vcpu_load, after htimedelta. On a CPU with Sstc, a vCPU without it gets
 * vstimecmp written too: QEMU 7.2 raises VSTIP from an earlier guest's
 * compare value whatever henvcfg.STCE says, until vstimecmp is written.
 */
void rvkvm_timer_load(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;

	if (!rvkvm_hw.sstc)
		return;
	t->hw_cmp = rvkvm_vcpu_has_sstc(vcpu) ? sstc_cmp(vcpu) :
						sstc_off(vcpu);
	csr_write(CSR_VSTIMECMP, t->hw_cmp);
}

/* vcpu_put: take back a compare value the guest wrote to stimecmp. */
void rvkvm_timer_put(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 cmp;

	if (!rvkvm_vcpu_has_sstc(vcpu))
		return;
	cmp = csr_read(CSR_VSTIMECMP);
	/* Written by the guest: kept as written, -1 included. */
	if (cmp != t->hw_cmp) {
		t->next_cycles = cmp;
		t->armed = true;
	}
}

/* Whether vstimecmp raises VSTIP now; the vCPU is not loaded. */
bool rvkvm_timer_due(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;

	return rvkvm_vcpu_has_sstc(vcpu) && READ_ONCE(t->armed) &&
	       rvkvm_timer_now(vcpu->vm) >= READ_ONCE(t->next_cycles);
}

/* The same with the vCPU loaded on this CPU: vstimecmp is the value. */
bool rvkvm_timer_due_loaded(struct rvkvm_vcpu *vcpu)
{
	return rvkvm_vcpu_has_sstc(vcpu) &&
	       rvkvm_timer_now(vcpu->vm) >= csr_read(CSR_VSTIMECMP);
}

/* Before a WFI sleep: with Sstc nothing else would wake the vCPU. */
void rvkvm_timer_block(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 now, ns;

	if (!rvkvm_vcpu_has_sstc(vcpu) || !t->armed)
		return;
	now = rvkvm_timer_now(vcpu->vm);
	if (t->next_cycles <= now)
		return;
	ns = cycles_to_ns(t->next_cycles - now);
	if (ns < KTIME_MAX)
		hrtimer_start(&t->hrt, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

void rvkvm_timer_unblock(struct rvkvm_vcpu *vcpu)
{
	if (rvkvm_vcpu_has_sstc(vcpu))
		hrtimer_cancel(&vcpu->arch.timer.hrt);
}
