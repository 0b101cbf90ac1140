// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded ioctl fuzzer: fuzz-ioctl DEV [--seed N] [--count N] [--intree]
 * [--trace]
 *
 * A forked child issues --count (default DEFAULT_COUNT) random and
 * boundary-value ioctls on the KVM fds it holds: the device (/dev/kvm or
 * /dev/rvkvm), VM fds, vCPU fds and binary-stats fds, kept in a small pool
 * whose members are created and closed as the run goes. The numbers are
 * every KVM ioctl of the Linux 6.1 uapi (for other architectures' ioctls
 * with the size their structure has there), the same numbers with wrong
 * direction or size bits, and random numbers; the arguments are structures
 * built for the ioctl (memslots, ONE_REG ids of every class and size, ...)
 * or raw boundary values, placed in valid memory, across the end of a
 * mapping, in read-only or unmapped memory, or given as NULL, kernel or
 * non-canonical addresses. KVM_RUN runs guests whose registers and memory
 * are random, each run bounded by an interval timer. A few values are kept
 * in range (see sanitize()): those that would let a guest write over the
 * fuzzer or block its timer, and guest CSR values that QEMU 7.2 mishandles.
 *
 * Every answer is checked: -1 with a sane errno, or success with a sane
 * value (an fd where KVM returns one, 0 where it returns nothing). The
 * parent watches the child: death by a signal or no progress for HANG_S
 * seconds fails with the seed and the last ioctl issued, which the child
 * writes to a shared page before each call. Afterwards every fd is closed
 * and the fd table must be back to where it started, and the device must
 * still run a small guest to an SBI exit.
 *
 * Same seed, same ioctls: the random stream is reseeded from (seed,
 * iteration) at each step, so an earlier difference in the kernel's
 * answers does not shift the choices that follow. --trace prints each
 * ioctl before it is issued (to find the call that brings a host down).
 * --intree marks a run against the in-tree kvm.ko; nothing asserted here
 * differs between the two, the flag only labels the output.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "fuzz.h"
#include "../lib/ktest.h"
#include "../lib/vmm.h"

/*
 * Measured in the 2-hart TCG test host: 20000 ioctls take 10-14 s of wall
 * time (1450-2000 ioctls/s, rvkvm and kvm.ko alike, about 1200 of them
 * KVM_RUN). The default keeps the CI run near 25 s, under 60 s even when
 * the build machine runs at half speed; the long run is --count 1000000.
 */
#define DEFAULT_COUNT	40000
#define HANG_S		90	/* no progress for this long: a hang */
#define PAGE		4096UL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ONE_REG types newer than the 6.1 headers (the values are the ABI's). */
#ifndef KVM_REG_RISCV_SBI_EXT
#define KVM_REG_RISCV_SBI_EXT	(0x08 << KVM_REG_RISCV_TYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_VECTOR
#define KVM_REG_RISCV_VECTOR	(0x09 << KVM_REG_RISCV_TYPE_SHIFT)
#endif
#ifndef KVM_REG_RISCV_SBI_STATE
#define KVM_REG_RISCV_SBI_STATE	(0x0a << KVM_REG_RISCV_TYPE_SHIFT)
#endif
#ifndef KVM_REG_SIZE_U8
#define KVM_REG_SIZE_U8		0x0000000000000000ULL
#endif

/* Kinds of pooled fd; an ioctl table entry says where it belongs. */
#define K_SYS		1
#define K_VM		2
#define K_VCPU		4
#define K_STATS		8

struct ioctl_ent {
	const char *name;
	unsigned long nr;
	unsigned int kinds;
};

#define E(name, kinds)	{ #name, name, kinds }
/* Other architectures' ioctls, numbered with their own structure sizes. */
#define F(name, dir, nr, size, kinds) \
	{ #name, _IOC(dir, KVMIO, nr, size), kinds }

/* Every KVM ioctl of the Linux 6.1 uapi (include/uapi/linux/kvm.h). */
static const struct ioctl_ent ioctls[] = {
	F(__KVM_DEPRECATED_MAIN_W_0x06, 1, 0x06, 8, 0),
	F(__KVM_DEPRECATED_MAIN_0x07, 0, 0x07, 0, 0),
	F(__KVM_DEPRECATED_MAIN_0x08, 0, 0x08, 0, 0),
	F(__KVM_DEPRECATED_VM_R_0x70, 2, 0x70, 64, 0),
	F(__KVM_DEPRECATED_VCPU_W_0x87, 1, 0x87, 80, 0),
	E(KVM_GET_API_VERSION, K_SYS),
	E(KVM_CREATE_VM, K_SYS),
	F(KVM_GET_MSR_INDEX_LIST, 3, 0x2, 4, K_SYS),
	E(KVM_S390_ENABLE_SIE, K_SYS),
	E(KVM_CHECK_EXTENSION, K_SYS | K_VM),
	E(KVM_GET_VCPU_MMAP_SIZE, K_SYS),
	F(KVM_GET_SUPPORTED_CPUID, 3, 0x5, 8, K_SYS),
	F(KVM_GET_EMULATED_CPUID, 3, 0x9, 8, K_SYS),
	F(KVM_GET_MSR_FEATURE_INDEX_LIST, 3, 0xa, 4, K_SYS),
	E(KVM_SET_MEMORY_REGION, K_VM),
	E(KVM_CREATE_VCPU, K_VM),
	E(KVM_GET_DIRTY_LOG, K_VM),
	F(KVM_SET_MEMORY_ALIAS, 1, 0x43, 32, K_VM),
	E(KVM_SET_NR_MMU_PAGES, K_VM),
	E(KVM_GET_NR_MMU_PAGES, K_VM),
	E(KVM_SET_USER_MEMORY_REGION, K_VM),
	E(KVM_SET_TSS_ADDR, K_VM),
	E(KVM_SET_IDENTITY_MAP_ADDR, K_VM),
	E(KVM_S390_UCAS_MAP, K_VM),
	E(KVM_S390_UCAS_UNMAP, K_VM),
	E(KVM_S390_VCPU_FAULT, K_VM),
	E(KVM_CREATE_IRQCHIP, K_VM),
	E(KVM_IRQ_LINE, K_VM),
	E(KVM_GET_IRQCHIP, K_VM),
	E(KVM_SET_IRQCHIP, K_VM),
	E(KVM_CREATE_PIT, K_VM),
	F(KVM_GET_PIT, 3, 0x65, 72, K_VM),
	F(KVM_SET_PIT, 2, 0x66, 72, K_VM),
	E(KVM_IRQ_LINE_STATUS, K_VM),
	E(KVM_REGISTER_COALESCED_MMIO, K_VM),
	E(KVM_UNREGISTER_COALESCED_MMIO, K_VM),
	E(KVM_ASSIGN_PCI_DEVICE, K_VM),
	E(KVM_SET_GSI_ROUTING, K_VM),
	E(KVM_ASSIGN_DEV_IRQ, K_VM),
	E(KVM_REINJECT_CONTROL, K_VM),
	E(KVM_DEASSIGN_PCI_DEVICE, K_VM),
	E(KVM_ASSIGN_SET_MSIX_NR, K_VM),
	E(KVM_ASSIGN_SET_MSIX_ENTRY, K_VM),
	E(KVM_DEASSIGN_DEV_IRQ, K_VM),
	E(KVM_IRQFD, K_VM),
	E(KVM_CREATE_PIT2, K_VM),
	E(KVM_SET_BOOT_CPU_ID, K_VM),
	E(KVM_IOEVENTFD, K_VM),
	F(KVM_XEN_HVM_CONFIG, 1, 0x7a, 56, K_VM),
	E(KVM_SET_CLOCK, K_VM),
	E(KVM_GET_CLOCK, K_VM),
	F(KVM_GET_PIT2, 2, 0x9f, 112, K_VM),
	F(KVM_SET_PIT2, 1, 0xa0, 112, K_VM),
	E(KVM_PPC_GET_PVINFO, K_VM),
	E(KVM_SET_TSC_KHZ, K_VM),
	E(KVM_GET_TSC_KHZ, K_VM),
	E(KVM_ASSIGN_SET_INTX_MASK, K_VM),
	E(KVM_SIGNAL_MSI, K_VM),
	E(KVM_PPC_GET_SMMU_INFO, K_VM),
	E(KVM_PPC_ALLOCATE_HTAB, K_VM),
	F(KVM_CREATE_SPAPR_TCE, 1, 0xa8, 16, K_VM),
	F(KVM_CREATE_SPAPR_TCE_64, 1, 0xa8, 32, K_VM),
	F(KVM_ALLOCATE_RMA, 2, 0xa9, 8, K_VM),
	F(KVM_PPC_GET_HTAB_FD, 1, 0xaa, 32, K_VM),
	E(KVM_ARM_SET_DEVICE_ADDR, K_VM),
	F(KVM_PPC_RTAS_DEFINE_TOKEN, 1, 0xac, 128, K_VM),
	E(KVM_PPC_RESIZE_HPT_PREPARE, K_VM),
	E(KVM_PPC_RESIZE_HPT_COMMIT, K_VM),
	F(KVM_PPC_CONFIGURE_V3_MMU, 1, 0xaf, 16, K_VM),
	F(KVM_PPC_GET_RMMU_INFO, 1, 0xb0, 96, K_VM),
	F(KVM_PPC_GET_CPU_CHAR, 2, 0xb1, 32, K_VM),
	F(KVM_SET_PMU_EVENT_FILTER, 1, 0xb2, 32, K_VM),
	E(KVM_PPC_SVM_OFF, K_VM),
	F(KVM_ARM_MTE_COPY_TAGS, 2, 0xb4, 48, K_VM),
	E(KVM_CREATE_DEVICE, K_VM),
	E(KVM_SET_DEVICE_ATTR, K_VM | K_VCPU),
	E(KVM_GET_DEVICE_ATTR, K_VM | K_VCPU),
	E(KVM_HAS_DEVICE_ATTR, K_VM | K_VCPU),
	E(KVM_RUN, K_VCPU),
	E(KVM_GET_REGS, K_VCPU),
	E(KVM_SET_REGS, K_VCPU),
	E(KVM_GET_SREGS, K_VCPU),
	E(KVM_SET_SREGS, K_VCPU),
	E(KVM_TRANSLATE, K_VCPU),
	E(KVM_INTERRUPT, K_VCPU),
	F(KVM_GET_MSRS, 3, 0x88, 8, K_VCPU),
	F(KVM_SET_MSRS, 1, 0x89, 8, K_VCPU),
	F(KVM_SET_CPUID, 1, 0x8a, 8, K_VCPU),
	E(KVM_SET_SIGNAL_MASK, K_VCPU),
	E(KVM_GET_FPU, K_VCPU),
	E(KVM_SET_FPU, K_VCPU),
	F(KVM_GET_LAPIC, 2, 0x8e, 1024, K_VCPU),
	F(KVM_SET_LAPIC, 1, 0x8f, 1024, K_VCPU),
	F(KVM_SET_CPUID2, 1, 0x90, 8, K_VCPU),
	F(KVM_GET_CPUID2, 3, 0x91, 8, K_VCPU),
	E(KVM_TPR_ACCESS_REPORTING, K_VCPU),
	E(KVM_SET_VAPIC_ADDR, K_VCPU),
	E(KVM_S390_INTERRUPT, K_VCPU),
	E(KVM_S390_STORE_STATUS, K_VCPU),
	E(KVM_S390_SET_INITIAL_PSW, K_VCPU),
	E(KVM_S390_INITIAL_RESET, K_VCPU),
	E(KVM_GET_MP_STATE, K_VCPU),
	E(KVM_SET_MP_STATE, K_VCPU),
	E(KVM_NMI, K_VCPU),
	E(KVM_SET_GUEST_DEBUG, K_VCPU),
	E(KVM_X86_SETUP_MCE, K_VCPU),
	E(KVM_X86_GET_MCE_CAP_SUPPORTED, K_VCPU),
	F(KVM_X86_SET_MCE, 1, 0x9e, 64, K_VCPU),
	F(KVM_GET_VCPU_EVENTS, 2, 0x9f, 64, K_VCPU),
	F(KVM_SET_VCPU_EVENTS, 1, 0xa0, 64, K_VCPU),
	F(KVM_GET_DEBUGREGS, 2, 0xa1, 128, K_VCPU),
	F(KVM_SET_DEBUGREGS, 1, 0xa2, 128, K_VCPU),
	E(KVM_ENABLE_CAP, K_VM | K_VCPU),
	F(KVM_GET_XSAVE, 2, 0xa4, 4096, K_VCPU),
	F(KVM_SET_XSAVE, 1, 0xa5, 4096, K_VCPU),
	F(KVM_GET_XCRS, 2, 0xa6, 392, K_VCPU),
	F(KVM_SET_XCRS, 1, 0xa7, 392, K_VCPU),
	E(KVM_DIRTY_TLB, K_VCPU),
	E(KVM_GET_ONE_REG, K_VCPU),
	E(KVM_SET_ONE_REG, K_VCPU),
	E(KVM_KVMCLOCK_CTRL, K_VCPU),
	F(KVM_ARM_VCPU_INIT, 1, 0xae, 32, K_VCPU),
	F(KVM_ARM_PREFERRED_TARGET, 2, 0xaf, 32, K_VCPU),
	E(KVM_GET_REG_LIST, K_VCPU),
	E(KVM_S390_MEM_OP, K_VCPU),
	E(KVM_S390_GET_SKEYS, K_VM),
	E(KVM_S390_SET_SKEYS, K_VM),
	E(KVM_S390_IRQ, K_VCPU),
	E(KVM_S390_SET_IRQ_STATE, K_VCPU),
	E(KVM_S390_GET_IRQ_STATE, K_VCPU),
	E(KVM_SMI, K_VCPU),
	E(KVM_S390_GET_CMMA_BITS, K_VM),
	E(KVM_S390_SET_CMMA_BITS, K_VM),
	E(KVM_MEMORY_ENCRYPT_OP, K_VM),
	E(KVM_MEMORY_ENCRYPT_REG_REGION, K_VM),
	E(KVM_MEMORY_ENCRYPT_UNREG_REGION, K_VM),
	E(KVM_HYPERV_EVENTFD, K_VM),
	F(KVM_GET_NESTED_STATE, 3, 0xbe, 128, K_VCPU),
	F(KVM_SET_NESTED_STATE, 1, 0xbf, 128, K_VCPU),
	E(KVM_CLEAR_DIRTY_LOG, K_VM),
	F(KVM_GET_SUPPORTED_HV_CPUID, 3, 0xc1, 8, K_VCPU),
	E(KVM_ARM_VCPU_FINALIZE, K_VCPU),
	E(KVM_S390_NORMAL_RESET, K_VCPU),
	E(KVM_S390_CLEAR_RESET, K_VCPU),
	E(KVM_S390_PV_COMMAND, K_VM),
	F(KVM_X86_SET_MSR_FILTER, 1, 0xc6, 392, K_VM),
	E(KVM_RESET_DIRTY_RINGS, K_VM),
	E(KVM_XEN_HVM_GET_ATTR, K_VM),
	E(KVM_XEN_HVM_SET_ATTR, K_VM),
	E(KVM_XEN_VCPU_GET_ATTR, K_VCPU),
	E(KVM_XEN_VCPU_SET_ATTR, K_VCPU),
	E(KVM_XEN_HVM_EVTCHN_SEND, K_VM),
	F(KVM_GET_SREGS2, 2, 0xcc, 320, K_VCPU),
	F(KVM_SET_SREGS2, 1, 0xcd, 320, K_VCPU),
	E(KVM_GET_STATS_FD, K_VM | K_VCPU),
	F(KVM_GET_XSAVE2, 2, 0xcf, 4096, K_VCPU),
	E(KVM_S390_PV_CPU_COMMAND, K_VCPU),
	E(KVM_S390_ZPCI_OP, K_VM),
};

/*
 * The table entry of a number, preferring one that belongs to the kind of
 * fd: numbers are not unique across architectures (KVM_GET_ONE_REG is
 * KVM_ARM_SET_DEVICE_ADDR).
 */
static const struct ioctl_ent *ioctl_lookup(unsigned long nr, int kind)
{
	const struct ioctl_ent *found = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ioctls); i++) {
		if (ioctls[i].nr != nr)
			continue;
		if (ioctls[i].kinds & kind)
			return &ioctls[i];
		if (!found)
			found = &ioctls[i];
	}
	return found;
}

