// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: vCPU registers for userspace. KVM_GET_ONE_REG and KVM_SET_ONE_REG
 * move one register at a time, KVM_GET_REG_LIST names all of them. Both
 * walk one description of the register space (count, size and presence per
 * type), so an id is in the list exactly when ONE_REG accepts it.
 *
 * The callers hold vcpu->lock and the vCPU is not running, so its state is
 * in memory. Only the guest's view is reachable from here: hstatus, hgatp,
 * hedeleg, hideleg, hcounteren and henvcfg belong to the hypervisor and
 * have no register id.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/log2.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <asm/csr.h>
#include <asm/delay.h>
#include <asm/hwcap.h>
#include <asm/pgtable.h>
#include <asm/timex.h>

#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>
#include <rvkvm/rvkvm.h>
#include <uapi/rvkvm/kvm_compat.h>

#define ISA(x)		BIT(RISCV_ISA_EXT_##x)
/* Single-letter extensions a guest can be given. */
#define ISA_GUEST	(ISA(a) | ISA(c) | ISA(d) | ISA(f) | ISA(i) | ISA(m))
/* Those the hardware offers no way to hide from a guest. */
#define ISA_FIXED	(ISA(a) | ISA(c) | ISA(i) | ISA(m))
/* Those that come with register state (guest FP, sstatus.FS). */
#define ISA_FP		(ISA(d) | ISA(f))
/* Every single-letter bit the CONFIG isa register can carry. */
#define ISA_LETTERS	GENMASK(25, 0)

/* Number of registers (indices 0..N-1) of each type. */
#define NR_CORE		33	/* pc, x1..x31, mode */
#define NR_CSR		10	/* sstatus..scounteren, general sub-type */
#define NR_TIMER	4	/* frequency, time, compare, state */
#define NR_FP		33	/* f0..f31, fcsr */
#define NR_ISA_EXT	(KVM_RISCV_ISA_EXT_SSTC + 1)

#define CORE_PC		KVM_REG_RISCV_CORE_REG(regs.pc)
#define CORE_MODE	KVM_REG_RISCV_CORE_REG(mode)
#define FP_FCSR		32

/* Guest interrupts as hvip holds them, and their place in the guest's sip. */
#define VS_IRQS		(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | BIT(IRQ_VS_EXT))
#define VS_TO_S_SHIFT	(IRQ_VS_SOFT - IRQ_S_SOFT)

/*
 * The ISA_EXT registers rvkvm has, by register index: a single letter (its
 * bit in vcpu->arch.isa) or a multi-letter extension (its bit in
 * vcpu->arch.ext). An index with neither has no register.
 */
static const struct {
	unsigned long isa;
	unsigned long ext;
} isa_exts[NR_ISA_EXT] = {
	[KVM_RISCV_ISA_EXT_A] = { .isa = ISA(a) },
	[KVM_RISCV_ISA_EXT_C] = { .isa = ISA(c) },
	[KVM_RISCV_ISA_EXT_D] = { .isa = ISA(d) },
	[KVM_RISCV_ISA_EXT_F] = { .isa = ISA(f) },
	[KVM_RISCV_ISA_EXT_H] = { .isa = ISA(h) },
	[KVM_RISCV_ISA_EXT_I] = { .isa = ISA(i) },
	[KVM_RISCV_ISA_EXT_M] = { .isa = ISA(m) },
	[KVM_RISCV_ISA_EXT_SSTC] = { .ext = RVKVM_EXT_SSTC },
};

/* Register types in the order KVM_GET_REG_LIST reports them. */
static const u64 reg_types[] = {
	KVM_REG_RISCV_CONFIG, KVM_REG_RISCV_CORE, KVM_REG_RISCV_CSR,
	KVM_REG_RISCV_TIMER, KVM_REG_RISCV_FP_F, KVM_REG_RISCV_FP_D,
	KVM_REG_RISCV_ISA_EXT,
};

/* A register id taken apart and checked against this vCPU. */
struct reg {
	u64 type;
	unsigned long idx;
	unsigned int size;
};

