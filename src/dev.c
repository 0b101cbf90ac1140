// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: the /dev/kvm misc device and its system ioctls.
 */

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/cpumask.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <rvkvm/arch.h>
#include <rvkvm/rvkvm.h>

/* Generic capabilities first; the architecture answers the rest. */
long rvkvm_check_extension(struct rvkvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_BINARY_STATS_FD:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_MP_STATE:
		return 1;
	case KVM_CAP_NR_VCPUS:
		return min_t(long, num_online_cpus(), RVKVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return RVKVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return RVKVM_MAX_VCPU_ID;
	case KVM_CAP_NR_MEMSLOTS:
		return RVKVM_USER_MEM_SLOTS;
	}
	return rvkvm_arch_check_extension(vm, cap);
}

static long rvkvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : RVKVM_API_VERSION;
	case KVM_CREATE_VM:
		return rvkvm_vm_create(arg);
	case KVM_CHECK_EXTENSION:
		return rvkvm_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : RVKVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	}
	return -ENOTTY;
}

/*
 * The ABI has no 32-bit layout on RISC-V (kvm_run and ONE_REG ids follow
 * the kernel's XLEN): as in KVM, 32-bit tasks cannot open the device, and
 * a file passed to one refuses its ioctls. Until init has enabled every
 * CPU, opens are refused too.
 */
static int rvkvm_dev_open(struct inode *inode, struct file *filp)
{
	if (!rvkvm_is_ready())
		return -EAGAIN;
	return in_compat_syscall() ? -ENODEV : 0;
}

long rvkvm_no_compat_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	return -EINVAL;
}

static const struct file_operations rvkvm_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= rvkvm_dev_open,
	.unlocked_ioctl	= rvkvm_dev_ioctl,
	.compat_ioctl	= rvkvm_no_compat_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice rvkvm_misc = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &rvkvm_dev_fops,
};

static bool rvkvm_fallback;

bool rvkvm_dev_is_fallback(void)
{
	return rvkvm_fallback;
}

int rvkvm_dev_register(void)
{
	int ret;

	ret = misc_register(&rvkvm_misc);
	if (ret != -EBUSY)
		goto out;

	/* Minor 232 is taken, normally by the in-tree kvm.ko. */
	rvkvm_misc.minor = MISC_DYNAMIC_MINOR;
	rvkvm_misc.name = "rvkvm";
	rvkvm_fallback = true;
	ret = misc_register(&rvkvm_misc);
out:
	if (ret)
		pr_err("cannot register /dev/%s: %d\n", rvkvm_misc.name, ret);
	else if (rvkvm_fallback)
		pr_info("/dev/kvm is taken (in-tree kvm.ko?), serving /dev/rvkvm instead\n");
	else
		pr_info("serving /dev/kvm\n");
	return ret;
}

void rvkvm_dev_unregister(void)
{
	misc_deregister(&rvkvm_misc);
}
