// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: the /dev/kvm misc device and its system ioctls.
 */

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <rvkvm/arch.h>
#include <rvkvm/rvkvm.h>

long rvkvm_check_extension(struct rvkvm_vm *vm, long cap)
{
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

static const struct file_operations rvkvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= rvkvm_dev_ioctl,
	.compat_ioctl	= rvkvm_dev_ioctl,
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