unsigned long rvkvm_isa_host_allowed(void)
{
	unsigned long allowed = 0, guest = ISA_GUEST;
	unsigned int x;

	for_each_set_bit(x, &guest, BITS_PER_LONG)
		if (__riscv_isa_extension_available(NULL, x))
			allowed |= BIT(x);
	/* D state is kept with F's; a host with D but no F does not exist. */
	if (!(allowed & ISA(f)))
		allowed &= ~ISA(d);
	return allowed;
}

/* Multi-letter extensions rvkvm can give a guest on this host. */
unsigned long rvkvm_ext_host_allowed(void)
{
	return rvkvm_hw.sstc ? RVKVM_EXT_SSTC : 0;
}

static unsigned long type_nr(u64 type)
{
	switch (type) {
	case KVM_REG_RISCV_CONFIG:
		return RVKVM_RISCV_CONFIG_NR;
	case KVM_REG_RISCV_CORE:
		return NR_CORE;
	case KVM_REG_RISCV_CSR:
		return NR_CSR;
	case KVM_REG_RISCV_TIMER:
		return NR_TIMER;
	case KVM_REG_RISCV_FP_F:
	case KVM_REG_RISCV_FP_D:
		return NR_FP;
	case KVM_REG_RISCV_ISA_EXT:
		return NR_ISA_EXT;
	}
	return 0;
}

static unsigned int reg_size(u64 type, unsigned long idx)
{
	switch (type) {
	case KVM_REG_RISCV_TIMER:
		return sizeof(u64);
	case KVM_REG_RISCV_FP_F:
		return sizeof(u32);
	case KVM_REG_RISCV_FP_D:
		return idx == FP_FCSR ? sizeof(u32) : sizeof(u64);
	}
	return sizeof(unsigned long);
}

/* Whether this vCPU has register @idx (below type_nr()) of @type. */
static bool reg_present(const struct rvkvm_vcpu *vcpu, u64 type,
			unsigned long idx)
{
	switch (type) {
	case KVM_REG_RISCV_CONFIG:
		if (idx == RVKVM_RISCV_CONFIG_ZICBOM_BLOCK_SIZE)
			return rvkvm_cpu_zicbom_block_size() != 0;
		if (idx == RVKVM_RISCV_CONFIG_ZICBOZ_BLOCK_SIZE)
			return rvkvm_cpu_zicboz_block_size() != 0;
		return true;
	case KVM_REG_RISCV_FP_F:
		return vcpu->arch.isa & ISA(f);
	case KVM_REG_RISCV_FP_D:
		return vcpu->arch.isa & ISA(d);
	case KVM_REG_RISCV_ISA_EXT:
		/* An extension the host lacks has no register at all. */
		if (isa_exts[idx].ext)
			return isa_exts[idx].ext & rvkvm_ext_host_allowed();
		return isa_exts[idx].isa &&
		       __riscv_isa_extension_available(NULL,
						       __ffs(isa_exts[idx].isa));
	}
	return true;
}

static u64 reg_id(u64 type, unsigned long idx)
{
	u64 size = (u64)ilog2(reg_size(type, idx)) << KVM_REG_SIZE_SHIFT;

	return KVM_REG_RISCV | size | type | idx;
}

/*
 * Decode @id: -ENOENT when this vCPU has no such register, -EINVAL when the
 * size encoded in the id is not the register's. The index comes back
 * clamped for speculation.
 */
static int reg_find(const struct rvkvm_vcpu *vcpu, u64 id, struct reg *r)
{
	unsigned long nr;

	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_RISCV)
		return -ENOENT;
	r->type = id & KVM_REG_RISCV_TYPE_MASK;
	/* Sub-type and the unused bits 51:32 land here too: out of range. */
	r->idx = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
			KVM_REG_RISCV_TYPE_MASK);
	nr = type_nr(r->type);
	if (r->idx >= nr)
		return -ENOENT;
	r->idx = array_index_nospec(r->idx, nr);
	if (!reg_present(vcpu, r->type, r->idx))
		return -ENOENT;
	r->size = reg_size(r->type, r->idx);
	if (KVM_REG_SIZE(id) != r->size)
		return -EINVAL;
	return 0;
}

static int user_put(const struct kvm_one_reg *reg, unsigned int size, u64 val)
{
	void __user *uaddr = u64_to_user_ptr(reg->addr);
	u32 val32 = val;

	if (size == sizeof(u32))
		return copy_to_user(uaddr, &val32, sizeof(val32)) ? -EFAULT : 0;
	return copy_to_user(uaddr, &val, sizeof(val)) ? -EFAULT : 0;
}

