// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: H-extension detection, G-stage mode and VMID-width probing, and the
 * per-CPU hypervisor CSR set-up.
 */

#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/smp.h>
#include <asm/hwcap.h>
#include <asm/sbi.h>

#include <rvkvm/arch.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>

struct rvkvm_hw rvkvm_hw;

/* What one CPU supports; the probe keeps the intersection over all CPUs. */
struct cpu_probe {
	unsigned long mode;
	unsigned int vmid_bits;
	u64 henvcfg;
	bool first;
};

static const char *gstage_mode_name(unsigned long mode)
{
	switch (mode) {
	case HGATP_MODE_SV39X4:
		return "Sv39x4";
	case HGATP_MODE_SV48X4:
		return "Sv48x4";
	case HGATP_MODE_SV57X4:
		return "Sv57x4";
	}
	return "none";
}

static unsigned long local_gstage_mode(void)
{
	static const unsigned long modes[] = {
		HGATP_MODE_SV57X4, HGATP_MODE_SV48X4, HGATP_MODE_SV39X4,
	};
	int i;

	/* hgatp.MODE is WARL: an unsupported mode does not stick. */
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		csr_write(CSR_HGATP, modes[i] << HGATP_MODE_SHIFT);
		if ((csr_read(CSR_HGATP) >> HGATP_MODE_SHIFT) == modes[i])
			return modes[i];
	}
	return HGATP_MODE_OFF;
}

/*
 * Runs on each CPU with interrupts off. hgatp and henvcfg are restored
 * afterwards, since another hypervisor may have a vCPU loaded here.
 */
static void probe_local(void *arg)
{
	struct cpu_probe *p = arg;
	unsigned long old_hgatp = csr_read(CSR_HGATP);
	unsigned long old_henvcfg = csr_read(CSR_HENVCFG);
	unsigned long mode, vmid;
	u64 envcfg;

	mode = local_gstage_mode();
	vmid = 0;
	if (mode != HGATP_MODE_OFF) {
		csr_write(CSR_HGATP, (mode << HGATP_MODE_SHIFT) |
			  HGATP_VMID_MASK);
		vmid = (csr_read(CSR_HGATP) & HGATP_VMID_MASK) >>
		       HGATP_VMID_SHIFT;
	}
	csr_write(CSR_HENVCFG, ENVCFG_STCE | ENVCFG_PBMTE | RVKVM_ENVCFG_ADUE);
	envcfg = csr_read(CSR_HENVCFG);

	csr_write(CSR_HENVCFG, old_henvcfg);
	csr_write(CSR_HGATP, old_hgatp);
	/* The probe wrote hgatp: drop whatever it may have cached. */
	rvkvm_hfence_gvma_all();

	/* Modes are ordered Sv39x4 < Sv48x4 < Sv57x4: keep the smallest. */
	if (p->first || mode < p->mode)
		p->mode = mode;
	if (p->first || fls_long(vmid) < p->vmid_bits)
		p->vmid_bits = fls_long(vmid);
	p->henvcfg = p->first ? envcfg : (p->henvcfg & envcfg);
	p->first = false;
}

int rvkvm_arch_probe(void)
{
	struct cpu_probe p = { .first = true };
	int cpu;

	if (!riscv_isa_extension_available(NULL, h)) {
		pr_err("CPU has no H (hypervisor) extension, cannot load\n");
		return -ENODEV;
	}
	if (sbi_spec_is_0_1()) {
		pr_err("SBI v0.1 firmware, rvkvm needs SBI v0.2 or newer\n");
		return -ENODEV;
	}
	if (sbi_probe_extension(SBI_EXT_RFENCE) <= 0) {
		pr_err("SBI firmware has no RFENCE extension, cannot load\n");
		return -ENODEV;
	}

	/* One CPU at a time, so the intersection needs no locking. */
	cpus_read_lock();
	for_each_online_cpu(cpu)
		smp_call_function_single(cpu, probe_local, &p, 1);
	cpus_read_unlock();

	if (p.mode == HGATP_MODE_OFF) {
		pr_err("no usable G-stage translation mode, cannot load\n");
		return -ENODEV;
	}
	rvkvm_hw.gstage_mode = p.mode;
	rvkvm_hw.gstage_levels = p.mode - HGATP_MODE_SV39X4 + 3;
	/* VMIDs are only worth using when every CPU can hold its own. */
	rvkvm_hw.vmid_bits = p.vmid_bits;
	if ((1UL << p.vmid_bits) < num_possible_cpus())
		rvkvm_hw.vmid_bits = 0;
	/* vstimecmp is one register only on RV64 (RV32 splits it). */
	rvkvm_hw.sstc = IS_ENABLED(CONFIG_64BIT) && rvkvm_cpu_has_sstc() &&
			(p.henvcfg & ENVCFG_STCE);
	rvkvm_hw.svpbmt = rvkvm_cpu_has_svpbmt() && (p.henvcfg & ENVCFG_PBMTE);
	rvkvm_hw.sbi_version = sbi_spec_version;
	rvkvm_hw.fpu = __riscv_isa_extension_available(NULL, RISCV_ISA_EXT_f) ||
		       __riscv_isa_extension_available(NULL, RISCV_ISA_EXT_d);
	return 0;
}

