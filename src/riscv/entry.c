// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: the KVM_RUN loop. Without preempt notifiers, guest state is loaded
 * only inside a window with preemption off and saved before the window
 * closes. Inside it, exits that need no sleeping re-enter the guest at once
 * (the fast loop); everything else saves state and is handled outside.
 */

#include <linux/atomic.h>
#include <linux/context_tracking.h>
#include <linux/hrtimer.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/task_work.h>
#include <linux/vtime.h>
#include <asm/cacheflush.h>

#include <rvkvm/arch.h>
#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>

/* Returned by the loaded loop: go round the outer loop / handle an exit. */
#define RUN_RETRY	1
#define RUN_EXIT	2

#define GUEST_HSTATUS	((2UL << HSTATUS_VSXL_SHIFT) | HSTATUS_SPV | \
			 HSTATUS_SPVP | HSTATUS_VTW)

/* Which vCPU ran here last, by a number no other vCPU ever gets. */
static DEFINE_PER_CPU(u64, last_vcpu_serial);
static atomic64_t vcpu_serial = ATOMIC64_INIT(0);

/* Requests the loaded loop handles itself, without leaving the window. */
#define LOOP_REQS	(BIT(RVKVM_REQ_VMID) | BIT(RVKVM_REQ_TLB_FLUSH) | \
			 BIT(RVKVM_REQ_HVIP))

static bool guest_has_fp(struct rvkvm_vcpu *vcpu)
{
	return vcpu->arch.isa & (BIT('f' - 'a') | BIT('d' - 'a'));
}

void rvkvm_arch_vcpu_reset(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_cpu_ctx *g = &vcpu->arch.sw.guest;
	unsigned long flags;

	/* The timer first: it could inject after the clearing below. */
	rvkvm_timer_cancel(vcpu);
	vcpu->arch.timer.next_cycles = U64_MAX;

	memset(g, 0, sizeof(*g));
	memset(&vcpu->arch.csr, 0, sizeof(vcpu->arch.csr));
	memset(&vcpu->arch.guest_fp, 0, sizeof(vcpu->arch.guest_fp));
	g->sstatus = SR_SPP | SR_SPIE;
	if (guest_has_fp(vcpu))
		g->sstatus |= SR_FS_INITIAL;
	g->hstatus = GUEST_HSTATUS;
	/* KVM_INTERRUPT and other vCPUs' IPIs inject under irq_lock. */
	spin_lock_irqsave(&vcpu->arch.irq_lock, flags);
	vcpu->arch.irqs_pending = 0;
	vcpu->arch.irqs_pending_mask = 0;
	spin_unlock_irqrestore(&vcpu->arch.irq_lock, flags);
	vcpu->arch.pending.kind = RVKVM_PENDING_NONE;
}

int rvkvm_arch_vcpu_init(struct rvkvm_vcpu *vcpu)
{
	BUILD_BUG_ON(offsetof(struct rvkvm_vcpu_arch, sw) != 0);
	BUILD_BUG_ON(sizeof(struct rvkvm_cpu_ctx) != RVKVM_CTX_SIZE);
	BUILD_BUG_ON(offsetof(struct rvkvm_cpu_ctx, sepc) != RVKVM_CTX_SEPC);
	BUILD_BUG_ON(offsetof(struct rvkvm_cpu_ctx, sstatus) !=
		     RVKVM_CTX_SSTATUS);
	BUILD_BUG_ON(offsetof(struct rvkvm_cpu_ctx, hstatus) !=
		     RVKVM_CTX_HSTATUS);
	BUILD_BUG_ON(offsetof(struct rvkvm_cpu_ctx, scounteren) !=
		     RVKVM_CTX_SCOUNTEREN);
	BUILD_BUG_ON(offsetof(struct rvkvm_switch, host) != RVKVM_SW_HOST);
	BUILD_BUG_ON(offsetof(struct rvkvm_switch, host_stvec) !=
		     RVKVM_SW_HOST_STVEC);
	BUILD_BUG_ON(offsetof(struct rvkvm_switch, host_sscratch) !=
		     RVKVM_SW_HOST_SSCRATCH);
	BUILD_BUG_ON(offsetof(struct rvkvm_utrap, htinst) !=
		     RVKVM_UTRAP_HTINST);
	BUILD_BUG_ON(offsetof(struct __riscv_d_ext_state, fcsr) != 256);

	spin_lock_init(&vcpu->arch.mp_lock);
	spin_lock_init(&vcpu->arch.irq_lock);
	vcpu->arch.isa = rvkvm_isa_host_allowed();
	vcpu->arch.ext = rvkvm_ext_host_allowed();
	vcpu->arch.last_exit_cpu = -1;
	vcpu->arch.serial = atomic64_inc_return(&vcpu_serial);
	rvkvm_timer_init(vcpu);
	rvkvm_arch_vcpu_reset(vcpu);
	return 0;
}

