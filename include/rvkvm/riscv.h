/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: the RISC-V parts of VMs and vCPUs.
 */
#ifndef RVKVM_RISCV_H
#define RVKVM_RISCV_H

#include <linux/hrtimer.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <asm/ptrace.h>

#include <rvkvm/riscv_switch.h>

struct rvkvm_vm;
struct rvkvm_vcpu;
struct rvkvm_memslot;

struct rvkvm_vmid {
	unsigned long vmid;
	u64 gen;			/* allocator generation it belongs to */
};

struct rvkvm_vm_arch {
	spinlock_t mmu_lock;		/* G-stage tables, pins, slot arrays */
#ifdef CONFIG_MMU_NOTIFIER
	struct mmu_notifier mn;
#endif
	unsigned long mmu_seq;		/* bumped when an invalidation ends */
	long mmu_inv_count;		/* invalidations in progress */
	unsigned long *pgd;		/* root table, 16 KiB, linear map */
	phys_addr_t pgd_phys;
	struct rvkvm_vmid vmid;
	u64 time_delta;			/* htimedelta shared by the vCPUs */
};

/* Guest supervisor CSRs, as ONE_REG names them, plus hypervisor state. */
struct rvkvm_guest_csr {
	unsigned long vsstatus;
	unsigned long vsie;
	unsigned long vstvec;
	unsigned long vsscratch;
	unsigned long vsepc;
	unsigned long vscause;
	unsigned long vstval;
	unsigned long hvip;
	unsigned long vsatp;
	unsigned long scounteren;
	/* No VS copy exists: the guest's value lives in senvcfg itself. */
	unsigned long senvcfg;
};

/*
 * Without Sstc the hrtimer raises VSTIP through hvip at next_cycles. With
 * Sstc, vstimecmp does that in hardware while the vCPU is loaded; the
 * hrtimer only wakes a vCPU sleeping in WFI.
 */
struct rvkvm_timer {
	struct hrtimer hrt;
	u64 next_cycles;		/* compare value, U64_MAX when off */
	u64 hw_cmp;			/* vstimecmp as rvkvm last wrote it */
	bool armed;
};

/* What the last exit needs from userspace before the guest goes on. */
enum rvkvm_pending {
	RVKVM_PENDING_NONE,
	RVKVM_PENDING_MMIO_LOAD,	/* write run->mmio.data to a GPR */
	RVKVM_PENDING_MMIO_STORE,	/* only skip the instruction */
	RVKVM_PENDING_SBI,		/* copy run->riscv_sbi.ret to a0/a1 */
	RVKVM_PENDING_CSR,		/* copy run->riscv_csr.ret_value to rd */
};

struct rvkvm_exit_pending {
	enum rvkvm_pending kind;
	unsigned int rd;		/* destination GPR */
	unsigned int len;		/* access size in bytes */
	bool sign_extend;
	unsigned int insn_len;		/* bytes to skip at sepc */
};

/* The trap that ended the last guest run, read before IRQs come back on. */
struct rvkvm_trap {
	unsigned long sepc;
	unsigned long scause;
	unsigned long stval;
	unsigned long htval;
	unsigned long htinst;
	unsigned long insn;		/* trapping instruction, 0 if unknown */
	unsigned int insn_len;
	bool insn_fault;		/* reading it faulted: just retry */
	bool rv32;			/* trapped from a 32-bit VU-mode */
};

/* Where an HSM start sends a stopped vCPU. */
struct rvkvm_hsm_start {
	unsigned long pc;
	unsigned long opaque;
};

struct rvkvm_vcpu_arch {
	/* First: switch.S reaches it by fixed offsets from the vCPU. */
	struct rvkvm_switch sw;

	struct rvkvm_guest_csr csr;
	struct __riscv_d_ext_state guest_fp;
	struct __riscv_d_ext_state host_fp;

	/* ONE_REG CONFIG */
	unsigned long isa;		/* single letters: bit ('x' - 'a') */
	unsigned long ext;		/* multi-letter: RVKVM_EXT_* */
	unsigned long mvendorid, marchid, mimpid;

	struct rvkvm_hsm_start hsm_start;

	/* Interrupts: pending VS bits and which of them injectors changed. */
	spinlock_t irq_lock;
	unsigned long irqs_pending;
	unsigned long irqs_pending_mask;
	unsigned long hvip_written;	/* hvip as rvkvm last wrote it */

	struct rvkvm_timer timer;
	struct rvkvm_trap trap;
	struct rvkvm_exit_pending pending;

	/* MP state: stopped vCPUs wait for an HSM start. */
	spinlock_t mp_lock;
	bool stopped;
	bool suspended;			/* in an HSM retentive suspend */

	int last_exit_cpu;
	u64 serial;			/* unique among all vCPUs ever made */
	unsigned long hgatp_vmid;	/* VMID in hgatp while loaded */
	unsigned long host_senvcfg;	/* while loaded */
};

/* Multi-letter extensions a vCPU can be given (vcpu->arch.ext). */
#define RVKVM_EXT_SSTC		BIT(0)

/* Macros: struct rvkvm_vcpu is not complete yet here. */
#define rvkvm_vcpu_has_sstc(vcpu)	(!!((vcpu)->arch.ext & RVKVM_EXT_SSTC))
/* The last exit came from VS-mode, not VU-mode (sstatus.SPP of the trap). */
#define rvkvm_exit_from_vs(vcpu)	(!!((vcpu)->arch.sw.guest.sstatus & SR_SPP))