void rvkvm_arch_report(void)
{
	pr_info("H extension found: G-stage %s, %u VMID bits, Sstc %s, Svpbmt %s, SBI v%lu.%lu\n",
		gstage_mode_name(rvkvm_hw.gstage_mode), rvkvm_hw.vmid_bits,
		rvkvm_hw.sstc ? "yes" : "no", rvkvm_hw.svpbmt ? "yes" : "no",
		sbi_major_version(), sbi_minor_version());
}

/* Guest exceptions that the guest's own kernel handles directly. */
#define RVKVM_HEDELEG	(BIT(EXC_INST_MISALIGNED) | BIT(EXC_BREAKPOINT) | \
			 BIT(EXC_SYSCALL) | BIT(EXC_INST_PAGE_FAULT) | \
			 BIT(EXC_LOAD_PAGE_FAULT) | BIT(EXC_STORE_PAGE_FAULT))
#define RVKVM_HIDELEG	(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | BIT(IRQ_VS_EXT))
/* Guests read time, cycle and instret; HPM counters stay the host's. */
#define RVKVM_HCOUNTEREN (RVKVM_HCOUNTEREN_CY | RVKVM_HCOUNTEREN_TM | \
			  RVKVM_HCOUNTEREN_IR)

void rvkvm_arch_cpu_check_clean(void)
{
	unsigned long hedeleg = csr_read(CSR_HEDELEG);

	/* Our own disable clears it: anything else was left by someone. */
	if (hedeleg)
		pr_info("CPU%u: found stale hedeleg %#lx, overwriting\n",
			smp_processor_id(), hedeleg);
}

void rvkvm_arch_cpu_enable(bool shared)
{
	csr_write(CSR_HEDELEG, RVKVM_HEDELEG);
	csr_write(CSR_HIDELEG, RVKVM_HIDELEG);
	if (shared) {
		/* Never take counters away from the other hypervisor's guests. */
		csr_set(CSR_HCOUNTEREN, RVKVM_HCOUNTEREN);
		return;
	}
	csr_write(CSR_HCOUNTEREN, RVKVM_HCOUNTEREN);
	csr_write(CSR_HVIP, 0);
	csr_write(CSR_HGATP, 0);
	rvkvm_hfence_gvma_all();
}

void rvkvm_arch_cpu_disable(bool shared)
{
	if (shared)
		return;
	/* Pending virtual interrupts must go before their delegation does. */
	csr_write(CSR_VSIE, 0);
	csr_write(CSR_HVIP, 0);
	csr_write(CSR_HEDELEG, 0);
	csr_write(CSR_HIDELEG, 0);
	csr_write(CSR_HCOUNTEREN, 0);
	csr_write(CSR_HGATP, 0);
	rvkvm_hfence_gvma_all();
}

long rvkvm_arch_check_extension(struct rvkvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_VM_GPA_BITS:
		return rvkvm_gpa_bits();
	case KVM_CAP_SYNC_MMU:
		/* Guests follow the host mm only through an MMU notifier. */
		return IS_ENABLED(CONFIG_MMU_NOTIFIER);
	}
	return 0;
}
