// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: VM file descriptors, their lifetime and the VM ioctls.
 */

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <rvkvm/rvkvm.h>

static void rvkvm_vm_free(struct kref *ref)
{
	struct rvkvm_vm *vm = container_of(ref, struct rvkvm_vm, ref);
	struct rvkvm_vcpu *vcpu;
	unsigned long id;

	xa_for_each(&vm->vcpus, id, vcpu)
		rvkvm_vcpu_destroy(vcpu);
	xa_destroy(&vm->vcpus);
	/* No invalidation may run while the slots are taken apart. */
	rvkvm_notifier_unregister(vm);
	rvkvm_memslots_free(vm);
	/* Cached walks may still point into the tables about to be freed. */
	if (vm->arch.pgd)
		rvkvm_tlb_flush_vm(vm);
	rvkvm_gstage_free(vm);
	mmdrop(vm->mm);
	kfree(vm);
	rvkvm_count(RVKVM_CNT_VMS, -1);
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

struct rvkvm_vcpu *rvkvm_vm_vcpu(struct rvkvm_vm *vm, unsigned long id)
{
	return xa_load(&vm->vcpus, id);
}

void rvkvm_vm_request_all(struct rvkvm_vm *vm, int req)
{
	struct rvkvm_vcpu *vcpu;
	unsigned long id;

	xa_for_each(&vm->vcpus, id, vcpu)
		rvkvm_vcpu_request(vcpu, req);
}

static int rvkvm_vm_release(struct inode *inode, struct file *filp)
{
	rvkvm_vm_put(filp->private_data);
	return 0;
}

static long rvkvm_vm_set_memory(struct rvkvm_vm *vm, void __user *argp)
{
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem, argp, sizeof(mem)))
		return -EFAULT;
	return rvkvm_memslot_set(vm, &mem);
}

static long rvkvm_vm_dirty_log(struct rvkvm_vm *vm, void __user *argp)
{
	struct kvm_dirty_log log;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	return rvkvm_memslot_get_dirty_log(vm, &log);
}

static long rvkvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct rvkvm_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	/* A VM belongs to the process that made it. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return rvkvm_check_extension(vm, arg);
	case KVM_CREATE_VCPU:
		return rvkvm_vcpu_create(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return rvkvm_vm_set_memory(vm, argp);
	case KVM_GET_DIRTY_LOG:
		return rvkvm_vm_dirty_log(vm, argp);
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
	.compat_ioctl	= rvkvm_no_compat_ioctl,
	.llseek		= noop_llseek,
};

int rvkvm_vm_create(unsigned long type)
{
	struct rvkvm_vm *vm;
	int fd;

	/* RISC-V has one VM type. */
	if (type)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	rvkvm_count(RVKVM_CNT_VMS, 1);
	kref_init(&vm->ref);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	init_rwsem(&vm->slots_lock);
	mutex_init(&vm->dirty_log_lock);
	mutex_init(&vm->vcpu_lock);
	xa_init(&vm->vcpus);

	fd = rvkvm_gstage_init(vm);
	if (fd)
		goto err;
	fd = rvkvm_notifier_register(vm);
	if (fd)
		goto err;
	rvkvm_stats_vm_init(vm);

	/* The file holds the module and the initial VM reference. */
	fd = anon_inode_getfd("rvkvm-vm", &rvkvm_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		goto err;
	return fd;
err:
	rvkvm_vm_put(vm);
	return fd;
}