static int user_get(const struct kvm_one_reg *reg, unsigned int size, u64 *val)
{
	void __user *uaddr = u64_to_user_ptr(reg->addr);
	u32 val32;

	if (size == sizeof(u32)) {
		if (copy_from_user(&val32, uaddr, sizeof(val32)))
			return -EFAULT;
		*val = val32;
		return 0;
	}
	return copy_from_user(val, uaddr, sizeof(*val)) ? -EFAULT : 0;
}

/*
 * sstatus.FS of the guest context gates its FP instructions whatever the
 * guest puts in vsstatus.FS: Off hides F and D, Initial lets the first use
 * load the register file from guest_fp.
 */
static void fp_reset(struct rvkvm_vcpu *vcpu)
{
	unsigned long fs = vcpu->arch.isa & ISA_FP ? SR_FS_INITIAL : SR_FS_OFF;

	/* A reset derives FS from isa again (rvkvm_arch_vcpu_reset). */
	vcpu->arch.sw.guest.sstatus = (vcpu->arch.sw.guest.sstatus & ~SR_FS) | fs;
}

static void isa_update(struct rvkvm_vcpu *vcpu, unsigned long isa)
{
	unsigned long changed = vcpu->arch.isa ^ isa;

	vcpu->arch.isa = isa;
	if (changed & ISA_FP)
		fp_reset(vcpu);
}

static int config_isa_set(struct rvkvm_vcpu *vcpu, unsigned long isa)
{
	unsigned long allowed = rvkvm_isa_host_allowed();

	if (isa == (vcpu->arch.isa & ISA_LETTERS))
		return 0;
	if (vcpu->has_run)
		return -EBUSY;
	/* Only what the host has and rvkvm can switch; D needs F's state. */
	if ((isa & ~allowed) || (allowed & ISA_FIXED & ~isa))
		return -EINVAL;
	if ((isa & ISA(d)) && !(isa & ISA(f)))
		return -EINVAL;
	isa_update(vcpu, isa);
	return 0;
}

static int config_id_set(struct rvkvm_vcpu *vcpu, unsigned long *id,
			 unsigned long val)
{
	if (val == *id)
		return 0;
	if (vcpu->has_run)
		return -EBUSY;
	*id = val;
	return 0;
}

static unsigned long satp_mode_field(void)
{
	return satp_mode >> RVKVM_SATP_MODE_SHIFT;
}

static u64 config_get(struct rvkvm_vcpu *vcpu, unsigned long idx)
{
	switch (idx) {
	case RVKVM_RISCV_CONFIG_ISA:
		return vcpu->arch.isa & ISA_LETTERS;
	case RVKVM_RISCV_CONFIG_ZICBOM_BLOCK_SIZE:
		return rvkvm_cpu_zicbom_block_size();
	case RVKVM_RISCV_CONFIG_ZICBOZ_BLOCK_SIZE:
		return rvkvm_cpu_zicboz_block_size();
	case RVKVM_RISCV_CONFIG_MVENDORID:
		return vcpu->arch.mvendorid;
	case RVKVM_RISCV_CONFIG_MARCHID:
		return vcpu->arch.marchid;
	case RVKVM_RISCV_CONFIG_MIMPID:
		return vcpu->arch.mimpid;
	}
	return satp_mode_field();
}

static int config_set(struct rvkvm_vcpu *vcpu, unsigned long idx,
		      unsigned long val)
{
	switch (idx) {
	case RVKVM_RISCV_CONFIG_ISA:
		return config_isa_set(vcpu, val);
	case RVKVM_RISCV_CONFIG_MVENDORID:
		return config_id_set(vcpu, &vcpu->arch.mvendorid, val);
	case RVKVM_RISCV_CONFIG_MARCHID:
		return config_id_set(vcpu, &vcpu->arch.marchid, val);
	case RVKVM_RISCV_CONFIG_MIMPID:
		return config_id_set(vcpu, &vcpu->arch.mimpid, val);
	}
	/* Block sizes and satp_mode are the host's: only they may be written. */
	return val == config_get(vcpu, idx) ? 0 : -EINVAL;
}

