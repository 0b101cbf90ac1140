/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: generic (architecture-independent) objects: VMs, memslots, vCPUs.
 */
#ifndef RVKVM_RVKVM_H
#define RVKVM_RVKVM_H

#include <linux/kref.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/rcuwait.h>
#include <linux/rwsem.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <rvkvm/counters.h>
#include <rvkvm/riscv.h>
#include <rvkvm/stats.h>

#define RVKVM_API_VERSION	12
#define RVKVM_MAX_VCPUS		1024
#define RVKVM_MAX_VCPU_ID	RVKVM_MAX_VCPUS
#define RVKVM_USER_MEM_SLOTS	512
/* kvm_run, then the coalesced-MMIO ring page, as in-tree KVM maps them. */
#define RVKVM_VCPU_MMAP_PAGES	2

struct rvkvm_memslot {
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	u32 flags;		/* KVM_MEM_* */
	u16 id;
	unsigned long *dirty_bitmap;	/* NULL unless LOG_DIRTY_PAGES */
	struct xarray pinned;	/* page index in slot -> struct page * */
	unsigned long nr_pinned;
};

/* Slots sorted by base_gfn for lookup, and by id for updates. */
struct rvkvm_memslots {
	int used;
	struct rvkvm_memslot *sorted[RVKVM_USER_MEM_SLOTS];
	struct rvkvm_memslot *by_id[RVKVM_USER_MEM_SLOTS];
};

struct rvkvm_vm {
	struct kref ref;
	struct mm_struct *mm;

	/* Memslots: writers hold slots_lock for write, fault-in for read. */
	struct rw_semaphore slots_lock;
	struct rvkvm_memslots slots;
	struct mutex dirty_log_lock;	/* one KVM_GET_DIRTY_LOG at a time */

	/* vCPUs: created under vcpu_lock, never removed before the VM goes. */
	struct mutex vcpu_lock;
	struct xarray vcpus;		/* vcpu_id -> struct rvkvm_vcpu * */
	atomic_t online_vcpus;
	bool vcpus_started;		/* first KVM_RUN seen: config is frozen */

	struct rvkvm_vm_arch arch;
	struct rvkvm_vm_stats stats;
	pid_t stats_pid;		/* creating thread, names the stats id */
};

enum rvkvm_vcpu_mode {
	RVKVM_OUTSIDE_GUEST,
	RVKVM_IN_GUEST,
	RVKVM_EXITING,
};

struct rvkvm_vcpu {
	struct rvkvm_vm *vm;
	u32 vcpu_id;
	struct kvm_run *run;		/* one zeroed page, mapped to userspace */
	struct page *ring_page;		/* second mmap page */
	struct mutex lock;		/* held by all vCPU ioctls but async ones */
	struct pid __rcu *pid;
	int cpu;			/* host CPU while loaded, else -1 */
	int mode;			/* enum rvkvm_vcpu_mode, atomic access */
	unsigned long requests;		/* RVKVM_REQ_* bits */
	struct rcuwait wait;		/* blocked in WFI or STOPPED */
	bool has_run;
	bool sigset_active;		/* KVM_SET_SIGNAL_MASK given */
	sigset_t sigset;		/* blocked while in KVM_RUN */

	struct rvkvm_vcpu_arch arch;
	struct rvkvm_vcpu_stats stats;
	pid_t stats_pid;		/* creating thread, names the stats id */
};

/* Requests, handled by the vCPU thread before entering the guest. */
#define RVKVM_REQ_SLEEP		0	/* re-check runnable state */
#define RVKVM_REQ_VMID		1	/* VMID changed: reload hgatp */
#define RVKVM_REQ_TLB_FLUSH	2	/* flush this VM's G-stage TLB locally */
#define RVKVM_REQ_RESET		3	/* HSM start: reset then run */
#define RVKVM_REQ_HVIP		4	/* pending interrupts changed */

/* main.c */
bool rvkvm_is_ready(void);

/* dev.c */
struct file;
int rvkvm_dev_register(void);
void rvkvm_dev_unregister(void);
bool rvkvm_dev_is_fallback(void);
long rvkvm_check_extension(struct rvkvm_vm *vm, long cap);
long rvkvm_no_compat_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg);

/* vm.c */
int rvkvm_vm_create(unsigned long type);
void rvkvm_vm_get(struct rvkvm_vm *vm);
void rvkvm_vm_put(struct rvkvm_vm *vm);
struct rvkvm_vcpu *rvkvm_vm_vcpu(struct rvkvm_vm *vm, unsigned long id);

/* memslot.c */
int rvkvm_memslot_set(struct rvkvm_vm *vm,
		      const struct kvm_userspace_memory_region *mem);
void rvkvm_memslots_free(struct rvkvm_vm *vm);
struct rvkvm_memslot *rvkvm_memslot_find(struct rvkvm_vm *vm, u64 gfn);
int rvkvm_memslot_get_dirty_log(struct rvkvm_vm *vm, struct kvm_dirty_log *log);
void rvkvm_memslot_mark_dirty(struct rvkvm_memslot *slot, u64 gfn);

/* vcpu.c */
int rvkvm_vcpu_create(struct rvkvm_vm *vm, unsigned long id);
void rvkvm_vcpu_destroy(struct rvkvm_vcpu *vcpu);
void rvkvm_vcpu_kick(struct rvkvm_vcpu *vcpu);
void rvkvm_vcpu_request(struct rvkvm_vcpu *vcpu, int req);
bool rvkvm_vcpu_check_request(struct rvkvm_vcpu *vcpu, int req);
void rvkvm_vm_request_all(struct rvkvm_vm *vm, int req);

#endif