/* What a successful call may return. */
enum { RET_ZERO, RET_FD, RET_ANY, RET_API, RET_MMAP };

static int ret_kind(unsigned long nr)
{
	switch (nr) {
	case KVM_CREATE_VM:
	case KVM_CREATE_VCPU:
	case KVM_GET_STATS_FD:
		return RET_FD;
	case KVM_CHECK_EXTENSION:
	case KVM_RESET_DIRTY_RINGS:
		return RET_ANY;
	case KVM_GET_API_VERSION:
		return RET_API;
	case KVM_GET_VCPU_MMAP_SIZE:
		return RET_MMAP;
	}
	return RET_ZERO;
}

/*
 * The page shared with the parent: progress, counters, the last ioctl
 * and the first violations, so the parent can report them even when the
 * child dies.
 */
#define NERR		134	/* errno histogram; the last bucket is "other" */
#define NEXIT		40	/* exit reason histogram; the last is "other" */
#define NVIOL		8
#define LASTBUF		64

struct last_call {
	uint64_t iter;
	int kind, fd;
	unsigned long nr, arg;
	unsigned int buflen;
	unsigned char buf[LASTBUF];
};

struct shared {
	uint64_t progress;	/* bumped on every ioctl and side operation */
	uint64_t ioctls, ok, vms, vcpus, runs, run_exits;
	uint64_t memslots_ok, setreg_ok, side_ops;
	uint64_t violations, fd_drift;
	uint64_t err[NERR + 1];
	uint64_t exits[NEXIT + 1];
	struct last_call last;
	int fd_start, fd_end, done;
	char viol[NVIOL][160];
};

static struct shared *S;

/* ------------------------------------------------------------------ */
/* Memory the fuzzer hands to the kernel. */

#define ARENA_SIZE	(16 * PAGE)		/* argument buffers */
#define RES_SIZE	(256UL << 20)		/* guest memory reservation */
#define RAM_SIZE	(4UL << 20)		/* its read-write start */
#define RO_SIZE		(64UL << 10)		/* then read-only, rest none */
#define LOW_END		0x10000UL		/* below the static binary */
#define KADDR		0xffffffff80000000ULL

/*
 * arena: ARENA_SIZE read-write bytes followed by a PROT_NONE guard page,
 * so a kernel write through any pointer into it stops there. ro: one
 * read-only page. res: guest memory, RAM then RO then PROT_NONE; memslots
 * are only ever accepted inside it (or below the binary, where nothing is
 * mapped), so no guest can reach any other memory of the process.
 */
static unsigned char *arena, *ro, *res;

static int setup_memory(void)
{
	size_t i;

	arena = mmap(NULL, ARENA_SIZE + PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res = mmap(NULL, RES_SIZE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED || ro == MAP_FAILED || res == MAP_FAILED)
		return -1;
	if (mprotect(arena, ARENA_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(res, RAM_SIZE + RO_SIZE, PROT_READ | PROT_WRITE))
		return -1;
	/*
	 * Every byte odd (no memslot read from here has an aligned address
	 * or size) and with bit 5 clear (no signal set blocks SIGALRM).
	 */
	for (i = 0; i < PAGE; i += 8) {
		uint64_t v = (fz_next() & 0xdfdfdfdfdfdfdfdfULL) |
			     0x0101010101010101ULL;

		memcpy(ro + i, &v, 8);
	}
	for (i = 0; i < RAM_SIZE + RO_SIZE; i += 8) {
		uint64_t v = fz_next();

		memcpy(res + i, &v, 8);
	}
	if (mprotect(ro, PAGE, PROT_READ) ||
	    mprotect(res + RAM_SIZE, RO_SIZE, PROT_READ))
		return -1;
	return 0;
}

static bool in_arena(uint64_t a)
{
	return a >= (uintptr_t)arena && a < (uintptr_t)arena + ARENA_SIZE;
}

static bool in_ro(uint64_t a)
{
	return a >= (uintptr_t)ro && a < (uintptr_t)ro + PAGE;
}

/*
 * May a memslot at userspace address u of size bytes be accepted? Only if
 * every page it could reach is the reservation's, or unmapped below the
 * binary, or it cannot be user memory at all (KVM refuses it). Rounded up
 * in case a misaligned size were accepted.
 */
static bool slot_owned(uint64_t u, uint64_t size)
{
	uint64_t sz = (size + PAGE - 1) & ~(PAGE - 1);
	uint64_t r = (uintptr_t)res;

	if (sz < size)
		sz = ~0ULL;
	if (!sz || u >= 1ULL << 56)
		return true;
	if (u >= r && u < r + RES_SIZE)
		return sz <= r + RES_SIZE - u;
	if (u < LOW_END)
		return sz <= LOW_END - u;
	return false;
}

/* ------------------------------------------------------------------ */
/* Values. */

static const uint64_t boundary[] = {
	0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001,
	0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
	0xffffffffffffffffULL, 0xfffffffffffff000ULL, 0x80000000ULL,
	0x80001000ULL, 0x10000000ULL, 1ULL << 39, 1ULL << 40, 1ULL << 41,
	1ULL << 47, 1ULL << 48, 1ULL << 56, 1ULL << 57, KADDR,
};

/* Addresses no user mapping can have (non-canonical or top of memory). */
static const uint64_t bad_addrs[] = {
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
	0xfffffffffffff000ULL,
};

static uint64_t gen_value(void)
{
	unsigned int r = fz_below(100);

	if (r < 25)
		return 0;
	if (r < 50)
		return fz_next();
	if (r < 65)
		return fz_below(64);
	if (r < 90)
		return boundary[fz_below(ARRAY_SIZE(boundary))];
	if (r < 95)
		return (uintptr_t)arena + fz_below(ARENA_SIZE);
	return -fz_below(64);
}

static void fill(void *p, size_t n)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = gen_value();

		memcpy(b + i, &v, 8);
	}
	for (; i < n; i++)
		b[i] = fz_next();
}

