// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: SBI calls from the guest. One table of extension-id ranges; each
 * handler returns a Linux errno that one function maps to the SBI error
 * the guest sees. Calls that need no sleeping are handled in the fast loop.
 */

#include <linux/errno.h>
#include <linux/kernel.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_sbi.h>

static int sbi_to_user(struct rvkvm_vcpu *vcpu, unsigned long fid,
		       unsigned long *value, bool fast)
{
	return fast ? RVKVM_SBI_SLOW : rvkvm_sbi_forward(vcpu);
}

static const struct rvkvm_sbi_ext sbi_exts[] = {
	{ 0, RVKVM_SBI_EXT_LEGACY_LAST, rvkvm_sbi_legacy, true },
	{ RVKVM_SBI_EXT_BASE, RVKVM_SBI_EXT_BASE, rvkvm_sbi_base, true },
	{ RVKVM_SBI_EXT_TIME, RVKVM_SBI_EXT_TIME, rvkvm_sbi_time, true },
	{ RVKVM_SBI_EXT_IPI, RVKVM_SBI_EXT_IPI, rvkvm_sbi_ipi, true },
	{ RVKVM_SBI_EXT_RFENCE, RVKVM_SBI_EXT_RFENCE, rvkvm_sbi_rfence, true },
	{ RVKVM_SBI_EXT_HSM, RVKVM_SBI_EXT_HSM, rvkvm_sbi_hsm, true },
	{ RVKVM_SBI_EXT_SRST, RVKVM_SBI_EXT_SRST, rvkvm_sbi_srst, true },
	/* Userspace decides about these: the VMM answers or refuses. */
	{ RVKVM_SBI_EXT_DBCN, RVKVM_SBI_EXT_DBCN, sbi_to_user, false },
	{ RVKVM_SBI_EXT_EXPERIMENTAL, RVKVM_SBI_EXT_EXPERIMENTAL_END,
	  sbi_to_user, false },
	{ RVKVM_SBI_EXT_VENDOR, RVKVM_SBI_EXT_VENDOR_END, sbi_to_user, false },
};

static const struct rvkvm_sbi_ext *find_ext(unsigned long eid)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(sbi_exts); i++)
		if (eid >= sbi_exts[i].first && eid <= sbi_exts[i].last)
			return &sbi_exts[i];
	return NULL;
}

bool rvkvm_sbi_probe(unsigned long eid)
{
	const struct rvkvm_sbi_ext *ext = find_ext(eid);

	return ext && ext->probe;
}

static long errno_to_sbi(int err)
{
	switch (err) {
	case 0:
		return RVKVM_SBI_SUCCESS;
	case -EOPNOTSUPP:
		return RVKVM_SBI_ERR_NOT_SUPPORTED;
	case -EINVAL:
		return RVKVM_SBI_ERR_INVALID_PARAM;
	case -EPERM:
		return RVKVM_SBI_ERR_DENIED;
	case -EFAULT:
		return RVKVM_SBI_ERR_INVALID_ADDRESS;
	case -EALREADY:
		return RVKVM_SBI_ERR_ALREADY_AVAILABLE;
	}
	return RVKVM_SBI_ERR_FAILURE;
}

/* Hand the call to userspace as KVM_EXIT_RISCV_SBI; it fills ret[]. */
int rvkvm_sbi_forward(struct rvkvm_vcpu *vcpu)
{
	unsigned long *r = vcpu->arch.sw.guest.gpr;
	struct kvm_run *run = vcpu->run;
	int i;

	run->exit_reason = KVM_EXIT_RISCV_SBI;
	run->riscv_sbi.extension_id = r[17];
	run->riscv_sbi.function_id = r[16];
	for (i = 0; i < 6; i++)
		run->riscv_sbi.args[i] = r[10 + i];
	run->riscv_sbi.ret[0] = (unsigned long)RVKVM_SBI_ERR_NOT_SUPPORTED;
	run->riscv_sbi.ret[1] = 0;
	vcpu->arch.pending.kind = RVKVM_PENDING_SBI;
	vcpu->stats.sbi_exits++;
	return RVKVM_SBI_USER_EXIT;
}

/* Returns an rvkvm_exit_handle() value, or -EAGAIN for "not fast". */
static int sbi_call(struct rvkvm_vcpu *vcpu, bool fast)
{
	struct rvkvm_cpu_ctx *g = &vcpu->arch.sw.guest;
	const struct rvkvm_sbi_ext *ext = find_ext(g->gpr[17]);
	unsigned long value = 0;
	int ret = -EOPNOTSUPP;

	if (ext)
		ret = ext->handler(vcpu, g->gpr[16], &value, fast);
	switch (ret) {
	case RVKVM_SBI_SLOW:
		return -EAGAIN;
	case RVKVM_SBI_USER_EXIT:
		return 0;
	case RVKVM_SBI_NO_RETURN:
		return 1;
	}
	vcpu->stats.sbi_calls++;
	g->gpr[10] = errno_to_sbi(ret);
	/* Legacy calls return only a0; a1 is the caller's. */
	if (g->gpr[17] > RVKVM_SBI_EXT_LEGACY_END)
		g->gpr[11] = value;
	g->sepc += 4;
	return 1;
}

bool rvkvm_sbi_fast(struct rvkvm_vcpu *vcpu)
{
	return sbi_call(vcpu, true) == 1;
}

int rvkvm_sbi_ecall(struct rvkvm_vcpu *vcpu)
{
	return sbi_call(vcpu, false);
}
