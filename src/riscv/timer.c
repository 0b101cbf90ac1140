// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: the guest timer. The guest programs its next timer interrupt with
 * SBI set_timer; an hrtimer raises the virtual timer interrupt at that time.
 * Guest time is host time plus the VM's htimedelta.
 */

#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/timex.h>
#include <asm/delay.h>

#include <rvkvm/rvkvm.h>

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

void rvkvm_timer_cancel(struct rvkvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.timer.hrt);
	vcpu->arch.timer.armed = false;
}

void rvkvm_timer_set(struct rvkvm_vcpu *vcpu, u64 cycles)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 now;

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