/*
 * Where an argument lives: copy len bytes of data into memory of a random
 * kind and return the user address. Valid memory leaves at least len
 * bytes before the guard page; "short" memory ends at the guard page
 * before len bytes; the others fault (or are read-only) for the kernel.
 */
static uint64_t place(const void *data, size_t len)
{
	unsigned int r = fz_below(100);
	size_t max = len < ARENA_SIZE ? len : ARENA_SIZE, off, k;

	if (r < 70) {
		off = fz_below(ARENA_SIZE - max + 1);
		if (fz_chance(85))
			off &= ~7UL;
		memcpy(arena + off, data, max);
		return (uintptr_t)arena + off;
	}
	if (r < 78) {
		k = fz_below(max + 1);
		memcpy(arena + ARENA_SIZE - k, data, k);
		return (uintptr_t)arena + ARENA_SIZE - k;
	}
	if (r < 83)
		return (uintptr_t)ro + fz_below(PAGE - (len < PAGE ? len : 0));
	if (r < 86)
		return 0;
	if (r < 88)
		return 0x4000;		/* never mapped: below the binary */
	if (r < 91)
		return (uintptr_t)res + RAM_SIZE + RO_SIZE + fz_below(PAGE);
	if (r < 94)
		return KADDR + fz_below(8) * PAGE;
	if (r < 97)
		return bad_addrs[fz_below(ARRAY_SIZE(bad_addrs))];
	return fz_next() | (1ULL << 63);
}

/* Always valid memory, room for len bytes (len <= ARENA_SIZE). */
static uint64_t place_valid(const void *data, size_t len)
{
	size_t off = fz_below(ARENA_SIZE - len + 1) & ~7UL;

	memcpy(arena + off, data, len);
	return (uintptr_t)arena + off;
}

/* A pointer for the kernel to write up to len bytes to. */
static uint64_t place_out(size_t len)
{
	static unsigned char junk[ARENA_SIZE];

	fill(junk, len < 256 ? len : 256);
	return place(junk, len);
}

/* ------------------------------------------------------------------ */
/* The fd pool. */

#define NSYS	2
#define NVM	3
#define NVCPU	6
#define NSTATS	3
#define NPOOL	(NSYS + NVM + NVCPU + NSTATS)
#define NEVT	2

struct fdent {
	int fd, kind;
	uint64_t gen;		/* VM: its generation; vCPU: its VM's */
	unsigned long vcpu_id;
	struct kvm_run *run;
};

static struct fdent pool[NPOOL];
static int evt[NEVT];
static uint64_t next_gen = 1;
static const char *dev;
static long mmap_size;
static bool trace;
static uint64_t cur_iter;

static int pool_base(int kind)
{
	switch (kind) {
	case K_SYS: return 0;
	case K_VM: return NSYS;
	case K_VCPU: return NSYS + NVM;
	}
	return NSYS + NVM + NVCPU;
}

static int pool_size(int kind)
{
	switch (kind) {
	case K_SYS: return NSYS;
	case K_VM: return NVM;
	case K_VCPU: return NVCPU;
	}
	return NSTATS;
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case K_SYS: return "dev";
	case K_VM: return "vm";
	case K_VCPU: return "vcpu";
	case K_STATS: return "stats";
	}
	return "?";
}

/* A random live member of a kind, or -1. */
static int pool_pick(int kind)
{
	int b = pool_base(kind), n = pool_size(kind), i, k, live = 0;

	for (i = 0; i < n; i++)
		live += pool[b + i].fd >= 0;
	if (!live)
		return -1;
	k = fz_below(live);
	for (i = 0; i < n; i++)
		if (pool[b + i].fd >= 0 && !k--)
			return b + i;
	return -1;
}

static void pool_close(int i)
{
	struct fdent *e = &pool[i];
	bool unmap_first = fz_chance(50);

	if (e->fd < 0)
		return;
	/* The mapping holds the file too: drop it before or after. */
	if (e->run && unmap_first)
		munmap(e->run, mmap_size);
	close(e->fd);
	if (e->run && !unmap_first)
		munmap(e->run, mmap_size);
	e->fd = -1;
	e->run = NULL;
	S->side_ops++;
	S->progress++;
}

/* A free entry of a kind, closing a random member when all are taken. */
static int pool_slot(int kind)
{
	int b = pool_base(kind), n = pool_size(kind), i;

	for (i = 0; i < n; i++)
		if (pool[b + i].fd < 0)
			return b + i;
	i = b + fz_below(n);
	pool_close(i);
	return i;
}

static bool pool_has_fd(int fd)
{
	int i;

	for (i = 0; i < NPOOL; i++)
		if (pool[i].fd == fd)
			return true;
	for (i = 0; i < NEVT; i++)
		if (evt[i] == fd)
			return true;
	return false;
}

/* Memslots a VM accepted, by VM generation, to aim guests at them. */
#define NREC	8
#define NRECSLOT 6

struct slotrec {
	uint64_t gpa, size, uaddr;
	uint32_t slot;
};

static struct vmrec {
	uint64_t gen;
	struct slotrec s[NRECSLOT];
} vmrecs[NREC];

static struct vmrec *vmrec_of(uint64_t gen, bool create)
{
	struct vmrec *r = &vmrecs[gen % NREC];

	if (r->gen != gen) {
		if (!create)
			return NULL;
		memset(r, 0, sizeof(*r));
		r->gen = gen;
	}
	return r;
}

static void record_slot(uint64_t gen, const struct kvm_userspace_memory_region *m)
{
	struct vmrec *r = vmrec_of(gen, true);
	int i, free_i = -1;

	for (i = 0; i < NRECSLOT; i++) {
		if (r->s[i].size && r->s[i].slot == m->slot) {
			r->s[i].size = 0;
			free_i = i;
		} else if (!r->s[i].size && free_i < 0) {
			free_i = i;
		}
	}
	if (!m->memory_size || free_i < 0)
		return;
	r->s[free_i] = (struct slotrec) {
		.gpa = m->guest_phys_addr, .size = m->memory_size,
		.uaddr = m->userspace_addr, .slot = m->slot,
	};
}

/* A recorded slot of the VM, or NULL. */
static struct slotrec *pick_slot(uint64_t gen)
{
	struct vmrec *r = vmrec_of(gen, false);
	int i, n = 0, k;

	if (!r)
		return NULL;
	for (i = 0; i < NRECSLOT; i++)
		n += r->s[i].size != 0;
	if (!n)
		return NULL;
	k = fz_below(n);
	for (i = 0; i < NRECSLOT; i++)
		if (r->s[i].size && !k--)
			return &r->s[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Checking answers. */

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (S->violations < NVIOL) {
		va_start(ap, fmt);
		vsnprintf(S->viol[S->violations], sizeof(S->viol[0]), fmt, ap);
		va_end(ap);
	}
	S->violations++;
}

static const char *ioctl_name(unsigned long nr, int kind, char *buf,
			      size_t len)
{
	const struct ioctl_ent *e = ioctl_lookup(nr, kind);

	if (e)
		return e->name;
	snprintf(buf, len, "ioctl %#lx", nr);
	return buf;
}

/* ktest.h's names, and those of the other errnos KVM may answer. */
static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case ENXIO: return "ENXIO";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case EACCES: return "EACCES";
	}
	if (strcmp(strerrorname(e), strerror(e)))
		return strerrorname(e);
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static bool sane_errno(int e)
{
	switch (e) {
	case EPERM: case ENOENT: case EINTR: case EIO: case ENXIO:
	case E2BIG: case EBADF: case EAGAIN: case ENOMEM: case EFAULT:
	case EBUSY: case EEXIST: case ENODEV: case EINVAL: case ENFILE:
	case EMFILE: case ENOTTY: case ENOSPC: case ERANGE: case EOPNOTSUPP:
	case EOVERFLOW: case EACCES:
		return true;
	}
	return false;
}

/* Is fd open and a new anonymous-inode file (what KVM hands out)? */
static bool fresh_anon_fd(long fd)
{
	char path[64], target[128];
	ssize_t n;

	if (fd > 0x7fffffff || fcntl(fd, F_GETFD) < 0 || pool_has_fd(fd))
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strncmp(target, "anon_inode:", 11);
}

/* ------------------------------------------------------------------ */
/* Issuing one ioctl. */

static void on_alarm(int sig)
{
}

static void timer_set(long usec)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = usec },
		.it_value = { .tv_usec = usec },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void adopt(int target, unsigned long nr, unsigned long arg, long fd);

/*
 * The sstatus fields of the privileged spec (SIE, SPIE, UBE, SPP, VS, FS,
 * XS, SUM, MXR, UXL, SD): what KVM_SET_ONE_REG may put in vsstatus here.
 */
#define SSTATUS_BITS	0x80000003000de762ULL

/* A guest sstatus or satp value QEMU copes with (see sanitize()). */
static uint64_t qemu_safe_csr(uint32_t csr, uint64_t v)
{
	static const uint64_t modes[] = { 0, 8, 9, 10 };	/* Bare, Sv39-57 */

	if (csr == (KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_REG(sstatus)))
		return v & SSTATUS_BITS;
	return (v & ~(0xfULL << 60)) | modes[v >> 60 & 3] << 60;
}

/*
 * Whatever built the argument, some ioctls must not get some values:
 * - a KVM_SET_SIGNAL_MASK set (read at arg + 4) must not block SIGALRM
 *   (bit 13), or a spinning guest could never be stopped;
 * - a memslot must not cover memory of the process outside the
 *   reservation, or a guest could write over the fuzzer (the read-only
 *   page is odd bytes: neither of these can come from there);
 * - two guest CSRs must hold values QEMU 7.2 emulates. Hardware treats
 *   vsstatus and vsatp as WARL; QEMU stores them unmasked. vsstatus is
 *   ORed into the host's mstatus at each guest entry and never taken out:
 *   KVM_SET_ONE_REG of sstatus with TSR (bit 22) makes the host's next
 *   sret an illegal instruction (oops in restore_all), with MPRV (bit 17)
 *   the hart hangs. A vsatp MODE it does not know (satp = 15 << 60) aborts
 *   QEMU at the guest's first fetch (get_physical_address: "code should
 *   not be reached"). kvm.ko passes both values through as rvkvm does:
 *   emulator bugs, which the fuzzer must not hit on every run.
 */
