// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: VM file descriptors and their lifetime.
 */
#define pr_fmt(fmt) "rvkvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <rvkvm/rvkvm.h>

static void rvkvm_vm_free(struct kref *ref)
{
	struct rvkvm_vm *vm = container_of(ref, struct rvkvm_vm, ref);

	mmdrop(vm->mm);
	kfree(vm);
}

void rvkvm_vm_get(struct rvkvm_vm *vm)
{
	kref_get(&vm->ref);
}

/* The last reference may be a stats file's, dropped from its release. */
void rvkvm_vm_put(struct rvkvm_vm *vm)
{
	kref_put(&vm->ref, rvkvm_vm_free);
}

static int rvkvm_vm_release(struct inode *inode, struct file *filp)
{
	struct rvkvm_vm *vm = filp->private_data;

	rvkvm_vm_put(vm);
	return 0;
}

static long rvkvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct rvkvm_vm *vm = filp->private_data;

	/* A VM belongs to the process that made it. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return rvkvm_check_extension(vm, arg);
	case KVM_GET_STATS_FD:
		/* No argument, and KVM does not check it either. */
		return rvkvm_stats_vm_fd(vm);
	}
	return -ENOTTY;
}

static const struct file_operations rvkvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= rvkvm_vm_release,
	.unlocked_ioctl	= rvkvm_vm_ioctl,
	.compat_ioctl	= rvkvm_vm_ioctl,
	.llseek		= noop_llseek,
};

int rvkvm_vm_create(unsigned long type)
{
	struct rvkvm_vm *vm;
	int fd;

	/* RISC-V has one VM type. */
	if (type)
		return -EINVAL;

	rvkvm_wait_ready();
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	rvkvm_stats_vm_init(vm);

	/* The file holds the module and the initial VM reference. */
	fd = anon_inode_getfd("rvkvm-vm", &rvkvm_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rvkvm_vm_put(vm);
	return fd;
}
