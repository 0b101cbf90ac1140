// SPDX-License-Identifier: GPL-2.0
/*
 * System ioctls on a KVM device node: sysioctl DEV rvkvm|intree [TAG].
 * The same assertions run against rvkvm and the in-tree kvm.ko; where the
 * in-tree 6.1 module answers differently, the test names the difference and
 * checks each module's own answer.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/ktest.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_VMS		64
#define MAX_CAP		512
#define SIG_VMAS	8192	/* separate mappings: a wide mm_take_all_locks() */
#define SIG_CALLS	32

static const char *dev, *tag;
static bool intree;

/*
 * Every capability rvkvm implements, with its answer; all others must be
 * 0. Grow this with each capability: nothing else may be advertised.
 */
/* Expected values that depend on the machine or on the module. */
#define CAP_ONLINE_CPUS	-100	/* online host CPUs */
#define CAP_GPA_BITS	-101	/* 41, 50 or 59: Sv39x4, Sv48x4, Sv57x4 */
#define CAP_POSITIVE	-102	/* any positive value */
#define CAP_SAME	-103	/* in-tree: the same as rvkvm */
#define CAP_KERNEL_MMU_NOTIFIER -104	/* 1 if the kernel has MMU notifiers */

static const struct {
	long cap;
	const char *name;
	long value;
	long intree;		/* the in-tree 6.1 kvm.ko's answer */
} rvkvm_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user-memory", 1, CAP_SAME },
	{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS, "destroy-memory-region", 1, CAP_SAME },
	{ KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, "join-memory-regions", 1, CAP_SAME },
	{ KVM_CAP_INTERNAL_ERROR_DATA, "internal-error-data", 1, CAP_SAME },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate-exit", 1, CAP_SAME },
	{ KVM_CAP_CHECK_EXTENSION_VM, "check-extension-vm", 1, CAP_SAME },
	{ KVM_CAP_BINARY_STATS_FD, "binary-stats-fd", 1, CAP_SAME },
	{ KVM_CAP_READONLY_MEM, "readonly-mem", 1, CAP_SAME },
	{ KVM_CAP_ONE_REG, "one-reg", 1, CAP_SAME },
	{ KVM_CAP_MP_STATE, "mp-state", 1, CAP_SAME },
	{ KVM_CAP_NR_VCPUS, "nr-vcpus", CAP_ONLINE_CPUS, CAP_SAME },
	{ KVM_CAP_MAX_VCPUS, "max-vcpus", 1024, CAP_SAME },
	/* 6.1 riscv does not answer MAX_VCPU_ID; VMMs fall back to MAX_VCPUS */
	{ KVM_CAP_MAX_VCPU_ID, "max-vcpu-id", 1024, 0 },
	{ KVM_CAP_NR_MEMSLOTS, "nr-memslots", 512, CAP_POSITIVE },
	{ KVM_CAP_VM_GPA_BITS, "vm-gpa-bits", CAP_GPA_BITS, CAP_SAME },
	/* Only with an MMU notifier do guests follow the host mm. */
	{ KVM_CAP_SYNC_MMU, "sync-mmu", CAP_KERNEL_MMU_NOTIFIER, 1 },
};

static const char *tname(const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "sys[%s%s%s]/%s", dev, *tag ? " " : "",
		 tag, what);
	return buf;
}

static void test_version_and_mmap_size(int kvm)
{
	long rc, page = sysconf(_SC_PAGESIZE);

	rc = ioctl(kvm, KVM_GET_API_VERSION, 0);
	kt_check(rc == 12, tname("api-version"), "got %ld", rc);
	rc = ioctl(kvm, KVM_GET_API_VERSION, 1);
	KT_ERRNO(rc, EINVAL, tname("api-version-arg"));

	/* kvm_run, then the coalesced-MMIO ring page. */
	rc = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	kt_check(rc == 2 * page, tname("vcpu-mmap-size"), "got %ld", rc);
	rc = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 1);
	KT_ERRNO(rc, EINVAL, tname("vcpu-mmap-size-arg"));
}

static long expected_cap(long cap)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_caps); i++)
		if (rvkvm_caps[i].cap == cap)
			return rvkvm_caps[i].value;
	return 0;
}

/* Whether the running kernel was built with MMU notifiers. */
static bool kernel_has_mmu_notifier(void)
{
	char line[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " mmu_notifier_register\n") != NULL;
	if (f)
		fclose(f);
	return found;
}