static void sanitize(int target, unsigned long nr, unsigned long arg)
{
	struct kvm_userspace_memory_region m;
	struct kvm_one_reg reg;
	uint64_t v, run;
	uint32_t csr;

	if (nr == KVM_SET_SIGNAL_MASK && in_arena(arg + 5))
		((unsigned char *)arg)[5] &= ~0x20;
	if (nr == KVM_SET_USER_MEMORY_REGION && in_arena(arg) &&
	    in_arena(arg + sizeof(m) - 1)) {
		memcpy(&m, (void *)arg, sizeof(m));
		if (!slot_owned(m.userspace_addr, m.memory_size)) {
			m.userspace_addr = KADDR;
			memcpy((void *)arg, &m, sizeof(m));
		}
	}
	if (nr != KVM_SET_ONE_REG || !in_arena(arg) ||
	    !in_arena(arg + sizeof(reg) - 1))
		return;
	memcpy(&reg, (void *)arg, sizeof(reg));
	csr = (uint32_t)reg.id;
	if (csr != (KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_REG(sstatus)) &&
	    csr != (KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_REG(satp)))
		return;
	/* The value, wherever the kernel can read it: arena, ro, kvm_run. */
	run = (uintptr_t)pool[target].run;
	if (in_arena(reg.addr) && in_arena(reg.addr + 7)) {
		memcpy(&v, (void *)reg.addr, 8);
		v = qemu_safe_csr(csr, v);
		memcpy((void *)reg.addr, &v, 8);
	} else if ((in_ro(reg.addr) && in_ro(reg.addr + 7)) ||
		   (run && reg.addr >= run &&
		    reg.addr <= run + mmap_size - 8)) {
		memcpy(&v, (void *)reg.addr, 8);
		v = qemu_safe_csr(csr, v);
		reg.addr = (uintptr_t)arena + ARENA_SIZE - 3 * PAGE;
		memcpy((void *)reg.addr, &v, 8);
		memcpy((void *)arg, &reg, sizeof(reg));
	}
}

/* --trace: the call about to be made, with what the kernel will read. */
static void trace_call(unsigned long nr, unsigned long arg)
{
	struct last_call *l = &S->last;
	struct kvm_one_reg reg;
	uint64_t v;
	char nb[32];
	unsigned int i;

	printf("fuzz-ioctl: #%llu %s on %s fd %d arg %#lx",
	       (unsigned long long)cur_iter,
	       ioctl_name(nr, l->kind, nb, sizeof(nb)),
	       kind_name(l->kind), l->fd, arg);
	if ((nr == KVM_SET_ONE_REG || nr == KVM_GET_ONE_REG) &&
	    l->buflen >= sizeof(reg)) {
		memcpy(&reg, l->buf, sizeof(reg));
		printf(" id %#llx addr %#llx", (unsigned long long)reg.id,
		       (unsigned long long)reg.addr);
		if (nr == KVM_SET_ONE_REG && (in_arena(reg.addr) ||
					      in_ro(reg.addr)) &&
		    (in_arena(reg.addr + 7) || in_ro(reg.addr + 7))) {
			memcpy(&v, (void *)reg.addr, sizeof(v));
			printf(" value %#llx", (unsigned long long)v);
		}
	} else if (l->buflen) {
		printf(" [");
		for (i = 0; i < l->buflen && i < 40; i++)
			printf("%s%02x", i && !(i % 8) ? " " : "", l->buf[i]);
		printf("]");
	}
	printf("\n");
	fflush(stdout);
}

static long issue(int target, unsigned long nr, unsigned long arg)
{
	struct fdent *e = &pool[target];
	struct last_call *l = &S->last;
	const struct ioctl_ent *ent;
	bool run = nr == KVM_RUN;
	const char *nm, *kn;
	unsigned long long it;
	char nb[32];
	long rc;
	int err;

	sanitize(target, nr, arg);
	l->iter = cur_iter;
	l->kind = e->kind;
	l->fd = e->fd;
	l->nr = nr;
	l->arg = arg;
	l->buflen = 0;
	if (in_arena(arg) || in_ro(arg)) {
		uint64_t end = in_ro(arg) ? (uintptr_t)ro + PAGE :
			       (uintptr_t)arena + ARENA_SIZE;

		l->buflen = end - arg < LASTBUF ? end - arg : LASTBUF;
		memcpy(l->buf, (void *)arg, l->buflen);
	}
	if (trace)
		trace_call(nr, arg);
	/* A periodic timer: a signal lost before the guest entry recurs. */
	if (run)
		timer_set(1000 + fz_below(7000));
	rc = ioctl(e->fd, nr, arg);
	err = errno;
	if (run)
		timer_set(0);
	S->ioctls++;
	S->progress++;
	if (trace) {
		printf("fuzz-ioctl:   = %ld%s%s\n", rc, rc == -1 ? " " : "",
		       rc == -1 ? errname(err) : "");
		fflush(stdout);
	}

	nm = ioctl_name(nr, e->kind, nb, sizeof(nb));
	kn = kind_name(e->kind);
	it = (unsigned long long)cur_iter;
	if (rc == -1) {
		S->err[err > 0 && err < NERR ? err : NERR]++;
		if (!sane_errno(err))
			violation("#%llu %s on %s fd: %s (%s)", it, nm, kn,
				  errname(err), strerror(err));
		else if (err == EINTR && !run)
			violation("#%llu %s on %s fd: EINTR without a signal",
				  it, nm, kn);
		errno = err;
		return rc;
	}
	if (rc < -1) {
		violation("#%llu %s on %s fd: returned %ld", it, nm, kn, rc);
		return rc;
	}
	S->ok++;
	ent = ioctl_lookup(nr, e->kind);
	if (!ent || !(ent->kinds & e->kind)) {
		violation("#%llu %s on %s fd succeeded (%ld)", it, nm, kn, rc);
		if (rc > 2 && fresh_anon_fd(rc))
			close(rc);
		return rc;
	}
	switch (ret_kind(nr)) {
	case RET_FD:
		if (!fresh_anon_fd(rc)) {
			violation("#%llu %s on %s fd returned %ld, not a new fd",
				  it, nm, kn, rc);
			return rc;
		}
		adopt(target, nr, arg, rc);
		break;
	case RET_API:
		if (rc != KVM_API_VERSION)
			violation("#%llu %s = %ld", it, nm, rc);
		break;
	case RET_MMAP:
		if (rc != mmap_size)
			violation("#%llu %s = %ld, was %ld", it, nm, rc,
				  mmap_size);
		break;
	case RET_ZERO:
		if (rc) {
			violation("#%llu %s on %s fd returned %ld", it, nm, kn,
				  rc);
			if (rc > 2 && fresh_anon_fd(rc))
				close(rc);
		}
		break;
	}
	return rc;
}

/* Take a new fd into the pool. */
static void adopt(int target, unsigned long nr, unsigned long arg, long fd)
{
	int kind = nr == KVM_CREATE_VM ? K_VM :
		   nr == KVM_CREATE_VCPU ? K_VCPU : K_STATS;
	int i = pool_slot(kind);
	struct fdent *e = &pool[i];
	void *run;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->kind = kind;
	if (kind == K_VM) {
		e->gen = next_gen++;
		S->vms++;
	} else if (kind == K_VCPU) {
		e->gen = pool[target].gen;
		e->vcpu_id = arg;
		S->vcpus++;
		if (mmap_size > 0) {
			run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
			if (run == MAP_FAILED)
				violation("#%llu mmap of a new vCPU: %s",
					  (unsigned long long)cur_iter,
					  strerrorname(errno));
			else
				e->run = run;
		}
	}
}

/* ------------------------------------------------------------------ */
/* ONE_REG ids. */

static const struct {
	uint64_t type;
	unsigned int n;		/* indices of subtype 0 */
	uint64_t size;		/* natural size */
} regtypes[] = {
	{ KVM_REG_RISCV_CONFIG, 8, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_CORE, 33, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_CSR, 10, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_TIMER, 4, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_FP_F, 33, KVM_REG_SIZE_U32 },
	{ KVM_REG_RISCV_FP_D, 33, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_ISA_EXT, 64, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_SBI_EXT, 16, KVM_REG_SIZE_U64 },
	{ KVM_REG_RISCV_VECTOR, 33, KVM_REG_SIZE_U128 },
	{ KVM_REG_RISCV_SBI_STATE, 4, KVM_REG_SIZE_U64 },
};

/* Ids from KVM_GET_REG_LIST answers: registers the vCPU really has. */
static uint64_t known_regs[512];
static unsigned int nknown;

/* A register of the 6.1 ABI (or later), with its own size. */
static uint64_t good_reg_id(void)
{
	unsigned int t = fz_below(ARRAY_SIZE(regtypes));
	uint64_t idx = fz_below(regtypes[t].n), size = regtypes[t].size;

	if (regtypes[t].type == KVM_REG_RISCV_FP_D && idx == 32)
		size = KVM_REG_SIZE_U32;	/* fcsr */
	return KVM_REG_RISCV | size | regtypes[t].type | idx;
}

static uint64_t gen_reg_id(void)
{
	unsigned int t = fz_below(ARRAY_SIZE(regtypes)), r;
	uint64_t id, type, size, sub = 0, idx;

	if (nknown && fz_chance(30)) {
		id = known_regs[fz_below(nknown)];
		if (fz_chance(80))
			return id;
		/* A real register with its size or index bent. */
		if (fz_chance(50))
			return (id & ~KVM_REG_SIZE_MASK) |
			       (fz_below(16) << KVM_REG_SIZE_SHIFT);
		return id ^ (1ULL << fz_below(24));
	}
	r = fz_below(100);
	if (r < 85)
		id = KVM_REG_RISCV;
	else if (r < 90)
		id = 0;
	else if (r < 95)
		id = KVM_REG_ARM64;
	else
		id = fz_next() & 0xff00000000000000ULL;

	size = fz_chance(65) ? regtypes[t].size :
	       fz_below(16) << KVM_REG_SIZE_SHIFT;
	r = fz_below(100);
	if (r < 80)
		type = regtypes[t].type;
	else if (r < 88)
		type = 0;
	else
		type = (uint64_t)(11 + fz_below(245)) << KVM_REG_RISCV_TYPE_SHIFT;
	r = fz_below(100);
	if (r >= 80)
		sub = (r < 95 ? 1 + fz_below(3) : fz_below(256)) << 16;
	r = fz_below(100);
	if (r < 60)
		idx = fz_below(regtypes[t].n);
	else if (r < 75)
		idx = regtypes[t].n + fz_below(3);
	else if (r < 85)
		idx = 0xffff;
	else
		idx = fz_below(0x10000);
	id |= size | type | sub | idx;
	/* Now and then garbage between the size and the type. */
	if (fz_chance(5))
		id |= (fz_next() & 0x000fffff) << 32;
	return id;
}