/* riscv/vmid.c tlb.c */
int rvkvm_vmid_init(void);
void rvkvm_vmid_update(struct rvkvm_vcpu *vcpu);
bool rvkvm_vmid_stale(struct rvkvm_vm *vm);
void rvkvm_tlb_flush_vm(struct rvkvm_vm *vm);
void rvkvm_tlb_flush_vm_local(struct rvkvm_vm *vm);
void rvkvm_tlb_flush_gpa_range(struct rvkvm_vm *vm, u64 gpa, u64 size);

/* riscv/gstage.c pin.c */
int rvkvm_gstage_init(struct rvkvm_vm *vm);
void rvkvm_gstage_free(struct rvkvm_vm *vm);
int rvkvm_gstage_prepare_slot(u64 base_gfn, u64 npages, unsigned long uaddr,
			      u32 flags);
int rvkvm_gstage_fault(struct rvkvm_vcpu *vcpu, u64 gpa, bool write,
		       bool exec);
void rvkvm_gstage_unmap_slot(struct rvkvm_vm *vm, struct rvkvm_memslot *slot);
unsigned long rvkvm_gstage_collect_dirty(struct rvkvm_vm *vm,
					 struct rvkvm_memslot *slot,
					 unsigned long word);
void rvkvm_gstage_wrprotect_slot(struct rvkvm_vm *vm,
				 struct rvkvm_memslot *slot);
unsigned long rvkvm_hgatp(struct rvkvm_vm *vm);
void rvkvm_gstage_unmap_gfn(struct rvkvm_vm *vm, u64 gfn);
struct page *rvkvm_pin_get(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			   u64 gfn, bool write, bool *fresh, int *err);
void rvkvm_pin_drop(struct rvkvm_vm *vm, struct page *page, bool write);
struct page *rvkvm_pin_store(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			     u64 gfn, struct page *page, bool *stored,
			     int *err);
int rvkvm_notifier_register(struct rvkvm_vm *vm);
void rvkvm_notifier_unregister(struct rvkvm_vm *vm);
void rvkvm_unpin_slot(struct rvkvm_vm *vm, struct rvkvm_memslot *slot);

/* riscv/entry.c */
int rvkvm_arch_vcpu_init(struct rvkvm_vcpu *vcpu);
void rvkvm_arch_vcpu_uninit(struct rvkvm_vcpu *vcpu);
void rvkvm_arch_vcpu_reset(struct rvkvm_vcpu *vcpu);
int rvkvm_arch_vcpu_run(struct rvkvm_vcpu *vcpu);
void rvkvm_vcpu_halt(struct rvkvm_vcpu *vcpu);

/* riscv/exit.c insn.c */
int rvkvm_exit_handle(struct rvkvm_vcpu *vcpu);
bool rvkvm_exit_fast(struct rvkvm_vcpu *vcpu);
void rvkvm_exit_complete(struct rvkvm_vcpu *vcpu);
void rvkvm_trap_redirect(struct rvkvm_vcpu *vcpu, unsigned long scause,
			 unsigned long stval);
int rvkvm_insn_mmio(struct rvkvm_vcpu *vcpu, u64 gpa, bool write);
int rvkvm_insn_virtual(struct rvkvm_vcpu *vcpu);

/* riscv/irq.c timer.c */
int rvkvm_irq_set(struct rvkvm_vcpu *vcpu, unsigned int irq, bool level);
void rvkvm_irq_flush(struct rvkvm_vcpu *vcpu);
unsigned long rvkvm_irq_hvip_own(struct rvkvm_vcpu *vcpu, unsigned long hvip);
void rvkvm_irq_sync(struct rvkvm_vcpu *vcpu);
bool rvkvm_irq_pending(struct rvkvm_vcpu *vcpu, bool loaded);
void rvkvm_timer_init(struct rvkvm_vcpu *vcpu);
void rvkvm_timer_set(struct rvkvm_vcpu *vcpu, u64 cycles);
void rvkvm_timer_cancel(struct rvkvm_vcpu *vcpu);
u64 rvkvm_timer_now(struct rvkvm_vm *vm);
void rvkvm_timer_use_sstc(struct rvkvm_vcpu *vcpu, bool on);
void rvkvm_timer_load(struct rvkvm_vcpu *vcpu);
void rvkvm_timer_put(struct rvkvm_vcpu *vcpu);
bool rvkvm_timer_due(struct rvkvm_vcpu *vcpu);
bool rvkvm_timer_due_loaded(struct rvkvm_vcpu *vcpu);
void rvkvm_timer_block(struct rvkvm_vcpu *vcpu);
void rvkvm_timer_unblock(struct rvkvm_vcpu *vcpu);

/* riscv/sbi.c: like rvkvm_exit_handle; the fast one true when handled */
int rvkvm_sbi_ecall(struct rvkvm_vcpu *vcpu);
bool rvkvm_sbi_fast(struct rvkvm_vcpu *vcpu);
void rvkvm_sbi_hsm_start_apply(struct rvkvm_vcpu *vcpu);

/* riscv/onereg.c */
unsigned long rvkvm_isa_host_allowed(void);
unsigned long rvkvm_ext_host_allowed(void);
int rvkvm_onereg_get(struct rvkvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int rvkvm_onereg_set(struct rvkvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int rvkvm_onereg_list(struct rvkvm_vcpu *vcpu, struct kvm_reg_list __user *ul);

#endif