static u64 core_get(struct rvkvm_vcpu *vcpu, unsigned long idx)
{
	struct rvkvm_cpu_ctx *ctx = &vcpu->arch.sw.guest;

	if (idx == CORE_PC)
		return ctx->sepc;
	if (idx == CORE_MODE)
		return ctx->sstatus & SR_SPP ? KVM_RISCV_MODE_S :
					       KVM_RISCV_MODE_U;
	return ctx->gpr[idx];
}

static int core_set(struct rvkvm_vcpu *vcpu, unsigned long idx,
		    unsigned long val)
{
	struct rvkvm_cpu_ctx *ctx = &vcpu->arch.sw.guest;

	if (idx == CORE_PC) {
		ctx->sepc = val;
	} else if (idx == CORE_MODE) {
		/* The mode the guest resumes in: sret takes it from SPP. */
		if (val == KVM_RISCV_MODE_S) {
			ctx->sstatus |= SR_SPP;
			ctx->hstatus |= HSTATUS_SPVP;
		} else if (val == KVM_RISCV_MODE_U) {
			ctx->sstatus &= ~SR_SPP;
			ctx->hstatus &= ~HSTATUS_SPVP;
		} else {
			return -EINVAL;
		}
	} else {
		ctx->gpr[idx] = val;
	}
	return 0;
}

/*
 * The guest's sip is hvip's VS bits moved down to the S positions. Changes
 * made by KVM_INTERRUPT or the timer may still wait in irqs_pending (bits
 * named by irqs_pending_mask) to be folded into hvip before the next entry,
 * so a read folds them in its own copy.
 */
static unsigned long guest_sip_get(struct rvkvm_vcpu *vcpu)
{
	unsigned long mask = READ_ONCE(vcpu->arch.irqs_pending_mask) & VS_IRQS;
	unsigned long hvip = (vcpu->arch.csr.hvip & ~mask) |
			     (READ_ONCE(vcpu->arch.irqs_pending) & mask);

	/*
	 * Not Sstc's comparator: the guest sees it in sip, but a VMM that
	 * saves and restores sip would turn it into a latched hvip.VSTIP.
	 */
	return (hvip & VS_IRQS) >> VS_TO_S_SHIFT;
}

/*
 * A write sets hvip and leaves the same value pending with its mask bits
 * set, so folding irqs_pending into hvip later gives the written value,
 * and an interrupt raised after this write still lands on top of it.
 */
static void guest_sip_set(struct rvkvm_vcpu *vcpu, unsigned long sip)
{
	static const unsigned int irqs[] = {
		IRQ_VS_SOFT, IRQ_VS_TIMER, IRQ_VS_EXT,
	};
	unsigned long hvip = (sip << VS_TO_S_SHIFT) & VS_IRQS;
	unsigned int i;

	vcpu->arch.csr.hvip = (vcpu->arch.csr.hvip & ~VS_IRQS) | hvip;
	/* As an injector would, so that it serialises with the others. */
	for (i = 0; i < ARRAY_SIZE(irqs); i++)
		rvkvm_irq_set(vcpu, irqs[i], hvip & BIT(irqs[i]));
}

/* Where a general CSR other than sip lives. */
static unsigned long *guest_csr_field(struct rvkvm_vcpu *vcpu, unsigned long idx)
{
	struct rvkvm_guest_csr *csr = &vcpu->arch.csr;

	switch (idx) {
	case KVM_REG_RISCV_CSR_REG(sstatus):
		return &csr->vsstatus;
	case KVM_REG_RISCV_CSR_REG(sie):
		return &csr->vsie;
	case KVM_REG_RISCV_CSR_REG(stvec):
		return &csr->vstvec;
	case KVM_REG_RISCV_CSR_REG(sscratch):
		return &csr->vsscratch;
	case KVM_REG_RISCV_CSR_REG(sepc):
		return &csr->vsepc;
	case KVM_REG_RISCV_CSR_REG(scause):
		return &csr->vscause;
	case KVM_REG_RISCV_CSR_REG(stval):
		return &csr->vstval;
	case KVM_REG_RISCV_CSR_REG(satp):
		return &csr->vsatp;
	}
	/* scounteren is switched with the guest context. */
	return &vcpu->arch.sw.guest.scounteren;
}