/* ------------------------------------------------------------------ */
/* Guest code: "instruction soup" with SBI calls, CSRs, MMIO, traps. */

#define RV_I(imm, rs1, f3, rd, op) \
	((((uint32_t)(imm) & 0xfff) << 20) | ((rs1) << 15) | ((f3) << 12) | \
	 ((rd) << 7) | (op))
#define RV_S(imm, rs2, rs1, f3) \
	(((((uint32_t)(imm) >> 5) & 0x7f) << 25) | ((rs2) << 20) | \
	 ((rs1) << 15) | ((f3) << 12) | (((imm) & 0x1f) << 7) | 0x23)
#define RV_U(imm20, rd, op) \
	((((uint32_t)(imm20) & 0xfffff) << 12) | ((rd) << 7) | (op))
#define RV_CSR(csr, rs1, f3, rd) RV_I(csr, rs1, f3, rd, 0x73)

static const uint32_t sbi_exts[] = {
	0x10, 0x54494d45, 0x735049, 0x52464e43, 0x48534d, 0x53525354,
	0x504d55, 0x4442434e, 0x535441, 0x08ffffff, 0x08000000, 0x09000000,
	0, 1, 2, 3, 4, 5, 6, 7, 8,
};

static const uint16_t csrs[] = {
	0x100, 0x104, 0x105, 0x106, 0x10a, 0x140, 0x141, 0x142, 0x143,
	0x144, 0x180, 0x14d, 0x015, 0xc00, 0xc01, 0xc02, 0xc03, 0x200,
	0x600, 0x300, 0xda0,
};

/* li rd, v for |v| < 2^31 (lui + addiw). */
static unsigned int emit_li(uint32_t *p, unsigned int rd, uint32_t v)
{
	p[0] = RV_U((v + 0x800) >> 12, rd, 0x37);
	p[1] = RV_I(v & 0xfff, rd, 0, rd, 0x1b);
	return 2;
}

static void soup(uint32_t *p, unsigned int n)
{
	static const unsigned int bases[] = { 5, 8, 10, 2, 0 };
	unsigned int i = 0, rd, b;
	uint32_t t[6];

	while (i < n) {
		unsigned int k = 0;

		rd = 10 + fz_below(6);
		b = bases[fz_below(ARRAY_SIZE(bases))];
		switch (fz_below(12)) {
		case 0:		/* SBI call */
			k = emit_li(t, 17, sbi_exts[fz_below(ARRAY_SIZE(sbi_exts))]);
			t[k++] = RV_I(fz_below(8), 0, 0, 16, 0x13);
			t[k++] = 0x00000073;
			break;
		case 1:
			t[k++] = 0x00000073;	/* ecall */
			break;
		case 2:
			t[k++] = 0x10500073;	/* wfi */
			break;
		case 3:
			t[k++] = RV_CSR(csrs[fz_below(ARRAY_SIZE(csrs))],
					fz_below(32), 1 + fz_below(7), rd);
			break;
		case 4:		/* MMIO base in t0, then an access */
			t[k++] = RV_U(0x10000, 5, 0x37);
			if (fz_chance(50))
				t[k++] = RV_S(fz_below(64), rd, 5, fz_below(4));
			else
				t[k++] = RV_I(fz_below(64), 5, fz_below(7), rd,
					      0x03);
			break;
		case 5:
			t[k++] = RV_I(fz_below(4096), b, fz_below(7), rd, 0x03);
			break;
		case 6:
			t[k++] = RV_S(fz_below(4096), rd, b, fz_below(4));
			break;
		case 7: {
			static const uint32_t sys[] = {
				0x10200073, 0x00100073, 0x12000073,
				0x0000100f, 0x30200073, 0x0000006f,
			};

			t[k++] = sys[fz_below(ARRAY_SIZE(sys))];
			break;
		}
		case 8:		/* compressed pair */
			t[k++] = fz_next();
			t[0] &= ~0x00030003U;
			break;
		case 9:
			t[k++] = fz_next();
			break;
		case 10:	/* short jump */
			t[k++] = ((fz_below(32) * 2) << 21) | 0x6f;
			break;
		default:
			k = emit_li(t, rd, fz_next() & 0x7fffffff);
			break;
		}
		if (i + k > n)
			k = n - i;
		memcpy(p + i, t, k * 4);
		i += k;
	}
}

/* ------------------------------------------------------------------ */
/* Argument builders, one per ioctl family. */

static unsigned long gen_scalar(void)
{
	return fz_chance(60) ? fz_below(4) : gen_value();
}

static uint64_t gen_gpa(uint64_t gen)
{
	struct slotrec *s;
	unsigned int r = fz_below(100);

	if (r < 40)
		return GUEST_RAM + fz_below(1024) * PAGE;
	if (r < 55) {
		s = pick_slot(gen);
		if (s)		/* overlapping an accepted slot */
			return s->gpa + fz_below(s->size / PAGE + 1) * PAGE;
		return GUEST_MMIO + fz_below(16) * PAGE;
	}
	if (r < 70)
		return fz_below(1ULL << 22) * PAGE;
	if (r < 85)
		return boundary[fz_below(ARRAY_SIZE(boundary))] & ~(PAGE - 1);
	if (r < 93)
		return GUEST_RAM + fz_below(1ULL << 20) + 1;
	return fz_next();
}

static uint64_t gen_memsize(void)
{
	unsigned int r = fz_below(100);

	if (r < 18)
		return 0;		/* delete */
	if (r < 60)
		return (1 + fz_below(256)) * PAGE;
	if (r < 70)
		return (1 + fz_below(RES_SIZE / PAGE)) * PAGE;
	if (r < 78)
		return (1 + fz_below(256)) * PAGE + 1 + fz_below(PAGE - 1);
	if (r < 90)
		return boundary[fz_below(ARRAY_SIZE(boundary))];
	return fz_next();
}

/* A slot KVM should take: slot n at GUEST_RAM + n * 256 KiB, on RAM. */
static void good_memslot(struct kvm_userspace_memory_region *m)
{
	m->slot = fz_below(8);
	m->flags = fz_below(3);
	m->guest_phys_addr = GUEST_RAM + m->slot * 64 * PAGE;
	m->memory_size = fz_chance(10) ? 0 : (1 + fz_below(64)) * PAGE;
	m->userspace_addr = (uintptr_t)res +
			    fz_below(RAM_SIZE / PAGE - 64) * PAGE;
}

static void gen_memslot(struct kvm_userspace_memory_region *m, uint64_t gen)
{
	unsigned int r = fz_below(100);
	uint64_t u, room = 0;
	struct slotrec *s;

	s = pick_slot(gen);
	if (r < 45)
		m->slot = fz_below(8);
	else if (r < 55 && s)
		m->slot = s->slot;
	else if (r < 70)
		m->slot = fz_below(512);
	else if (r < 78)
		m->slot = 508 + fz_below(8);
	else if (r < 88)
		m->slot = (1 + fz_below(3)) << 16 | fz_below(8);
	else
		m->slot = fz_chance(50) ? fz_next() : 0xffff;

	r = fz_below(100);
	if (r < 60)
		m->flags = 0;
	else if (r < 85)
		m->flags = 1 + fz_below(3);
	else
		m->flags = fz_chance(50) ? 1U << fz_below(32) : fz_next();
	m->guest_phys_addr = gen_gpa(gen);
	m->memory_size = gen_memsize();

	r = fz_below(100);
	if (r < 60)
		u = (uintptr_t)res + fz_below(RAM_SIZE / PAGE) * PAGE;
	else if (r < 68)
		u = (uintptr_t)res + RAM_SIZE + fz_below(RO_SIZE / PAGE) * PAGE;
	else if (r < 74)
		u = (uintptr_t)res + RAM_SIZE + RO_SIZE + fz_below(64) * PAGE;
	else if (r < 80)
		u = (uintptr_t)res + fz_below(RAM_SIZE - 1) + 1;
	else if (r < 86)
		u = KADDR;
	else if (r < 90)
		u = bad_addrs[fz_below(ARRAY_SIZE(bad_addrs))];
	else if (r < 95)
		u = fz_chance(50) ? 0 : 0x4000;
	else
		u = fz_next() | (1ULL << 63);

	/* Too big for where it points: shrink it, or make it unmappable. */
	if (!slot_owned(u, m->memory_size)) {
		if (u >= (uintptr_t)res && u < (uintptr_t)res + RES_SIZE)
			room = (uintptr_t)res + RES_SIZE - u;
		else if (u < LOW_END)
			room = LOW_END - u;
		if (fz_chance(70) && room >= PAGE)
			m->memory_size = room & ~(PAGE - 1);
		else
			u = KADDR;
	}
	m->userspace_addr = u;
}

/* ------------------------------------------------------------------ */
/* VM fd ioctls. */

static void vm_memslot(int t)
{
	struct kvm_userspace_memory_region m;
	uint64_t a;

	if (fz_chance(40)) {
		good_memslot(&m);
		a = place_valid(&m, sizeof(m));
	} else {
		gen_memslot(&m, pool[t].gen);
		a = place(&m, sizeof(m));
	}
	if (issue(t, KVM_SET_USER_MEMORY_REGION, a) == 0) {
		S->memslots_ok++;
		/* What the kernel read (and accepted). */
		if (in_arena(a) && in_arena(a + sizeof(m) - 1)) {
			memcpy(&m, (void *)a, sizeof(m));
			record_slot(pool[t].gen, &m);
		}
	}
}

static void vm_dirty_log(int t)
{
	struct slotrec *s = pick_slot(pool[t].gen);
	struct kvm_clear_dirty_log c;
	struct kvm_dirty_log d;
	size_t bytes = s ? (s->size / PAGE + 63) / 64 * 8 : 64;

	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	if (fz_chance(60)) {
		d.slot = s && fz_chance(80) ? s->slot : fz_below(10);
		if (fz_chance(10))
			d.slot = fz_next();
		d.dirty_bitmap = (void *)place_out(bytes);
		issue(t, KVM_GET_DIRTY_LOG, place(&d, sizeof(d)));
		return;
	}
	c.slot = s && fz_chance(80) ? s->slot : fz_below(10);
	c.first_page = fz_chance(60) ? fz_below(4) * 64 : gen_value();
	c.num_pages = fz_chance(60) ? (s ? s->size / PAGE : 64) : gen_value();
	c.dirty_bitmap = (void *)place_out(bytes);
	issue(t, KVM_CLEAR_DIRTY_LOG, place(&c, sizeof(c)));
}

