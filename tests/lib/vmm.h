/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM for the in-VM tests: one VM, one memslot of anonymous
 * memory at GUEST_RAM, one vCPU whose kvm_run is mapped; guest code comes
 * from the test binary itself (position-independent assembly).
 */
#ifndef RVKVM_VMM_H
#define RVKVM_VMM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_RAM	0x80000000UL
#define GUEST_MMIO	0x10000000UL
#define SBI_EXT_TEST	0x08ffffffUL	/* experimental range: to the VMM */

struct vmm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	void *mem;
	size_t mem_size;
};

#define CORE_REG(i) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
		     KVM_REG_RISCV_CORE | (i))
#define VMM_REG_PC		CORE_REG(0)
#define VMM_REG_A(n)	CORE_REG(10 + (n))

static inline int vmm_set_reg(struct vmm *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(v->vcpu, KVM_SET_ONE_REG, &r);
}

static inline uint64_t vmm_get_reg(struct vmm *v, uint64_t id)
{
	uint64_t val = 0xdeadbeef;
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	ioctl(v->vcpu, KVM_GET_ONE_REG, &r);
	return val;
}

static inline void vmm_close(struct vmm *v)
{
	if (v->run && v->run != MAP_FAILED)
		munmap(v->run, v->run_size);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, v->mem_size);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->kvm >= 0)
		close(v->kvm);
	memset(v, 0, sizeof(*v));
	v->kvm = v->vm = v->vcpu = -1;
}

/*
 * VM + memslot 0 + vCPU 0, guest code [start, end) copied to the start of
 * RAM, pc at entry. Returns 0 or -1 with errno set.
 */
static inline int vmm_open(struct vmm *v, const char *dev, size_t mem_size,
			   const void *start, const void *end,
			   const void *entry)
{
	struct kvm_userspace_memory_region mr;

	memset(v, 0, sizeof(*v));
	v->kvm = v->vm = v->vcpu = -1;
	v->kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return -1;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return -1;
	v->mem_size = mem_size;
	v->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		return -1;
	memcpy(v->mem, start, (const char *)end - (const char *)start);
	mr = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = GUEST_RAM,
		.memory_size = mem_size, .userspace_addr = (uintptr_t)v->mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &mr))
		return -1;
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		return -1;
	v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return -1;
	return vmm_set_reg(v, VMM_REG_PC, GUEST_RAM + ((const char *)entry -
						   (const char *)start));
}

/*
 * KVM_RUN until it returns something other than EINTR, as VMMs and the
 * kernel's selftests do: an interrupted run is allowed any time (pending
 * host work returns to userspace first). Tests that expect EINTR use
 * vmm_run_once().
 */
static inline int vcpu_run(int fd)
{
	int rc;

	do {
		rc = ioctl(fd, KVM_RUN, 0);
	} while (rc == -1 && errno == EINTR);
	return rc;
}

static inline int vmm_run(struct vmm *v)
{
	return vcpu_run(v->vcpu);
}

static inline int vmm_run_once(struct vmm *v)
{
	return ioctl(v->vcpu, KVM_RUN, 0);
}

/* A further vCPU of the VM, its kvm_run mapped; fd or -1. */
static inline int vmm_add_vcpu(struct vmm *v, int id, struct kvm_run **run)
{
	int fd = ioctl(v->vm, KVM_CREATE_VCPU, id);

	if (fd < 0)
		return -1;
	*run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (*run == MAP_FAILED) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int vcpu_set_reg(int fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(fd, KVM_SET_ONE_REG, &r);
}

/* Guest address of a label in the blob copied to the start of RAM. */
static inline uint64_t vmm_gpa_of(const void *start, const void *label)
{
	return GUEST_RAM + ((const char *)label - (const char *)start);
}

#endif