static u64 guest_csr_get(struct rvkvm_vcpu *vcpu, unsigned long idx)
{
	if (idx == KVM_REG_RISCV_CSR_REG(sip))
		return guest_sip_get(vcpu);
	return *guest_csr_field(vcpu, idx);
}

/*
 * The fields of sstatus a guest has: SIE, SPIE, UBE, SPP, VS, FS, XS, SUM,
 * MXR, UXL, SD. vsstatus and vsatp are WARL, but QEMU 7.2 stores what the
 * hypervisor writes and lets a vsstatus TSR or MPRV reach the host (an
 * oops at its next sret, a hang in firmware) and an unknown vsatp MODE
 * abort the emulator: keep both legal here, as hardware would.
 */
#define GUEST_SSTATUS_FIELDS	0x80000003000de762UL

static bool satp_legal(unsigned long val)
{
	unsigned long mode = val >> RVKVM_SATP_MODE_SHIFT;

	return !mode || (mode >= 8 && mode <= satp_mode_field());
}

static int guest_csr_set(struct rvkvm_vcpu *vcpu, unsigned long idx,
			 unsigned long val)
{
	switch (idx) {
	case KVM_REG_RISCV_CSR_REG(sip):
		guest_sip_set(vcpu, val);
		return 0;
	case KVM_REG_RISCV_CSR_REG(sstatus):
		val &= GUEST_SSTATUS_FIELDS;
		break;
	case KVM_REG_RISCV_CSR_REG(satp):
		/* An unsupported MODE makes the whole write have no effect. */
		if (!satp_legal(val))
			return 0;
		break;
	}
	*guest_csr_field(vcpu, idx) = val;
	return 0;
}

static u64 timer_get(struct rvkvm_vcpu *vcpu, unsigned long idx)
{
	switch (idx) {
	case KVM_REG_RISCV_TIMER_REG(frequency):
		return riscv_timebase;
	case KVM_REG_RISCV_TIMER_REG(time):
		return get_cycles64() + READ_ONCE(vcpu->vm->arch.time_delta);
	case KVM_REG_RISCV_TIMER_REG(compare):
		return vcpu->arch.timer.next_cycles;
	}
	return READ_ONCE(vcpu->arch.timer.armed) ? KVM_RISCV_TIMER_STATE_ON :
						   KVM_RISCV_TIMER_STATE_OFF;
}

static int timer_set(struct rvkvm_vcpu *vcpu, unsigned long idx, u64 val)
{
	switch (idx) {
	case KVM_REG_RISCV_TIMER_REG(frequency):
		return val == riscv_timebase ? 0 : -EINVAL;
	case KVM_REG_RISCV_TIMER_REG(time):
		/* One time base per VM: every vCPU sees the new value. */
		WRITE_ONCE(vcpu->vm->arch.time_delta, val - get_cycles64());
		return 0;
	case KVM_REG_RISCV_TIMER_REG(compare):
		rvkvm_timer_set(vcpu, val);
		return 0;
	}
	if (val == KVM_RISCV_TIMER_STATE_OFF)
		rvkvm_timer_cancel(vcpu);
	else if (val == KVM_RISCV_TIMER_STATE_ON)
		rvkvm_timer_set(vcpu, vcpu->arch.timer.next_cycles);
	else
		return -EINVAL;
	return 0;
}

/*
 * FP_F is the single-precision view of the same register file: the low
 * half of each register. Values written through it are NaN-boxed, as a
 * flw would leave them, so that the guest's single-precision instructions
 * see them on hardware with D.
 */
static u64 fp_get(struct rvkvm_vcpu *vcpu, u64 type, unsigned long idx)
{
	struct __riscv_d_ext_state *fp = &vcpu->arch.guest_fp;

	if (idx == FP_FCSR)
		return fp->fcsr;
	if (type == KVM_REG_RISCV_FP_F)
		return lower_32_bits(fp->f[idx]);
	return fp->f[idx];
}

static void fp_set(struct rvkvm_vcpu *vcpu, u64 type, unsigned long idx,
		   u64 val)
{
	struct __riscv_d_ext_state *fp = &vcpu->arch.guest_fp;

	if (idx == FP_FCSR)
		fp->fcsr = val;
	else if (type == KVM_REG_RISCV_FP_F)
		fp->f[idx] = GENMASK_ULL(63, 32) | lower_32_bits(val);
	else
		fp->f[idx] = val;
}