static const uint32_t caps[] = {
	KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_HALT_POLL,
	KVM_CAP_DIRTY_LOG_RING, KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
	KVM_CAP_EXIT_HYPERCALL, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_ONE_REG,
	KVM_CAP_READONLY_MEM, KVM_CAP_NR_MEMSLOTS, KVM_CAP_MAX_VCPUS,
	KVM_CAP_MAX_VCPU_ID, KVM_CAP_BINARY_STATS_FD, KVM_CAP_SYNC_MMU,
	KVM_CAP_IOEVENTFD, KVM_CAP_IRQFD, KVM_CAP_COALESCED_MMIO,
	KVM_CAP_MP_STATE, KVM_CAP_USER_MEMORY, KVM_CAP_NR_VCPUS,
	KVM_CAP_VCPU_ATTRIBUTES, KVM_CAP_DEVICE_CTRL, KVM_CAP_SYSTEM_EVENT_DATA,
};

static unsigned long gen_cap(void)
{
	unsigned int r = fz_below(100);

	if (r < 50)
		return caps[fz_below(ARRAY_SIZE(caps))];
	if (r < 85)
		return fz_below(256);
	return gen_value();
}

static void gen_enable_cap(struct kvm_enable_cap *c)
{
	fill(c, sizeof(*c));
	c->cap = gen_cap();
	c->flags = fz_chance(80) ? 0 : gen_value();
	if (fz_chance(60)) {
		c->args[0] = c->cap == KVM_CAP_HALT_POLL ?
			     fz_below(200000) : fz_below(8);
		c->args[1] = c->args[2] = c->args[3] = 0;
	}
}

static int gen_efd(void)
{
	unsigned int r = fz_below(100);

	if (r < 70)
		return evt[fz_below(NEVT)];
	if (r < 80)
		return -1;
	if (r < 90)
		return pool[fz_below(NPOOL)].fd;
	return gen_value();
}

static void vm_eventfd(int t)
{
	struct kvm_ioeventfd io;
	struct kvm_irqfd irq;

	if (fz_chance(70)) {
		fill(&io, sizeof(io));
		io.datamatch = gen_value();
		io.addr = fz_chance(50) ? GUEST_MMIO + fz_below(16) * 8 :
			  gen_gpa(pool[t].gen);
		io.len = fz_chance(70) ? 1U << fz_below(4) : gen_value();
		io.fd = gen_efd();
		io.flags = fz_chance(70) ? fz_below(16) : gen_value();
		if (fz_chance(70))
			memset(io.pad, 0, sizeof(io.pad));
		issue(t, KVM_IOEVENTFD, place(&io, sizeof(io)));
		return;
	}
	fill(&irq, sizeof(irq));
	irq.fd = gen_efd();
	irq.gsi = fz_below(32);
	irq.flags = fz_chance(70) ? fz_below(4) : gen_value();
	irq.resamplefd = gen_efd();
	if (fz_chance(70))
		memset(irq.pad, 0, sizeof(irq.pad));
	issue(t, KVM_IRQFD, place(&irq, sizeof(irq)));
}

static void vm_irqchip(int t)
{
	static unsigned char buf[8 + 64 * sizeof(struct kvm_irq_routing_entry)];
	static const unsigned long dattr[] = {
		KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};
	struct kvm_irq_routing *rt = (void *)buf;
	struct kvm_coalesced_mmio_zone z;
	struct kvm_irq_level lvl;
	struct kvm_create_device cd;
	struct kvm_device_attr da;
	struct kvm_msi msi;
	unsigned int n;
	long rc;
	uint64_t a;

	switch (fz_below(8)) {
	case 0:
		issue(t, KVM_CREATE_IRQCHIP, gen_scalar());
		break;
	case 1:
		lvl.irq = fz_below(64);
		lvl.level = fz_below(3);
		issue(t, KVM_IRQ_LINE, place(&lvl, sizeof(lvl)));
		break;
	case 2:
		n = fz_chance(80) ? fz_below(64) : 0;
		fill(buf, sizeof(buf));
		rt->nr = fz_chance(80) ? n : gen_value();
		rt->flags = fz_chance(80) ? 0 : gen_value();
		issue(t, KVM_SET_GSI_ROUTING,
		      place(buf, 8 + n * sizeof(rt->entries[0])));
		break;
	case 3:
		fill(&z, sizeof(z));
		z.addr = fz_chance(60) ? GUEST_MMIO + fz_below(16) * 8 :
			 gen_value();
		z.size = fz_chance(60) ? 8U << fz_below(4) : gen_value();
		if (fz_chance(70))
			z.pad = fz_below(2);
		issue(t, fz_chance(60) ? KVM_REGISTER_COALESCED_MMIO :
		      KVM_UNREGISTER_COALESCED_MMIO, place(&z, sizeof(z)));
		break;
	case 4:
		cd.type = fz_chance(80) ? fz_below(12) : gen_value();
		cd.fd = gen_value();
		cd.flags = fz_chance(70) ? fz_below(2) : gen_value();
		a = place(&cd, sizeof(cd));
		rc = issue(t, KVM_CREATE_DEVICE, a);
		/* A device fd comes back in the structure: do not keep it. */
		if (rc == 0 && !(cd.flags & KVM_CREATE_DEVICE_TEST) &&
		    in_arena(a) && in_arena(a + sizeof(cd) - 1)) {
			int fd = ((struct kvm_create_device *)a)->fd;

			if (fd > 2 && fresh_anon_fd(fd))
				close(fd);
		}
		break;
	case 5:
		fill(&da, sizeof(da));
		da.flags = fz_chance(80) ? 0 : gen_value();
		da.group = fz_below(8);
		da.attr = fz_chance(70) ? fz_below(16) : gen_value();
		da.addr = place_out(64);
		issue(t, dattr[fz_below(3)], place(&da, sizeof(da)));
		break;
	case 6:
		fill(&msi, sizeof(msi));
		issue(t, KVM_SIGNAL_MSI, place(&msi, sizeof(msi)));
		break;
	default:
		issue(t, fz_chance(50) ? KVM_RESET_DIRTY_RINGS :
		      KVM_SET_NR_MMU_PAGES, gen_scalar());
		break;
	}
}

static void op_vm(int t)
{
	unsigned int r = fz_below(100);
	struct kvm_enable_cap cap;

	if (r < 14) {
		unsigned long id;

		r = fz_below(100);
		id = r < 85 ? fz_below(8) : r < 93 ? 1020 + fz_below(8) :
		     gen_value();
		issue(t, KVM_CREATE_VCPU, id);
	} else if (r < 40) {
		vm_memslot(t);
	} else if (r < 52) {
		vm_dirty_log(t);
	} else if (r < 60) {
		issue(t, KVM_CHECK_EXTENSION, gen_cap());
	} else if (r < 67) {
		gen_enable_cap(&cap);
		issue(t, KVM_ENABLE_CAP, place(&cap, sizeof(cap)));
	} else if (r < 72) {
		issue(t, KVM_GET_STATS_FD, gen_scalar());
	} else if (r < 84) {
		vm_eventfd(t);
	} else {
		vm_irqchip(t);
	}
}

/* ------------------------------------------------------------------ */
/* vCPU fd ioctls. */

static void vcpu_one_reg(int t, bool set)
{
	struct fdent *e = &pool[t];
	unsigned char val[128];
	struct kvm_one_reg reg;
	uint64_t sz;
	bool good;
	long rc;

	good = fz_chance(35);
	reg.id = good ? good_reg_id() : gen_reg_id();
	sz = KVM_REG_SIZE(reg.id);
	if (sz > sizeof(val))
		sz = sizeof(val);
	fill(val, sz);
	if (good)
		reg.addr = place_valid(val, sz);
	else if (e->run && fz_chance(5))	/* the vCPU's kvm_run page */
		reg.addr = (uintptr_t)e->run + fz_below(PAGE - 128);
	else
		reg.addr = place(val, sz);
	rc = issue(t, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG,
		   good ? place_valid(&reg, sizeof(reg)) :
		   place(&reg, sizeof(reg)));
	if (set && rc == 0)
		S->setreg_ok++;
}

static void remember_reg(uint64_t id)
{
	unsigned int k;

	for (k = 0; k < nknown; k++)
		if (known_regs[k] == id)
			return;
	if (nknown < ARRAY_SIZE(known_regs))
		known_regs[nknown++] = id;
}

static void vcpu_reg_list(int t)
{
	static uint64_t list_n;
	unsigned int r = fz_below(100);
	uint64_t n, a, i, id;
	long rc;

	if (r < 25)
		n = list_n;
	else if (r < 50)
		n = fz_below(8);
	else if (r < 80)
		n = fz_below(600);
	else
		n = gen_value();
	/* n, then the kernel writes n and up to n ids after it. */
	a = place(&n, sizeof(n));
	rc = issue(t, KVM_GET_REG_LIST, a);
	if ((rc == -1 && errno != E2BIG) || !in_arena(a) || !in_arena(a + 7))
		return;
	memcpy(&n, (void *)a, sizeof(n));
	if (n > 4096)
		return;
	list_n = n;
	if (rc || !in_arena(a + 8 * n + 7))
		return;
	/* The list itself: real register ids for later ONE_REG calls. */
	for (i = 0; i < n; i++) {
		memcpy(&id, (void *)(a + 8 + 8 * i), sizeof(id));
		remember_reg(id);
	}
}

static void set_reg(int t, uint64_t id, uint64_t v)
{
	struct kvm_one_reg reg;
	uint64_t *p = (uint64_t *)(arena + ARENA_SIZE - 2 * PAGE);

	*p = v;
	reg.id = id;
	reg.addr = (uintptr_t)p;
	memcpy(p + 1, &reg, sizeof(reg));
	issue(t, KVM_SET_ONE_REG, (uintptr_t)(p + 1));
}

/* Random kvm_run contents: exit completions, immediate_exit, the ring. */
static void scribble_run(struct kvm_run *run)
{
	unsigned int r = fz_below(100), i;
	unsigned char *p = (unsigned char *)run;

	if (r < 40) {
		fill(&run->mmio.data, sizeof(run->mmio.data));
	} else if (r < 60) {
		run->riscv_sbi.ret[0] = gen_value();
		run->riscv_sbi.ret[1] = gen_value();
	} else if (r < 70) {
		run->riscv_csr.ret_value = gen_value();
	} else if (r < 80) {
		run->exit_reason = fz_chance(50) ? fz_below(NEXIT) : fz_next();
		run->request_interrupt_window = fz_next();
	} else if (r < 90) {
		for (i = 0; i < 16; i++)
			p[fz_below(PAGE)] = fz_next();
	} else if (mmap_size >= (long)(2 * PAGE)) {
		/* Coalesced MMIO ring: first and last are user-writable. */
		fill(p + PAGE, 8 + fz_below(64));
	}
	run->immediate_exit = fz_chance(85) ? 0 : fz_chance(50) ? 1 :
			      fz_next();
}