void rvkvm_arch_vcpu_uninit(struct rvkvm_vcpu *vcpu)
{
	rvkvm_timer_cancel(vcpu);
}

/* Load the guest's state into this CPU. Preemption is off. */
static void vcpu_load(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_guest_csr *c = &vcpu->arch.csr;
	struct rvkvm_vm *vm = vcpu->vm;
	int cpu = smp_processor_id();
	bool shared = rvkvm_dev_is_fallback();
	bool migrated = vcpu->arch.last_exit_cpu != cpu;
	bool other_vcpu = __this_cpu_read(last_vcpu_serial) !=
			  vcpu->arch.serial;

	/* Another hypervisor may have rewritten the delegation: re-assert. */
	rvkvm_arch_cpu_enable(true);

	csr_write(CSR_VSSTATUS, c->vsstatus);
	csr_write(CSR_VSIE, c->vsie);
	csr_write(CSR_VSTVEC, c->vstvec);
	csr_write(CSR_VSSCRATCH, c->vsscratch);
	csr_write(CSR_VSEPC, c->vsepc);
	csr_write(CSR_VSCAUSE, c->vscause);
	csr_write(CSR_VSTVAL, c->vstval);
	csr_write(CSR_VSATP, c->vsatp);
	vcpu->arch.host_senvcfg = csr_swap(CSR_SENVCFG, c->senvcfg);
	csr_write(CSR_HENVCFG, rvkvm_vcpu_has_sstc(vcpu) ? ENVCFG_STCE : 0);
	/* vstimecmp after htimedelta, which QEMU 7.2 reads at that write. */
	csr_write(CSR_HTIMEDELTA, vm->arch.time_delta);
	rvkvm_timer_load(vcpu);
	/* hvip last: QEMU 7.2 sets or clears VSTIP at a vstimecmp write. */
	csr_write(CSR_HVIP, c->hvip);
	vcpu->arch.hvip_written = c->hvip;
	csr_write(CSR_HGATP, rvkvm_hgatp(vm));
	vcpu->arch.hgatp_vmid = READ_ONCE(vm->arch.vmid.vmid);

	/*
	 * TLB entries of this VMID here may predate changes made while the
	 * vCPU ran elsewhere; a VMID shared with another hypervisor may hold
	 * its entries. Without VMIDs every VM is VMID 0.
	 */
	if (shared || !rvkvm_hw.vmid_bits || migrated)
		rvkvm_tlb_flush_vm_local(vm);
	/*
	 * VS-stage entries carry the VM's VMID, not the vCPU's: another vCPU
	 * of it that ran here may have left entries its guest since fenced
	 * only on the harts it knew of, and its fence.i reached only its own
	 * hart. Neither may leak into this vCPU.
	 */
	if (shared || !rvkvm_hw.vmid_bits || migrated || other_vcpu)
		rvkvm_hfence_vvma_all();
	if (migrated || other_vcpu) {
		__this_cpu_write(last_vcpu_serial, vcpu->arch.serial);
		local_flush_icache_all();
	}

	if (rvkvm_hw.fpu) {
		rvkvm_fp_save(&vcpu->arch.host_fp);
		if (guest_has_fp(vcpu))
			rvkvm_fp_restore(&vcpu->arch.guest_fp);
	}

	WRITE_ONCE(vcpu->cpu, cpu);
}