static u64 isa_ext_get(struct rvkvm_vcpu *vcpu, unsigned long idx)
{
	return !!((vcpu->arch.isa & isa_exts[idx].isa) |
		  (vcpu->arch.ext & isa_exts[idx].ext));
}

static int isa_ext_set(struct rvkvm_vcpu *vcpu, unsigned long idx,
		       unsigned long val)
{
	unsigned long bit = isa_exts[idx].isa;

	if (val > 1)
		return -EINVAL;
	if (val == isa_ext_get(vcpu, idx))
		return 0;
	if (vcpu->has_run)
		return -EBUSY;
	/* Present means the host has it: either value can be chosen. */
	if (isa_exts[idx].ext == RVKVM_EXT_SSTC) {
		rvkvm_timer_use_sstc(vcpu, val);
		return 0;
	}
	if (val) {
		/* H, for one: rvkvm does not virtualise it. */
		if (!(bit & rvkvm_isa_host_allowed()))
			return -EINVAL;
		isa_update(vcpu, vcpu->arch.isa | bit);
	} else {
		if (!(bit & ISA_FP))
			return -EINVAL;
		isa_update(vcpu, vcpu->arch.isa & ~bit);
	}
	return 0;
}

int rvkvm_onereg_get(struct rvkvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	struct reg r;
	u64 val;
	int ret;

	ret = reg_find(vcpu, reg->id, &r);
	if (ret)
		return ret;

	switch (r.type) {
	case KVM_REG_RISCV_CONFIG:
		val = config_get(vcpu, r.idx);
		break;
	case KVM_REG_RISCV_CORE:
		val = core_get(vcpu, r.idx);
		break;
	case KVM_REG_RISCV_CSR:
		val = guest_csr_get(vcpu, r.idx);
		break;
	case KVM_REG_RISCV_TIMER:
		val = timer_get(vcpu, r.idx);
		break;
	case KVM_REG_RISCV_FP_F:
	case KVM_REG_RISCV_FP_D:
		val = fp_get(vcpu, r.type, r.idx);
		break;
	default:
		val = isa_ext_get(vcpu, r.idx);
		break;
	}
	return user_put(reg, r.size, val);
}

int rvkvm_onereg_set(struct rvkvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	struct reg r;
	u64 val;
	int ret;

	ret = reg_find(vcpu, reg->id, &r);
	if (ret)
		return ret;
	ret = user_get(reg, r.size, &val);
	if (ret)
		return ret;

	switch (r.type) {
	case KVM_REG_RISCV_CONFIG:
		return config_set(vcpu, r.idx, val);
	case KVM_REG_RISCV_CORE:
		return core_set(vcpu, r.idx, val);
	case KVM_REG_RISCV_CSR:
		return guest_csr_set(vcpu, r.idx, val);
	case KVM_REG_RISCV_TIMER:
		return timer_set(vcpu, r.idx, val);
	case KVM_REG_RISCV_FP_F:
	case KVM_REG_RISCV_FP_D:
		fp_set(vcpu, r.type, r.idx, val);
		return 0;
	}
	return isa_ext_set(vcpu, r.idx, val);
}

/* Count this vCPU's registers and, if @uids is set, store their ids. */
static int reg_walk(const struct rvkvm_vcpu *vcpu, u64 __user *uids,
		    u64 *count)
{
	unsigned long idx;
	u64 n = 0;
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(reg_types); t++) {
		for (idx = 0; idx < type_nr(reg_types[t]); idx++) {
			if (!reg_present(vcpu, reg_types[t], idx))
				continue;
			if (uids && put_user(reg_id(reg_types[t], idx), uids + n))
				return -EFAULT;
			n++;
		}
	}
	*count = n;
	return 0;
}

int rvkvm_onereg_list(struct rvkvm_vcpu *vcpu, struct kvm_reg_list __user *ul)
{
	u64 n, count;

	if (get_user(n, &ul->n))
		return -EFAULT;
	reg_walk(vcpu, NULL, &count);
	if (put_user(count, &ul->n))
		return -EFAULT;
	if (n < count)
		return -E2BIG;
	return reg_walk(vcpu, ul->reg, &count);
}
