// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: vCPU file descriptors: creation, the mmap'd kvm_run, ioctl
 * dispatch, requests and kicks.
 */

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <rvkvm/rvkvm.h>

void rvkvm_vcpu_kick(struct rvkvm_vcpu *vcpu)
{
	int cpu, me;

	rcuwait_wake_up(&vcpu->wait);
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	/* Only a vCPU in the guest needs an IPI to notice a change. */
	if (cpu >= 0 && cpu != me && READ_ONCE(vcpu->mode) == RVKVM_IN_GUEST)
		smp_send_reschedule(cpu);
	put_cpu();
}

void rvkvm_vcpu_request(struct rvkvm_vcpu *vcpu, int req)
{
	set_bit(req, &vcpu->requests);
	/* Publish the request before looking at the vCPU's mode. */
	smp_mb__after_atomic();
	rvkvm_vcpu_kick(vcpu);
}

bool rvkvm_vcpu_check_request(struct rvkvm_vcpu *vcpu, int req)
{
	if (!test_bit(req, &vcpu->requests))
		return false;
	clear_bit(req, &vcpu->requests);
	/* Consume the request before reading what it asks us to do. */
	smp_mb__after_atomic();
	return true;
}

static vm_fault_t rvkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct rvkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == 1)
		page = vcpu->ring_page;
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct rvkvm_vcpu_vm_ops = {
	.fault = rvkvm_vcpu_fault,
};

static int rvkvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &rvkvm_vcpu_vm_ops;
	return 0;
}

static int rvkvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct rvkvm_vcpu *vcpu = filp->private_data;

	rvkvm_vm_put(vcpu->vm);
	return 0;
}

/*
 * KVM_SET_SIGNAL_MASK: signals blocked only while KVM_RUN runs, so a VMM
 * can kick a vCPU thread with a signal it otherwise keeps blocked.
 */
static long vcpu_set_sigmask(struct rvkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_signal_mask __user *um = argp;
	struct kvm_signal_mask m;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&m, um, sizeof(m)))
		return -EFAULT;
	if (m.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, um->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static long vcpu_run(struct rvkvm_vcpu *vcpu, unsigned long arg)
{
	struct pid *oldpid;
	long ret;

	if (arg)
		return -EINVAL;
	/* Track the thread that runs the vCPU, for kicks and accounting. */
	oldpid = rcu_access_pointer(vcpu->pid);
	if (oldpid != task_pid(current)) {
		rcu_assign_pointer(vcpu->pid, get_task_pid(current, PIDTYPE_PID));
		if (oldpid)
			synchronize_rcu();
		put_pid(oldpid);
	}
	WRITE_ONCE(vcpu->vm->vcpus_started, true);
	vcpu->has_run = true;
	/* The thread's own mask waits in real_blocked, as KVM keeps it. */
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
	ret = rvkvm_arch_vcpu_run(vcpu);
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
	return ret;
}

static long vcpu_mp_state(struct rvkvm_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvm_mp_state mp;

	if (!set) {
		mp.mp_state = READ_ONCE(vcpu->arch.stopped) ?
			      KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE;
		return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
	}
	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE &&
	    mp.mp_state != KVM_MP_STATE_STOPPED)
		return -EINVAL;
	spin_lock(&vcpu->arch.mp_lock);
	WRITE_ONCE(vcpu->arch.stopped, mp.mp_state == KVM_MP_STATE_STOPPED);
	spin_unlock(&vcpu->arch.mp_lock);
	rvkvm_vcpu_request(vcpu, RVKVM_REQ_SLEEP);
	return 0;
}

static long vcpu_one_reg(struct rvkvm_vcpu *vcpu, unsigned int ioctl,
			 void __user *argp)
{
	struct kvm_one_reg reg;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	if (ioctl == KVM_SET_ONE_REG)
		return rvkvm_onereg_set(vcpu, &reg);
	return rvkvm_onereg_get(vcpu, &reg);
}

/* KVM_INTERRUPT is asynchronous: I/O threads inject while KVM_RUN runs. */
static long vcpu_interrupt(struct rvkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq == KVM_INTERRUPT_SET)
		return rvkvm_irq_set(vcpu, IRQ_VS_EXT, true);
	if (irq.irq == KVM_INTERRUPT_UNSET)
		return rvkvm_irq_set(vcpu, IRQ_VS_EXT, false);
	return -EINVAL;
}