static bool cap_matches(long got, long want)
{
	switch (want) {
	case CAP_KERNEL_MMU_NOTIFIER:
		return got == kernel_has_mmu_notifier();
	case CAP_ONLINE_CPUS:
		return got == sysconf(_SC_NPROCESSORS_ONLN);
	case CAP_GPA_BITS:
		return got == 41 || got == 50 || got == 59;
	case CAP_POSITIVE:
		return got > 0;
	}
	return got == want;
}

static void test_check_extension(int kvm)
{
	char name[64];
	long rc, cap, first = -1, got = 0, want;
	size_t i;

	rc = ioctl(kvm, KVM_CHECK_EXTENSION, 0x7fffffffL);
	kt_check(rc == 0, tname("cap-unknown-large"), "got %ld", rc);
	rc = ioctl(kvm, KVM_CHECK_EXTENSION, -1L);
	kt_check(rc == 0, tname("cap-negative"), "got %ld", rc);

	/* rvkvm's capabilities answer as the reference module does. */
	for (i = 0; i < ARRAY_SIZE(rvkvm_caps); i++) {
		snprintf(name, sizeof(name), "cap-%s", rvkvm_caps[i].name);
		want = rvkvm_caps[i].value;
		if (intree && rvkvm_caps[i].intree != CAP_SAME)
			want = rvkvm_caps[i].intree;
		rc = ioctl(kvm, KVM_CHECK_EXTENSION, rvkvm_caps[i].cap);
		kt_check(cap_matches(rc, want), tname(name),
			 "got %ld, want %ld", rc, want);
	}

	if (intree) {
		/* The reference module advertises the basics. */
		rc = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
		kt_check(rc > 0, tname("cap-user-memory"), "got %ld", rc);
		return;
	}
	/* rvkvm advertises exactly what it implements. */
	for (cap = 0; cap < MAX_CAP && first < 0; cap++) {
		got = ioctl(kvm, KVM_CHECK_EXTENSION, cap);
		if (!cap_matches(got, expected_cap(cap)))
			first = cap;
	}
	kt_check(first < 0, tname("caps-exact-set"),
		 "capability %ld answered %ld, want %ld", first, got,
		 expected_cap(first));
}

static void test_unknown_ioctls(int kvm)
{
	long rc;

	/* In-tree 6.1 hands unknown numbers to kvm_arch_dev_ioctl: EINVAL. */
	rc = ioctl(kvm, _IO(KVMIO, 0xfe), 0);
	KT_ERRNO(rc, intree ? EINVAL : ENOTTY, tname("unknown-kvm-ioctl"));
	rc = ioctl(kvm, TCGETS, 0);
	KT_ERRNO(rc, intree ? EINVAL : ENOTTY, tname("foreign-ioctl"));
}