/* Aim the vCPU at soup in one of its VM's slots, then KVM_RUN. */
static void vcpu_run_op(int t)
{
	struct fdent *e = &pool[t];
	struct slotrec *s = pick_slot(e->gen);
	unsigned long arg;
	uint64_t off;
	long rc;

	if (s && fz_chance(60) && s->uaddr >= (uintptr_t)res &&
	    s->uaddr < (uintptr_t)res + RAM_SIZE) {
		uint64_t room = (uintptr_t)res + RAM_SIZE - s->uaddr;
		unsigned int words = 16 + fz_below(240);

		if (room > s->size)
			room = s->size;
		if (room >= words * 4) {
			off = fz_below((room - words * 4) / 4 + 1) * 4;
			soup((uint32_t *)(s->uaddr + off), words);
			set_reg(t, VMM_REG_PC, s->gpa + off);
		}
	}
	if (fz_chance(20))
		set_reg(t, VMM_REG_A(fz_below(8)), gen_value());
	if (e->run)
		scribble_run(e->run);
	arg = fz_chance(95) ? 0 : gen_value();
	rc = issue(t, KVM_RUN, arg);
	S->runs++;
	if (rc == 0 && e->run) {
		S->run_exits++;
		S->exits[e->run->exit_reason < NEXIT ?
			 e->run->exit_reason : NEXIT]++;
	}
}

static void op_vcpu(int t)
{
	unsigned int r = fz_below(100);
	struct kvm_enable_cap cap;
	struct kvm_mp_state mp;
	struct kvm_interrupt irq;
	struct {
		struct kvm_signal_mask m;
		unsigned char set[16];
	} sm;
	unsigned char raw[256];
	static const unsigned long plain[] = {
		KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
		KVM_GET_FPU, KVM_SET_FPU, KVM_TRANSLATE, KVM_SET_GUEST_DEBUG,
		KVM_NMI, KVM_KVMCLOCK_CTRL, KVM_GET_DEVICE_ATTR,
		KVM_SET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};

	if (r < 16) {
		vcpu_run_op(t);
	} else if (r < 30) {
		vcpu_one_reg(t, false);
	} else if (r < 50) {
		vcpu_one_reg(t, true);
	} else if (r < 56) {
		vcpu_reg_list(t);
	} else if (r < 63) {
		if (fz_chance(40)) {
			issue(t, KVM_GET_MP_STATE, place_out(sizeof(mp)));
		} else {
			mp.mp_state = fz_chance(80) ? fz_below(10) : gen_value();
			issue(t, KVM_SET_MP_STATE, place(&mp, sizeof(mp)));
		}
	} else if (r < 69) {
		static const uint32_t irqs[] = {
			KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, 0, 1, 9,
		};

		irq.irq = fz_chance(85) ? irqs[fz_below(ARRAY_SIZE(irqs))] :
			  gen_value();
		issue(t, KVM_INTERRUPT, place(&irq, sizeof(irq)));
	} else if (r < 74) {
		fill(&sm, sizeof(sm));
		sm.m.len = fz_chance(70) ? 8 : gen_value();
		sm.set[1] &= ~0x20;	/* never block SIGALRM */
		issue(t, KVM_SET_SIGNAL_MASK,
		      fz_chance(15) ? 0 : place(&sm, sizeof(sm)));
	} else if (r < 80) {
		fill(raw, sizeof(raw));
		issue(t, plain[fz_below(ARRAY_SIZE(plain))],
		      fz_chance(20) ? gen_value() : place(raw, sizeof(raw)));
	} else if (r < 84) {
		gen_enable_cap(&cap);
		issue(t, KVM_ENABLE_CAP, place(&cap, sizeof(cap)));
	} else if (r < 88) {
		issue(t, KVM_GET_STATS_FD, gen_scalar());
	} else {
		/* Registers the guest will run with: CORE and CSR. */
		static const uint64_t csrtype = KVM_REG_RISCV | KVM_REG_SIZE_U64 |
						KVM_REG_RISCV_CSR;

		if (fz_chance(60))
			set_reg(t, CORE_REG(fz_below(33)), gen_value());
		else
			set_reg(t, csrtype | fz_below(10), gen_value());
	}
}

/* ------------------------------------------------------------------ */
/* Device fd ioctls, and ioctls of any kind. */

/* A random table ioctl that belongs to a kind of fd. */
static unsigned long pick_nr(unsigned int kind)
{
	const struct ioctl_ent *e;

	do {
		e = &ioctls[fz_below(ARRAY_SIZE(ioctls))];
	} while (!(e->kinds & kind));
	return e->nr;
}

static void op_sys(int t)
{
	unsigned int r = fz_below(100);
	unsigned char raw[64];

	if (r < 25)
		issue(t, KVM_CREATE_VM, fz_chance(85) ? 0 : gen_value());
	else if (r < 55)
		issue(t, KVM_CHECK_EXTENSION, gen_cap());
	else if (r < 70)
		issue(t, KVM_GET_VCPU_MMAP_SIZE, gen_scalar());
	else if (r < 85)
		issue(t, KVM_GET_API_VERSION, gen_scalar());
	else {
		fill(raw, sizeof(raw));
		issue(t, pick_nr(K_SYS), place(raw, sizeof(raw)));
	}
}

/* Numbers the VFS answers itself: never random ioctls on KVM fds. */
static bool vfs_type(unsigned int type)
{
	return type == 0x00 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94;
}

static unsigned long gen_nr(void)
{
	unsigned int r = fz_below(100);
	unsigned long nr;

	if (r < 45)
		return ioctls[fz_below(ARRAY_SIZE(ioctls))].nr;
	if (r < 75) {
		nr = ioctls[fz_below(ARRAY_SIZE(ioctls))].nr;
		if (fz_chance(50))
			nr ^= (unsigned long)(1 + fz_below(3)) << _IOC_DIRSHIFT;
		if (fz_chance(60))
			nr = (nr & ~((unsigned long)_IOC_SIZEMASK <<
				     _IOC_SIZESHIFT)) |
			     (fz_below(_IOC_SIZEMASK + 1) << _IOC_SIZESHIFT);
		return nr;
	}
	if (r < 90)
		return _IOC(fz_below(4), KVMIO, fz_below(256),
			    fz_chance(50) ? fz_below(512) :
			    fz_below(_IOC_SIZEMASK + 1));
	do {
		nr = (uint32_t)fz_next();
	} while (vfs_type(_IOC_TYPE(nr)));
	return nr;
}

static void op_any(int t)
{
	unsigned char raw[512];
	unsigned long nr = gen_nr();
	size_t len = _IOC_SIZE(nr);

	if (len < 64 || len > sizeof(raw))
		len = fz_chance(50) ? 64 : sizeof(raw);
	fill(raw, len);
	issue(t, nr, fz_chance(80) ? place(raw, len) : gen_value());
}

/* ------------------------------------------------------------------ */
/* Side operations: fds come and go, stats reads, vCPU mmaps. */

static int open_dev(void)
{
	int i = pool_slot(K_SYS), fd = open(dev, O_RDWR | O_CLOEXEC);

	S->side_ops++;
	S->progress++;
	if (fd < 0) {
		violation("#%llu open %s: %s", (unsigned long long)cur_iter,
			  dev, strerrorname(errno));
		return -1;
	}
	pool[i] = (struct fdent) { .fd = fd, .kind = K_SYS };
	return i;
}

static void stats_read(int t)
{
	size_t len = fz_chance(70) ? fz_below(4096) : gen_value();
	unsigned int r = fz_below(100);
	off_t off = r < 40 ? 0 : r < 80 ? (off_t)fz_below(8192) :
		    (off_t)gen_value();
	uint64_t a = place_out(len);
	ssize_t n;

	if (fz_chance(20))
		n = read(pool[t].fd, (void *)a, len);
	else
		n = pread(pool[t].fd, (void *)a, len, off);
	S->side_ops++;
	S->progress++;
	if (n < -1 || (n >= 0 && (size_t)n > len))
		violation("#%llu stats read of %zu returned %zd",
			  (unsigned long long)cur_iter, len, n);
	else if (n == -1 && !sane_errno(errno))
		violation("#%llu stats read: %s",
			  (unsigned long long)cur_iter, errname(errno));
}

/* mmap a pooled fd at a random page offset; only vCPU fds may map. */
static void mmap_probe(int t)
{
	struct fdent *e = &pool[t];
	size_t pages = 1 + fz_below(3), pgoff = fz_below(4), i;
	int prot = PROT_READ | (fz_chance(50) ? PROT_WRITE : 0);
	unsigned char *p;

	p = mmap(NULL, pages * PAGE, prot, MAP_SHARED, e->fd, pgoff * PAGE);
	S->side_ops++;
	S->progress++;
	if (p == MAP_FAILED)
		return;
	if (e->kind != K_VCPU) {
		violation("#%llu mmap of a %s fd succeeded",
			  (unsigned long long)cur_iter, kind_name(e->kind));
	} else {
		/* Touch only pages inside KVM_GET_VCPU_MMAP_SIZE. */
		for (i = 0; i < pages; i++)
			if ((long)((pgoff + i + 1) * PAGE) <= mmap_size)
				__atomic_load_n(&p[i * PAGE], __ATOMIC_RELAXED);
	}
	munmap(p, pages * PAGE);
}

/* ------------------------------------------------------------------ */
/* The fd table. */

static unsigned char fd_start_set[1024];

/* Count open fds; with check, report and close fds nobody owns. */
static int fd_scan(bool check, bool record)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0, fd, self;

	if (!d)
		return -1;
	self = dirfd(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == self)
			continue;
		n++;
		if (record && fd < 1024)
			fd_start_set[fd] = 1;
		if (!check || (fd < 1024 && fd_start_set[fd]) ||
		    pool_has_fd(fd))
			continue;
		{
			char path[64], target[96] = "?";
			ssize_t k;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			k = readlink(path, target, sizeof(target) - 1);
			if (k >= 0)
				target[k] = '\0';
			violation("fd %d (%s) appeared by ioctl #%llu, not pooled",
				  fd, target, (unsigned long long)cur_iter);
			S->fd_drift++;
			close(fd);
			n--;
		}
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------------ */
/* The child: the fuzzing loop. */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void one_step(void)
{
	static const int kinds[] = { K_VCPU, K_VM, K_SYS, K_STATS };
	static const unsigned int weight[] = { 48, 34, 10, 8 };
	unsigned int r = fz_below(100), w = 0, k;
	int kind = K_VCPU, t;

	/* Side operations first: fds come and go. */
	if (r < 3) {
		t = fz_below(NPOOL);
		pool_close(t);
	} else if (r < 4) {
		open_dev();
	} else if (r < 6) {
		t = pool_pick(K_STATS);
		if (t >= 0)
			stats_read(t);
	} else if (r < 7) {
		t = fz_below(NPOOL);
		if (pool[t].fd >= 0)
			mmap_probe(t);
	}

	r = fz_below(100);
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		w += weight[k];
		if (r < w) {
			kind = kinds[k];
			break;
		}
	}
	t = pool_pick(kind);
	if (t < 0) {
		/* Make what is missing, from the fd it comes from. */
		if (kind == K_STATS) {
			t = pool_pick(fz_chance(50) ? K_VM : K_VCPU);
			if (t < 0)
				t = pool_pick(K_VM);
			if (t >= 0) {
				issue(t, KVM_GET_STATS_FD, 0);
				return;
			}
			kind = K_VM;
		}
		if (kind == K_VCPU) {
			t = pool_pick(K_VM);
			if (t >= 0) {
				issue(t, KVM_CREATE_VCPU, fz_below(8));
				return;
			}
			kind = K_VM;
		}
		t = pool_pick(K_SYS);
		if (t < 0)
			t = open_dev();
		if (t < 0)
			return;
		if (kind == K_VM) {
			issue(t, KVM_CREATE_VM, 0);
			return;
		}
	}

	r = fz_below(100);
	if (r >= 82 || pool[t].kind == K_STATS) {
		op_any(t);
		return;
	}
	switch (pool[t].kind) {
	case K_SYS:
		op_sys(t);
		break;
	case K_VM:
		op_vm(t);
		break;
	case K_VCPU:
		op_vcpu(t);
		break;
	}
}