/* Save the guest's state and give the CPU back to the host. */
static void vcpu_put(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_guest_csr *c = &vcpu->arch.csr;
	struct rvkvm_cpu_ctx *g = &vcpu->arch.sw.guest;

	c->vsstatus = csr_read(CSR_VSSTATUS);
	c->vsie = csr_read(CSR_VSIE);
	c->vstvec = csr_read(CSR_VSTVEC);
	c->vsscratch = csr_read(CSR_VSSCRATCH);
	c->vsepc = csr_read(CSR_VSEPC);
	c->vscause = csr_read(CSR_VSCAUSE);
	c->vstval = csr_read(CSR_VSTVAL);
	c->hvip = rvkvm_irq_hvip_own(vcpu, csr_read(CSR_HVIP));
	c->vsatp = csr_read(CSR_VSATP);
	rvkvm_timer_put(vcpu);
	/* It governs host U-mode too (cache-block ops, FIOM). */
	c->senvcfg = csr_swap(CSR_SENVCFG, vcpu->arch.host_senvcfg);

	/* Guest FP is saved only when the guest wrote it. */
	if ((g->sstatus & SR_FS) == SR_FS_DIRTY) {
		rvkvm_fp_save(&vcpu->arch.guest_fp);
		g->sstatus = (g->sstatus & ~SR_FS) | SR_FS_CLEAN;
	}
	if (rvkvm_hw.fpu)
		rvkvm_fp_restore(&vcpu->arch.host_fp);

	if (rvkvm_dev_is_fallback()) {
		rvkvm_tlb_flush_vm_local(vcpu->vm);
		rvkvm_hfence_vvma_all();
	}
	csr_write(CSR_HVIP, 0);
	csr_write(CSR_VSIE, 0);

	vcpu->arch.last_exit_cpu = smp_processor_id();
	WRITE_ONCE(vcpu->cpu, -1);
}

/*
 * Right before entry, interrupts off: hgatp must carry the VM's current
 * VMID. A VMID can change under a vCPU in the fast loop (a generation wrap
 * started by another vCPU); comparing here closes that window.
 */
static void check_vmid(struct rvkvm_vcpu *vcpu)
{
	unsigned long vmid = READ_ONCE(vcpu->vm->arch.vmid.vmid);

	rvkvm_vcpu_check_request(vcpu, RVKVM_REQ_VMID);
	if (vcpu->arch.hgatp_vmid == vmid)
		return;
	csr_write(CSR_HGATP, rvkvm_hgatp(vcpu->vm));
	rvkvm_tlb_flush_vm_local(vcpu->vm);
	vcpu->arch.hgatp_vmid = vmid;
}

/*
 * With kvm.ko beside us, its enable/disable IPIs may rewrite delegation,
 * vsie and hvip while the fast loop runs with interrupts on: put ours back
 * before each entry, and keep vsie/hvip shadows at each exit.
 */
static void shared_restore(struct rvkvm_vcpu *vcpu)
{
	rvkvm_arch_cpu_enable(true);
	csr_write(CSR_VSIE, vcpu->arch.csr.vsie);
	csr_write(CSR_HVIP, vcpu->arch.hvip_written);
}

static void shared_save(struct rvkvm_vcpu *vcpu)
{
	vcpu->arch.csr.vsie = csr_read(CSR_VSIE);
}

static void loop_requests(struct rvkvm_vcpu *vcpu)
{
	check_vmid(vcpu);
	if (rvkvm_vcpu_check_request(vcpu, RVKVM_REQ_TLB_FLUSH)) {
		/* A guest remote fence: its VS-stage entries and I-cache. */
		rvkvm_hfence_vvma_all();
		local_flush_icache_all();
	}
	rvkvm_vcpu_check_request(vcpu, RVKVM_REQ_HVIP);
}

/* What KVM's guest_state_enter/exit do, with what a KVM=n kernel exports. */
static __always_inline void guest_enter_accounting(void)
{
	if (vtime_accounting_enabled_this_cpu())
		vtime_guest_enter(current);
	else
		current->flags |= PF_VCPU;
	/* Guest mode is a quiescent state for RCU, like user mode. */
	if (!context_tracking_guest_enter())
		rcu_note_context_switch(false);
}

/*
 * Time: called after the interrupt that ended the guest has run, so that
 * its tick still finds PF_VCPU and counts as guest time.
 */
static __always_inline void guest_exit_timing(void)
{
	if (vtime_accounting_enabled_this_cpu())
		vtime_guest_exit(current);
	else
		current->flags &= ~PF_VCPU;
}

static void read_trap(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;

	t->sepc = vcpu->arch.sw.guest.sepc;
	t->scause = csr_read(CSR_SCAUSE);
	t->stval = csr_read(CSR_STVAL);
	t->htval = csr_read(CSR_HTVAL);
	t->htinst = csr_read(CSR_HTINST);
}

/*
 * Run the guest until an exit that needs the slow path, or until the
 * outer loop has work (signal, resched, requests). State is loaded.
 */