static void test_create_vm(int kvm)
{
	int vm, vm2, fds[NR_VMS], i, status, n;
	long rc;
	pid_t pid;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (!kt_check(vm >= 0, tname("create-vm"), "%s", strerrorname(errno)))
		return;
	kt_check(fcntl(vm, F_GETFD) & FD_CLOEXEC, tname("vm-fd-cloexec"),
		 "FD_CLOEXEC not set");
	rc = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
	kt_check(rc == ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY),
		 tname("vm-check-extension"), "VM fd answered %ld", rc);
	for (i = 0, n = -1; i < (int)ARRAY_SIZE(rvkvm_caps) && n < 0; i++) {
		/* The VM fd answers as the device does. */
		rc = ioctl(vm, KVM_CHECK_EXTENSION, rvkvm_caps[i].cap);
		if (rc != ioctl(kvm, KVM_CHECK_EXTENSION, rvkvm_caps[i].cap))
			n = i;
	}
	kt_check(n < 0, tname("vm-check-extension-caps"), "%s: VM fd answered %ld",
		 n < 0 ? "" : rvkvm_caps[n].name, rc);

	/* A VM belongs to the mm that created it. */
	pid = fork();
	if (pid == 0) {
		rc = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
		_exit(rc == -1 && errno == EIO ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	kt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 tname("vm-ioctl-other-mm"), "child did not get EIO");

	/* In-tree 6.1 riscv ignores the VM type; rvkvm refuses others. */
	vm2 = ioctl(kvm, KVM_CREATE_VM, 1);
	if (intree)
		kt_check(vm2 >= 0, tname("create-vm-type1"),
			 "in-tree 6.1 used to accept type 1: %s",
			 strerrorname(errno));
	else
		KT_ERRNO(vm2, EINVAL, tname("create-vm-type1"));
	if (vm2 >= 0)
		close(vm2);
	close(vm);

	for (i = 0, n = 0; i < NR_VMS; i++) {
		fds[i] = ioctl(kvm, KVM_CREATE_VM, 0);
		n += fds[i] >= 0;
	}
	for (i = 0; i < NR_VMS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	kt_check(n == NR_VMS, tname("create-many-vms"), "%d of %d", n, NR_VMS);
}

static void on_signal(int sig)
{
}

/*
 * KVM_CREATE_VM while another process signals this one. Registering an MMU
 * notifier takes every VMA lock of the mm and gives up with EINTR when a
 * signal is pending (rvkvm then dropped the mm twice); thousands of VMAs
 * keep that window open. Each call gives a VM or EINTR, EINTR comes only
 * where the kernel has MMU notifiers (and then comes), and afterwards the
 * device still makes VMs.
 */
static void test_create_vm_signals(int kvm)
{
	struct sigaction sa = { .sa_handler = on_signal }, old;
	long pg = sysconf(_SC_PAGESIZE);
	bool notifier = kernel_has_mmu_notifier();
	int i, vm, e, eintr = 0, bad = 0, bad_errno = 0;
	pid_t parent = getpid(), pid;
	int *stop;
	char *map;

	stop = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	map = mmap(NULL, SIG_VMAS * pg, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!kt_check(stop != MAP_FAILED && map != MAP_FAILED,
		      tname("create-vm-signals-setup"), "mmap: %s",
		      strerrorname(errno)))
		goto out;
	/* Every other page inaccessible: no two neighbours merge. */
	for (i = 0; i < SIG_VMAS; i += 2)
		mprotect(map + i * pg, pg, PROT_NONE);
	sigaction(SIGUSR1, &sa, &old);
	pid = fork();
	if (pid == 0) {
		while (!__atomic_load_n(stop, __ATOMIC_RELAXED))
			kill(parent, SIGUSR1);
		_exit(0);
	}
	for (i = 0; i < SIG_CALLS && pid > 0; i++) {
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		e = errno;
		if (vm >= 0)
			close(vm);
		else if (e == EINTR)
			eintr++;
		else if (!bad++)
			bad_errno = e;
	}
	__atomic_store_n(stop, 1, __ATOMIC_RELAXED);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	sigaction(SIGUSR1, &old, NULL);
	kt_check(pid > 0 && !bad, tname("create-vm-signals"),
		 "fork: %d; %d of %d calls failed, first with %s", pid, bad,
		 SIG_CALLS, bad ? strerrorname(bad_errno) : "-");
	printf("sysioctl: %d of %d KVM_CREATE_VMs under signals got EINTR (MMU notifiers: %s)\n",
	       eintr, SIG_CALLS, notifier ? "yes" : "no");
	kt_check(notifier ? eintr > 0 : eintr == 0,
		 tname("create-vm-signals-eintr"),
		 "%d EINTR with%s MMU notifiers", eintr, notifier ? "" : "out");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	kt_check(vm >= 0, tname("create-vm-after-signals"), "%s",
		 strerrorname(errno));
	if (vm >= 0)
		close(vm);
out:
	if (map != MAP_FAILED)
		munmap(map, SIG_VMAS * pg);
	if (stop != MAP_FAILED)
		munmap(stop, pg);
}

int main(int argc, char **argv)
{
	int kvm;

	if (argc < 3 || argc > 4) {
		kt_check(false, "sysioctl/usage",
			 "sysioctl DEV rvkvm|intree [TAG]");
		return kt_exit_code();
	}
	dev = argv[1];
	tag = argc == 4 ? argv[3] : "";
	intree = !strcmp(argv[2], "intree");

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (!kt_check(kvm >= 0, tname("open"), "%s", strerrorname(errno)))
		return kt_exit_code();
	test_version_and_mmap_size(kvm);
	test_check_extension(kvm);
	test_unknown_ioctls(kvm);
	test_create_vm(kvm);
	test_create_vm_signals(kvm);
	close(kvm);
	return kt_exit_code();
}