static void child(uint64_t seed, uint64_t count)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int i, t;

	/* No SA_RESTART: the alarm must end a KVM_RUN with EINTR. */
	sigaction(SIGALRM, &sa, NULL);
	for (i = 0; i < NPOOL; i++)
		pool[i].fd = -1;
	S->fd_start = fd_scan(false, true);
	fz_seed(splitmix(seed));
	if (setup_memory()) {
		violation("setting up memory: %s", strerrorname(errno));
		_exit(3);
	}
	for (i = 0; i < NEVT; i++)
		evt[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t = open_dev();
	if (t < 0)
		_exit(3);
	mmap_size = ioctl(pool[t].fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (long)PAGE || mmap_size % PAGE) {
		violation("KVM_GET_VCPU_MMAP_SIZE = %ld", mmap_size);
		mmap_size = 0;
	}

	for (cur_iter = 0; S->ioctls < count; cur_iter++) {
		fz_seed(splitmix(seed ^ splitmix(cur_iter + 1)));
		one_step();
		if (!(cur_iter % 256))
			fd_scan(true, false);
	}
	fd_scan(true, false);
	S->done = 1;

	for (i = 0; i < NPOOL; i++)
		pool_close(i);
	for (i = 0; i < NEVT; i++)
		if (evt[i] >= 0)
			close(evt[i]);
	S->fd_end = fd_scan(false, false);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The parent: watch, report, and check the device afterwards. */

static const uint32_t check_guest[] = {
	0x090008b7,	/* lui a7, 0x9000 */
	0xfff8889b,	/* addiw a7, a7, -1: 0x08ffffff */
	0x05a00813,	/* li a6, 0x5a */
	0x02a00513,	/* li a0, 42 */
	0x00000073,	/* ecall */
	0x0000006f,	/* j . */
};

static void device_works(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	const char *name = "fuzz-ioctl/device-works-after";
	struct kvm_run *r;
	struct vmm v;
	int rc, tries = 0;

	sigaction(SIGALRM, &sa, NULL);
	if (vmm_open(&v, dev, 64 << 10, check_guest,
		     check_guest + ARRAY_SIZE(check_guest), check_guest)) {
		kt_check(false, name, "VM setup on %s: %s", dev,
			 strerrorname(errno));
		vmm_close(&v);
		return;
	}
	r = v.run;
	timer_set(200000);
	do
		rc = vmm_run_once(&v);
	while (rc == -1 && errno == EINTR && ++tries < 50);
	timer_set(0);
	kt_check(rc == 0 && r->exit_reason == KVM_EXIT_RISCV_SBI &&
		 r->riscv_sbi.extension_id == SBI_EXT_TEST &&
		 r->riscv_sbi.function_id == 0x5a &&
		 r->riscv_sbi.args[0] == 42, name,
		 "rc=%d errno=%s exit=%u ext=%#llx fn=%#llx a0=%llu", rc,
		 rc ? strerrorname(errno) : "-", r->exit_reason,
		 (unsigned long long)r->riscv_sbi.extension_id,
		 (unsigned long long)r->riscv_sbi.function_id,
		 (unsigned long long)r->riscv_sbi.args[0]);
	vmm_close(&v);
}

static void describe_last(char *buf, size_t len)
{
	struct last_call *l = &S->last;
	char nb[32];
	size_t o;
	unsigned int i;

	o = snprintf(buf, len, "ioctl #%llu: %s on %s fd %d, arg %#lx",
		     (unsigned long long)l->iter,
		     ioctl_name(l->nr, l->kind, nb, sizeof(nb)), kind_name(l->kind),
		     l->fd, l->arg);
	if (l->buflen && o < len)
		o += snprintf(buf + o, len - o, ", arg bytes");
	for (i = 0; i < l->buflen && i < 32 && o < len; i++)
		o += snprintf(buf + o, len - o, " %02x", l->buf[i]);
}

static void print_histograms(void)
{
	static const char *const exit_names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
		[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
	};
	int i;

	printf("fuzz-ioctl: errnos");
	for (i = 1; i <= NERR; i++)
		if (S->err[i])
			printf(" %s=%llu", i == NERR ? "other" : errname(i),
			       (unsigned long long)S->err[i]);
	printf("\nfuzz-ioctl: exits");
	for (i = 0; i <= NEXIT; i++) {
		if (!S->exits[i])
			continue;
		if (i < (int)ARRAY_SIZE(exit_names) && exit_names[i])
			printf(" %s=%llu", exit_names[i],
			       (unsigned long long)S->exits[i]);
		else
			printf(" %s%d=%llu", i == NEXIT ? ">=" : "#", i,
			       (unsigned long long)S->exits[i]);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *seed_arg = NULL;
	uint64_t seed, count = DEFAULT_COUNT;
	struct timespec t0, t1;
	bool intree = false, hung = false, exited;
	unsigned long long last = 0;
	char what[256];
	int i, status = 0, stall = 0;
	double secs;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed_arg = argv[++i];
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--intree"))
			intree = true;
		else if (!strcmp(argv[i], "--trace"))
			trace = true;
		else if (argv[i][0] != '-' && !dev)
			dev = argv[i];
		else
			break;
	}
	if (i < argc || !dev) {
		fprintf(stderr, "usage: fuzz-ioctl DEV [--seed N] [--count N] [--intree] [--trace]\n");
		printf("rvtest: FAIL fuzz-ioctl/usage: bad arguments\n");
		return 1;
	}
	seed = fz_pick_seed("fuzz-ioctl", seed_arg);
	printf("fuzz-ioctl: %s%s, %llu ioctls\n", dev,
	       intree ? " (in-tree kvm.ko)" : "", (unsigned long long)count);
	fflush(stdout);

	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED) {
		kt_check(false, "fuzz-ioctl/setup", "mmap: %s",
			 strerrorname(errno));
		return kt_exit_code();
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0)
		child(seed, count);
	if (pid < 0) {
		kt_check(false, "fuzz-ioctl/setup", "fork: %s",
			 strerrorname(errno));
		return kt_exit_code();
	}

	/* Watch the child; no progress for HANG_S seconds is a hang. */
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
		if (S->progress != last) {
			last = S->progress;
			stall = 0;
		} else if (++stall >= HANG_S * 10) {
			hung = true;
			describe_last(what, sizeof(what));
			kill(pid, SIGKILL);
			for (stall = 0; stall < 30; stall++) {
				if (waitpid(pid, &status, WNOHANG) == pid)
					break;
				sleep(1);
			}
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("fuzz-ioctl: %llu ioctls (%llu succeeded), %llu VMs, %llu vCPUs, %llu KVM_RUNs, seed %llu\n",
	       (unsigned long long)S->ioctls, (unsigned long long)S->ok,
	       (unsigned long long)S->vms, (unsigned long long)S->vcpus,
	       (unsigned long long)S->runs, (unsigned long long)seed);
	print_histograms();
	printf("fuzz-ioctl: %.1f s, %.0f ioctls/s; %llu memslots and %llu ONE_REG writes accepted, %llu runs exited to userspace, %llu side operations\n",
	       secs, S->ioctls / (secs > 0 ? secs : 1),
	       (unsigned long long)S->memslots_ok,
	       (unsigned long long)S->setreg_ok,
	       (unsigned long long)S->run_exits,
	       (unsigned long long)S->side_ops);
	for (i = 0; i < NVIOL && (uint64_t)i < S->violations; i++)
		printf("fuzz-ioctl: violation: %s\n", S->viol[i]);
	fflush(stdout);

	exited = !hung && WIFEXITED(status);
	if (hung) {
		kt_check(false, "fuzz-ioctl/survived",
			 "no progress for %d s (seed %llu), last %s%s", HANG_S,
			 (unsigned long long)seed, what,
			 stall >= 30 ? "; SIGKILL did not end it" : "");
	} else if (WIFSIGNALED(status)) {
		describe_last(what, sizeof(what));
		kt_check(false, "fuzz-ioctl/survived",
			 "killed by signal %d (%s), seed %llu, last %s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 (unsigned long long)seed, what);
	} else {
		kt_check(exited && WEXITSTATUS(status) == 0 && S->done,
			 "fuzz-ioctl/survived", "exit status %d, done %d",
			 WEXITSTATUS(status), S->done);
	}
	kt_check(!S->violations, "fuzz-ioctl/sane-returns",
		 "%llu calls answered nonsense (seed %llu), first: %s",
		 (unsigned long long)S->violations, (unsigned long long)seed,
		 S->viol[0]);
	if (exited && S->done)
		kt_check(!S->fd_drift && S->fd_end == S->fd_start,
			 "fuzz-ioctl/no-fd-leak",
			 "%d fds at the start, %d at the end, %llu unpooled",
			 S->fd_start, S->fd_end,
			 (unsigned long long)S->fd_drift);
	else
		kt_skip("fuzz-ioctl/no-fd-leak", "the fuzzer did not finish");
	if (count >= 2000 && exited && S->done)
		kt_check(S->vms && S->vcpus && S->memslots_ok && S->setreg_ok &&
			 S->run_exits, "fuzz-ioctl/coverage",
			 "VMs %llu vCPUs %llu memslots %llu ONE_REG writes %llu run exits %llu",
			 (unsigned long long)S->vms,
			 (unsigned long long)S->vcpus,
			 (unsigned long long)S->memslots_ok,
			 (unsigned long long)S->setreg_ok,
			 (unsigned long long)S->run_exits);
	else
		kt_skip("fuzz-ioctl/coverage", "fewer than 2000 ioctls");
	if (hung && stall >= 30)
		kt_skip("fuzz-ioctl/device-works-after", "the fuzzer is stuck");
	else
		device_works();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("fuzz-ioctl: %.1f s in all\n", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return kt_exit_code();
}