static int run_loaded(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_vm *vm = vcpu->vm;
	bool shared = rvkvm_dev_is_fallback();

	for (;;) {
		local_irq_disable();
		WRITE_ONCE(vcpu->mode, RVKVM_IN_GUEST);
		/* Guest mode visible before we look for work: pairs with kick. */
		smp_mb();
		if (signal_pending(current) || need_resched() ||
		    task_work_pending(current) ||
		    (READ_ONCE(vcpu->requests) & ~LOOP_REQS) ||
		    rvkvm_vmid_stale(vm) || READ_ONCE(vcpu->arch.stopped)) {
			WRITE_ONCE(vcpu->mode, RVKVM_OUTSIDE_GUEST);
			local_irq_enable();
			return RUN_RETRY;
		}
		if (shared)
			shared_restore(vcpu);
		loop_requests(vcpu);
		rvkvm_irq_flush(vcpu);

		guest_enter_accounting();
		rvkvm_switch_to_guest(&vcpu->arch.sw);
		read_trap(vcpu);
		WRITE_ONCE(vcpu->mode, RVKVM_OUTSIDE_GUEST);
		context_tracking_guest_exit();

		if (shared)
			shared_save(vcpu);
		rvkvm_irq_sync(vcpu);
		vcpu->stats.exits++;
		if (vcpu->arch.trap.scause & CAUSE_IRQ_FLAG) {
			/* A host interrupt: let it run, then go straight back. */
			vcpu->stats.irq_exits++;
			local_irq_enable();
			local_irq_disable();
			guest_exit_timing();
			local_irq_enable();
			continue;
		}
		guest_exit_timing();
		if (rvkvm_exit_fast(vcpu)) {
			vcpu->stats.fast_reentries++;
			local_irq_enable();
			continue;
		}
		local_irq_enable();
		return RUN_EXIT;
	}
}

/*
 * WFI and HSM retentive suspend: sleep until an interrupt the guest enabled
 * is pending. State is not loaded. Signals and requests also end the sleep
 * (a spurious wake-up, which both allow); the run loop looks at them.
 */
void rvkvm_vcpu_halt(struct rvkvm_vcpu *vcpu)
{
	if (rvkvm_irq_pending(vcpu, false))
		return;
	vcpu->stats.halts++;
	rvkvm_timer_block(vcpu);
	rcuwait_wait_event(&vcpu->wait,
			   rvkvm_irq_pending(vcpu, false) ||
			   signal_pending(current) ||
			   READ_ONCE(vcpu->requests) ||
			   READ_ONCE(vcpu->arch.stopped),
			   TASK_INTERRUPTIBLE);
	rvkvm_timer_unblock(vcpu);
}

/* Block a stopped vCPU until an HSM start, a signal or a request. */
static int wait_runnable(struct rvkvm_vcpu *vcpu)
{
	int ret;

	vcpu->stats.halts++;
	ret = rcuwait_wait_event(&vcpu->wait,
				 !READ_ONCE(vcpu->arch.stopped) ||
				 signal_pending(current),
				 TASK_INTERRUPTIBLE);
	return signal_pending(current) ? -EINTR : ret;
}

int rvkvm_arch_vcpu_run(struct rvkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int ret;

	/* Finish what the last exit left to userspace, exactly once. */
	rvkvm_exit_complete(vcpu);
	run->exit_reason = KVM_EXIT_UNKNOWN;
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}

	for (;;) {
		/*
		 * What xfer_to_guest_mode_handle_work() would do, but its
		 * notify-resume handlers are not exported. Task work is left
		 * to the return to userspace; rseq and memcg-throttle requests
		 * wait for it (every context switch raises rseq's, so leaving
		 * for it would end KVM_RUN after each WFI sleep).
		 */
		if (signal_pending(current) || task_work_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			vcpu->stats.signal_exits++;
			return -EINTR;
		}
		cond_resched();
		rvkvm_vcpu_check_request(vcpu, RVKVM_REQ_SLEEP);
		if (rvkvm_vcpu_check_request(vcpu, RVKVM_REQ_RESET))
			rvkvm_sbi_hsm_start_apply(vcpu);
		if (READ_ONCE(vcpu->arch.stopped)) {
			ret = wait_runnable(vcpu);
			if (ret) {
				run->exit_reason = KVM_EXIT_INTR;
				return ret;
			}
			continue;
		}
		rvkvm_vmid_update(vcpu);

		preempt_disable();
		vcpu_load(vcpu);
		ret = run_loaded(vcpu);
		vcpu_put(vcpu);
		preempt_enable();

		if (ret == RUN_RETRY)
			continue;
		ret = rvkvm_exit_handle(vcpu);
		if (ret <= 0)
			return ret;
	}
}
