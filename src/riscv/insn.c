// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: decode of the instructions that trap to the hypervisor: loads and
 * stores to MMIO (also compressed), WFI and CSR accesses.
 */

#include <linux/kernel.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_insn.h>

struct mem_access {
	unsigned int len;
	unsigned int reg;	/* rd for loads, rs2 for stores */
	bool store;
	bool sign_extend;
};

/*
 * Integer loads and stores only; anything else is not MMIO we emulate.
 * In RV32C (a 32-bit VU-mode) the encodings of c.ld, c.sd, c.ldsp and
 * c.sdsp are FP accesses (c.flw and friends).
 */
static bool decode_mem(unsigned long insn, bool rv32, struct mem_access *a)
{
	unsigned int f3;

	if ((insn & 3) == 3) {
		f3 = RVKVM_FUNCT3(insn);
		if ((insn & 0x7f) == RVKVM_OP_LOAD && f3 != 7) {
			a->len = 1 << (f3 & 3);
			a->sign_extend = !(f3 & 4);
			a->reg = RVKVM_RD(insn);
			a->store = false;
			return f3 != 3 || IS_ENABLED(CONFIG_64BIT);
		}
		if ((insn & 0x7f) == RVKVM_OP_STORE && f3 < 4) {
			a->len = 1 << f3;
			a->reg = RVKVM_RS2(insn);
			a->store = true;
			return true;
		}
		return false;
	}

	f3 = RVKVM_C_FUNCT3(insn);
	a->sign_extend = true;
	if (rv32 && (f3 == 3 || f3 == 7))
		return false;
	switch (RVKVM_C_OP(insn) << 3 | f3) {
	case 0 << 3 | 2:	/* c.lw */
	case 0 << 3 | 3:	/* c.ld */
		a->len = f3 == 2 ? 4 : 8;
		a->reg = RVKVM_C_RD_P(insn);
		a->store = false;
		return true;
	case 0 << 3 | 6:	/* c.sw */
	case 0 << 3 | 7:	/* c.sd */
		a->len = f3 == 6 ? 4 : 8;
		a->reg = RVKVM_C_RS2_P(insn);
		a->store = true;
		return true;
	case 2 << 3 | 2:	/* c.lwsp */
	case 2 << 3 | 3:	/* c.ldsp */
		a->len = f3 == 2 ? 4 : 8;
		a->reg = RVKVM_C_RD(insn);
		a->store = false;
		return a->reg != 0;
	case 2 << 3 | 6:	/* c.swsp */
	case 2 << 3 | 7:	/* c.sdsp */
		a->len = f3 == 6 ? 4 : 8;
		a->reg = RVKVM_C_RS2(insn);
		a->store = true;
		return true;
	}
	return false;
}

int rvkvm_insn_mmio(struct rvkvm_vcpu *vcpu, u64 gpa, bool write)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;
	struct rvkvm_exit_pending *p = &vcpu->arch.pending;
	struct kvm_run *run = vcpu->run;
	struct mem_access a;
	u64 data;

	/*
	 * No usable instruction (unreadable, or htinst names an implicit
	 * access of the guest's own page-table walk): the guest touched
	 * something that is not memory. It gets the access fault hardware
	 * without memory there would raise.
	 */
	if (!t->insn && t->insn_fault)
		return 1;
	if (!t->insn || !decode_mem(t->insn, t->rv32, &a) || a.store != write) {
		rvkvm_trap_redirect(vcpu, write ? EXC_STORE_ACCESS :
				    EXC_LOAD_ACCESS, t->stval);
		return 1;
	}

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = a.len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write) {
		data = a.reg ? vcpu->arch.sw.guest.gpr[a.reg] : 0;
		memcpy(run->mmio.data, &data, a.len);
	}
	p->kind = write ? RVKVM_PENDING_MMIO_STORE : RVKVM_PENDING_MMIO_LOAD;
	p->rd = a.reg;
	p->len = a.len;
	p->sign_extend = a.sign_extend;
	p->insn_len = t->insn_len;
	vcpu->stats.mmio_exits++;
	return 0;
}

/* A CSR the guest may not touch directly goes to userspace (seed). */
static int csr_exit(struct rvkvm_vcpu *vcpu, unsigned long insn)
{
	struct rvkvm_exit_pending *p = &vcpu->arch.pending;
	struct kvm_run *run = vcpu->run;
	unsigned int f3 = RVKVM_FUNCT3(insn), rs1 = RVKVM_RS1(insn);
	unsigned long val;

	/* Immediate forms carry the value in the rs1 field. */
	val = (f3 & 4) ? rs1 : (rs1 ? vcpu->arch.sw.guest.gpr[rs1] : 0);
	run->exit_reason = KVM_EXIT_RISCV_CSR;
	run->riscv_csr.csr_num = RVKVM_CSR_NUM(insn);
	switch (f3 & 3) {
	case 1:	/* csrrw */
		run->riscv_csr.new_value = val;
		run->riscv_csr.write_mask = -1UL;
		break;
	case 2:	/* csrrs */
		run->riscv_csr.new_value = -1UL;
		run->riscv_csr.write_mask = val;
		break;
	default: /* csrrc */
		run->riscv_csr.new_value = 0;
		run->riscv_csr.write_mask = val;
	}
	run->riscv_csr.ret_value = 0;
	p->kind = RVKVM_PENDING_CSR;
	p->rd = RVKVM_RD(insn);
	p->insn_len = 4;
	vcpu->stats.csr_exits++;
	return 0;
}

static int wfi(struct rvkvm_vcpu *vcpu)
{
	vcpu->arch.sw.guest.sepc += 4;
	vcpu->stats.wfi_exits++;
	rvkvm_vcpu_halt(vcpu);
	return 1;
}

int rvkvm_insn_virtual(struct rvkvm_vcpu *vcpu)
{
	unsigned long insn = vcpu->arch.trap.insn;

	if (!insn && vcpu->arch.trap.insn_fault)
		return 1;
	/* U-mode WFI is illegal natively; from VU-mode it must not sleep. */
	if (insn == RVKVM_INSN_WFI && rvkvm_exit_from_vs(vcpu))
		return wfi(vcpu);
	if ((insn & 0x7f) == RVKVM_OP_SYSTEM && (RVKVM_FUNCT3(insn) & 3) &&
	    RVKVM_CSR_NUM(insn) == RVKVM_CSR_SEED)
		return csr_exit(vcpu, insn);
	/* Everything else the guest may not do is illegal for it. */
	rvkvm_trap_redirect(vcpu, EXC_INST_ILLEGAL, insn);
	return 1;
}
