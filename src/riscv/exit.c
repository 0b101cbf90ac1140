// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: guest exit dispatch, completion of exits that went to userspace,
 * and redirection of guest traps back into the guest.
 */

#include <linux/bitops.h>
#include <linux/kernel.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_insn.h>

/*
 * The trapping instruction, read right after the exit while the guest's
 * address translation is still loaded. htinst gives it directly when the
 * hardware transformed it (bit 0 set); otherwise read it from guest memory.
 * stval is never trusted to hold it: QEMU 7.2 can leave a stale one there
 * on a virtual-instruction trap.
 */
static void fetch_insn(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;
	unsigned long hstatus, insn, pc = t->sepc;
	struct rvkvm_utrap ut;

	t->insn_fault = false;
	/* A 32-bit VU-mode fetches from the low 32 bits of its pc. */
	t->rv32 = !rvkvm_exit_from_vs(vcpu) &&
		  (csr_read(CSR_VSSTATUS) & SR_UXL) == SR_UXL_32;
	if (t->rv32)
		pc = (u32)pc;
	if (t->htinst & 1) {
		t->insn = t->htinst | 2;
		t->insn_len = (t->htinst & 2) ? 4 : 2;
		return;
	}
	/*
	 * A non-zero htinst with bit 0 clear is a pseudo-instruction: the
	 * fault came from the guest's own page-table walk, not from the
	 * instruction at sepc. There is nothing to emulate.
	 */
	if (t->htinst) {
		t->insn = 0;
		t->insn_len = 0;
		return;
	}
	hstatus = csr_swap(CSR_HSTATUS, vcpu->arch.sw.guest.hstatus);
	insn = rvkvm_guest_read_insn(pc, &ut);
	csr_write(CSR_HSTATUS, hstatus);
	/* The guest changed its mapping meanwhile: let it run again. */
	if (ut.scause) {
		insn = 0;
		t->insn_fault = true;
	}
	t->insn = insn;
	t->insn_len = RVKVM_INSN_LEN(insn);
}

/* Exits handled with state loaded and interrupts off; true to re-enter. */
bool rvkvm_exit_fast(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;

	switch (t->scause) {
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		fetch_insn(vcpu);
		return false;
	case EXC_VIRTUAL_INST_FAULT:
		fetch_insn(vcpu);
		/* WFI with an interrupt already pending completes at once. */
		if (t->insn == RVKVM_INSN_WFI && rvkvm_exit_from_vs(vcpu) &&
		    rvkvm_irq_pending(vcpu, true)) {
			vcpu->stats.wfi_exits++;
			vcpu->arch.sw.guest.sepc += 4;
			return true;
		}
		return false;
	case EXC_SUPERVISOR_SYSCALL:
		return rvkvm_sbi_fast(vcpu);
	}
	return false;
}

void rvkvm_trap_redirect(struct rvkvm_vcpu *vcpu, unsigned long scause,
			 unsigned long stval)
{
	struct rvkvm_cpu_ctx *g = &vcpu->arch.sw.guest;
	struct rvkvm_guest_csr *c = &vcpu->arch.csr;
	unsigned long vs = c->vsstatus;

	/* Take the trap as the guest's own S-mode would. */
	vs &= ~(SR_SPP | SR_SPIE);
	if (g->sstatus & SR_SPP)
		vs |= SR_SPP;
	if (vs & SR_SIE)
		vs |= SR_SPIE;
	vs &= ~SR_SIE;
	c->vsstatus = vs;
	c->vscause = scause;
	c->vstval = stval;
	c->vsepc = g->sepc;
	g->sepc = c->vstvec & ~3UL;
	g->sstatus |= SR_SPP;
	g->hstatus |= HSTATUS_SPVP;
	vcpu->stats.redirected_traps++;
}

static int guest_page_fault(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;
	bool write = t->scause == EXC_STORE_GUEST_PAGE_FAULT;
	bool exec = t->scause == EXC_INST_GUEST_PAGE_FAULT;
	u64 gpa = (t->htval << 2) | (t->stval & 3);
	int ret;

	ret = rvkvm_gstage_fault(vcpu, gpa, write, exec);
	if (ret <= 0) {
		if (ret == -EINTR || ret == -ERESTARTSYS) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		return ret ? ret : 1;
	}
	/* Not guest RAM: code there cannot run, data there is MMIO. */
	if (exec) {
		rvkvm_trap_redirect(vcpu, EXC_INST_ACCESS, t->stval);
		return 1;
	}
	return rvkvm_insn_mmio(vcpu, gpa, write);
}

/* Exits handled with state saved, preemptible: >0 re-enter, 0 to user. */
int rvkvm_exit_handle(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;

	switch (t->scause) {
	case EXC_INST_GUEST_PAGE_FAULT:
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		return guest_page_fault(vcpu);
	case EXC_VIRTUAL_INST_FAULT:
		return rvkvm_insn_virtual(vcpu);
	case EXC_SUPERVISOR_SYSCALL:
		return rvkvm_sbi_ecall(vcpu);
	}
	/*
	 * Everything else (illegal instruction, misaligned and access faults)
	 * is the guest's own business: Linux guests handle them themselves.
	 */
	rvkvm_trap_redirect(vcpu, t->scause, t->stval);
	return 1;
}

void rvkvm_exit_complete(struct rvkvm_vcpu *vcpu)
{
	struct rvkvm_exit_pending *p = &vcpu->arch.pending;
	struct rvkvm_cpu_ctx *g = &vcpu->arch.sw.guest;
	struct kvm_run *run = vcpu->run;
	u64 v = 0;

	switch (p->kind) {
	case RVKVM_PENDING_NONE:
		return;
	case RVKVM_PENDING_MMIO_LOAD:
		memcpy(&v, run->mmio.data, p->len);
		if (p->sign_extend && p->len < 8)
			v = sign_extend64(v, p->len * 8 - 1);
		if (p->rd)
			g->gpr[p->rd] = v;
		fallthrough;
	case RVKVM_PENDING_MMIO_STORE:
		g->sepc += p->insn_len;
		break;
	case RVKVM_PENDING_SBI:
		g->gpr[10] = run->riscv_sbi.ret[0];
		g->gpr[11] = run->riscv_sbi.ret[1];
		g->sepc += 4;
		break;
	case RVKVM_PENDING_CSR:
		if (p->rd)
			g->gpr[p->rd] = run->riscv_csr.ret_value;
		g->sepc += p->insn_len;
		break;
	}
	p->kind = RVKVM_PENDING_NONE;
}