static long rvkvm_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	struct rvkvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (ioctl == KVM_INTERRUPT)
		return vcpu_interrupt(vcpu, argp);

	if (mutex_lock_killable(&vcpu->lock))
		return -EINTR;
	switch (ioctl) {
	case KVM_RUN:
		ret = vcpu_run(vcpu, arg);
		break;
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		ret = vcpu_one_reg(vcpu, ioctl, argp);
		break;
	case KVM_GET_REG_LIST:
		ret = rvkvm_onereg_list(vcpu, argp);
		break;
	case KVM_SET_SIGNAL_MASK:
		ret = vcpu_set_sigmask(vcpu, argp);
		break;
	case KVM_GET_STATS_FD:
		ret = rvkvm_stats_vcpu_fd(vcpu);
		break;
	case KVM_GET_MP_STATE:
		ret = vcpu_mp_state(vcpu, argp, false);
		break;
	case KVM_SET_MP_STATE:
		ret = vcpu_mp_state(vcpu, argp, true);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&vcpu->lock);
	return ret;
}

static const struct file_operations rvkvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= rvkvm_vcpu_release,
	.unlocked_ioctl	= rvkvm_vcpu_ioctl,
	.compat_ioctl	= rvkvm_no_compat_ioctl,
	.mmap		= rvkvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

void rvkvm_vcpu_destroy(struct rvkvm_vcpu *vcpu)
{
	rvkvm_arch_vcpu_uninit(vcpu);
	put_pid(rcu_dereference_protected(vcpu->pid, 1));
	free_page((unsigned long)vcpu->run);
	if (vcpu->ring_page)
		__free_page(vcpu->ring_page);
	kfree(vcpu);
	rvkvm_count(RVKVM_CNT_VCPUS, -1);
}

static struct rvkvm_vcpu *vcpu_alloc(struct rvkvm_vm *vm, u32 id)
{
	struct rvkvm_vcpu *vcpu;

	/* kmalloc memory: the world switch must not touch vmalloc space. */
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	rvkvm_stats_vcpu_init(vcpu);
	mutex_init(&vcpu->lock);
	rcuwait_init(&vcpu->wait);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->ring_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run || !vcpu->ring_page || rvkvm_arch_vcpu_init(vcpu)) {
		if (vcpu->run)
			free_page((unsigned long)vcpu->run);
		if (vcpu->ring_page)
			__free_page(vcpu->ring_page);
		kfree(vcpu);
		return NULL;
	}
	/* As in KVM, only vCPU 0 starts runnable; others wait for HSM. */
	vcpu->arch.stopped = id != 0;
	rvkvm_count(RVKVM_CNT_VCPUS, 1);
	return vcpu;
}

int rvkvm_vcpu_create(struct rvkvm_vm *vm, unsigned long id)
{
	struct rvkvm_vcpu *vcpu;
	char name[24];
	int fd;

	if (id >= RVKVM_MAX_VCPU_ID)
		return -EINVAL;

	mutex_lock(&vm->vcpu_lock);
	if (atomic_read(&vm->online_vcpus) >= RVKVM_MAX_VCPUS) {
		fd = -EINVAL;
		goto out;
	}
	if (xa_load(&vm->vcpus, id)) {
		fd = -EEXIST;
		goto out;
	}
	/* Reserve the slot: readers see no vCPU until its fd exists. */
	fd = xa_reserve(&vm->vcpus, id, GFP_KERNEL_ACCOUNT);
	if (fd)
		goto out;
	vcpu = vcpu_alloc(vm, id);
	if (!vcpu) {
		xa_release(&vm->vcpus, id);
		fd = -ENOMEM;
		goto out;
	}

	/* The fd holds a VM reference; the VM owns the vCPU. */
	rvkvm_vm_get(vm);
	snprintf(name, sizeof(name), "rvkvm-vcpu:%lu", id);
	fd = anon_inode_getfd(name, &rvkvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		xa_release(&vm->vcpus, id);
		rvkvm_vcpu_destroy(vcpu);
		mutex_unlock(&vm->vcpu_lock);
		rvkvm_vm_put(vm);
		return fd;
	}
	xa_store(&vm->vcpus, id, vcpu, GFP_KERNEL_ACCOUNT);
	atomic_inc(&vm->online_vcpus);
out:
	mutex_unlock(&vm->vcpu_lock);
	return fd;
}
