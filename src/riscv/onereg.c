// SPDX-License-Identifier: GPL-2.0
/* rvkvm: ONE_REG, CORE class only (placeholder until the full version). */
#include <linux/uaccess.h>
#include <asm/hwcap.h>

#include <rvkvm/rvkvm.h>

unsigned long rvkvm_isa_host_allowed(void)
{
	unsigned long isa = 0;
	const char *l = "acdfim";

	for (; *l; l++)
		if (__riscv_isa_extension_available(NULL, *l - 'a'))
			isa |= BIT(*l - 'a');
	return isa;
}

static unsigned long *core_reg(struct rvkvm_vcpu *vcpu, u64 id)
{
	u64 idx = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
			 KVM_REG_RISCV_TYPE_MASK);

	if ((id & KVM_REG_RISCV_TYPE_MASK) != KVM_REG_RISCV_CORE ||
	    KVM_REG_SIZE(id) != sizeof(unsigned long) || idx > 31)
		return NULL;
	return idx ? &vcpu->arch.sw.guest.gpr[idx] : &vcpu->arch.sw.guest.sepc;
}

int rvkvm_onereg_get(struct rvkvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	unsigned long *p = core_reg(vcpu, reg->id);

	if (!p)
		return -ENOENT;
	return put_user(*p, (unsigned long __user *)reg->addr);
}

int rvkvm_onereg_set(struct rvkvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	unsigned long *p = core_reg(vcpu, reg->id);

	if (!p)
		return -ENOENT;
	return get_user(*p, (unsigned long __user *)reg->addr);
}

int rvkvm_onereg_list(struct rvkvm_vcpu *vcpu, struct kvm_reg_list __user *ul)
{
	return -EINVAL;
}
