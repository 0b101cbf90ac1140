// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle and race stress:
 *   stress DEV MODULE [--seed N] [--iters N] [--only NAMES] [--owners 1|2]
 * DEV is /dev/kvm or /dev/rvkvm, MODULE the module that serves it (for the
 * rmmod attempts and, for rvkvm, its refcount). --only runs the scenarios
 * whose names appear in NAMES; --owners 1 runs the lifecycle scenario with
 * one owner thread, so that each VM can be checked for what it left behind.
 *
 * Scenarios (guests in stress_guest.S), each with its own result lines:
 *  lifecycle      owner threads create and destroy VMs, vCPUs and memslots
 *                 while vCPU threads run KVM_RUN on those VMs; rmmod is
 *                 tried meanwhile from the main thread;
 *  close-run      the vCPU, VM and /dev/kvm fds (and the kvm_run mapping)
 *                 closed by another thread while KVM_RUN runs: the run ends,
 *                 the next one fails with EBADF, then the VM is freed;
 *  memslot-race   a slot deleted, re-created, moved and dirty-logged while
 *                 two vCPUs touch it: only SBI reports and MMIO exits for
 *                 the unbacked range, nothing else;
 *  irq-signal     KVM_INTERRUPT set/unset and signals from other threads
 *                 while the guest sits in WFI: KVM_RUN returns 0 or EINTR;
 *  migrate        vCPU threads moved to another host CPU before every run;
 *  rmmod          delete_module(MODULE, O_NONBLOCK) while a VM exists
 *                 (held by fds, by the kvm_run mapping only, by an in-flight
 *                 KVM_RUN only): refused with EAGAIN (refcount held; 6.1's
 *                 kvm.ko has no exit function: EBUSY), the VM keeps working.
 * No VM outlives its scenario, so VmLck must be back after each (rvkvm
 * charges the guest pages it pins when the kernel has no MMU notifier).
 * At the end, the leak checks: VmLck and VmPin in /proc/self/status, the
 * number of open fds and (rvkvm only) /sys/module/rvkvm/refcnt back to
 * their start values. A status line every STATUS_S seconds shows progress.
 *
 * Against 6.1's kvm.ko (MODULE other than rvkvm) one answer is known to
 * differ: its guest-page fault looks the memslot up twice (the exit handler,
 * then gfn_to_pfn_prot()), so a slot deleted in between fails KVM_RUN with
 * EFAULT ("VCPU exit error -14"). The memslot race counts and prints those
 * there instead of failing; rvkvm must not show them.
 *
 * Randomness comes from the seed (fuzz.h); timing does the rest. --iters N
 * (default DEF_ITERS) scales every scenario: N VM lifecycles in the first,
 * N / 4 in close-run; --iters 8000 gives 10^4 VM lifecycles (split it with
 * --only to stay within a plan command's 600 s). A watchdog thread fails
 * the run when nothing progresses for WATCHDOG_S seconds, and a vCPU thread
 * still in KVM_RUN STOP_S seconds after its stop flag (while being kicked
 * with signals) is a FAIL; both exit non-zero at once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../lib/ktest.h"
#include "../lib/vmm.h"
#include "fuzz.h"

/*
 * Labels of stress_guest.S, found PC-relative at start (guest_labels();
 * other names than the labels', or lla would find these variables).
 */
static const char *guest_start, *guest_end, *entry_touch, *entry_wfi,
	*entry_slot;

#define DEF_ITERS	800
#define WATCHDOG_S	120
#define STOP_S		30
#define WAIT_S		60
#define STATUS_S	15

#define PG		4096UL
#define RAM_PAGES	32
#define RAM_SIZE	(RAM_PAGES * PG)
/* vCPU n's data area: AREA_PAGES pages from page AREA_PAGE(n) of RAM. */
#define AREA_PAGES	3
#define AREA_PAGE(n)	(4 + AREA_PAGES * (n))
#define MAX_RUNNERS	3
#define MAX_VCPU_ID	8
#define EXTRA_SLOTS	3
#define EXTRA_PAGES	4
/* Extra slots sit above RAM, 256 MiB apart; a move flips bit 27. */
#define TGPA(n)		(0x100000000UL + (n) * 0x10000000UL)
#define MOVE_BIT	0x8000000UL

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FN_TOUCH	1
#define FN_WFI		2
#define FN_SLOT		3
#define SIP_SEIP	(1UL << 9)
#define IRQ_S_EXT	(1UL << 63 | 9)

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, n)	__atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

static const char *dev, *module;
static bool is_rvkvm;
static long iters = DEF_ITERS;
/* Owner threads of the lifecycle scenario; with one, each VM is checked. */
static int owners = 2;
static size_t run_size;

/* What the run did, printed at the end. */
static struct {
	long vms, vcpus, runs, reports, eintr, closes_in_run, close_iters;
	long slot_ops, mmio, irqs, signals, migrations, rmmods, progress;
} cnt;

/* The scenario running, for the watchdog's message; its stop flag. */
static const char *phase = "start";
static int watchdog_stop;

/* Start values for the leak checks. */
static long base_fds, base_lck, base_pin, base_ref;

/* ---- failure accounting shared by threads ---- */

struct chk {
	const char *name;
	int fails;
	char first[240];
};

static pthread_mutex_t chk_lock = PTHREAD_MUTEX_INITIALIZER;

static bool chk_fail(struct chk *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&chk_lock);
	if (!c->fails++) {
		va_start(ap, fmt);
		vsnprintf(c->first, sizeof(c->first), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&chk_lock);
	return false;
}

/* One result line for everything the check collected. */
static void chk_report(struct chk *c)
{
	kt_check(!c->fails, c->name, "%d failure(s), first: %s", c->fails,
		 c->first);
}

/* ---- per-thread seeded PRNG (xorshift64*, seeded from fuzz.h's) ---- */

struct rng {
	uint64_t s;
};

/* Main thread only: seeds from the run's seed. */
static void rng_init(struct rng *r)
{
	r->s = fz_next() | 1;
}

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

/* Any thread: seeds from its parent's generator. */
static void rng_child(struct rng *r, struct rng *parent)
{
	r->s = rnd(parent) | 1;
}

/* ---- small helpers ---- */

static void on_kick(int sig)
{
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(void)
{
	ADD(cnt.progress, 1);
}

static const char *err_name(int e)
{
	return strerrorname(e);
}

static int set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, void *uaddr)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)uaddr,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr);
}

static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Fresh guest RAM with the guest programs at its start, or NULL. */
static uint8_t *new_ram(void)
{
	uint8_t *ram = anon(RAM_SIZE);

	if (ram)
		memcpy(ram, guest_start, guest_end - guest_start);
	return ram;
}

static uint64_t entry_gpa(const char *label)
{
	return vmm_gpa_of(guest_start, label);
}

static uint64_t area_gpa(int n)
{
	return GUEST_RAM + AREA_PAGE(n) * PG;
}

static uint64_t *area_host(uint8_t *ram, int n)
{
	return (uint64_t *)(ram + AREA_PAGE(n) * PG);
}

/* A VM with RAM as slot 0; fd or -1 (errno set). */
static int make_vm(int kvm, uint8_t *ram)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), e;

	if (vm < 0)
		return -1;
	if (set_region(vm, 0, 0, GUEST_RAM, RAM_SIZE, ram)) {
		e = errno;
		close(vm);
		errno = e;
		return -1;
	}
	ADD(cnt.vms, 1);
	return vm;
}

/*
 * vCPU id entering the guest at entry with a0..a3, its kvm_run mapped;
 * vCPUs other than 0 start stopped and are made runnable. fd or -1.
 */
static int make_vcpu(int vm, int id, const char *entry, uint64_t a0,
		     uint64_t a1, uint64_t a2, uint64_t a3,
		     struct kvm_run **run)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int fd = ioctl(vm, KVM_CREATE_VCPU, id), e;

	*run = NULL;
	if (fd < 0)
		return -1;
	ADD(cnt.vcpus, 1);
	*run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*run == MAP_FAILED)
		goto err;
	if (vcpu_set_reg(fd, VMM_REG_PC, entry_gpa(entry)) ||
	    vcpu_set_reg(fd, VMM_REG_A(0), a0) ||
	    vcpu_set_reg(fd, VMM_REG_A(1), a1) ||
	    vcpu_set_reg(fd, VMM_REG_A(2), a2) ||
	    vcpu_set_reg(fd, VMM_REG_A(3), a3) ||
	    (id && ioctl(fd, KVM_SET_MP_STATE, &mp)))
		goto err;
	return fd;
err:
	e = errno;
	if (*run != MAP_FAILED)
		munmap(*run, run_size);
	*run = NULL;
	close(fd);
	errno = e;
	return -1;
}

static void drop_vcpu(int fd, struct kvm_run *run)
{
	if (run)
		munmap(run, run_size);
	if (fd >= 0)
		close(fd);
}

/* A report from the guest through the test extension, function fn. */
static bool is_report(struct kvm_run *r, unsigned long fn)
{
	return r->exit_reason == KVM_EXIT_RISCV_SBI &&
	       r->riscv_sbi.extension_id == SBI_EXT_TEST &&
	       r->riscv_sbi.function_id == fn;
}

static const char *exit_str(struct kvm_run *r, char *buf, size_t len)
{
	if (r->exit_reason == KVM_EXIT_RISCV_SBI)
		snprintf(buf, len, "SBI exit ext %#llx fn %llu",
			 (unsigned long long)r->riscv_sbi.extension_id,
			 (unsigned long long)r->riscv_sbi.function_id);
	else if (r->exit_reason == KVM_EXIT_MMIO)
		snprintf(buf, len, "MMIO %s %#llx len %u",
			 r->mmio.is_write ? "write" : "read",
			 (unsigned long long)r->mmio.phys_addr, r->mmio.len);
	else
		snprintf(buf, len, "exit reason %u", r->exit_reason);
	return buf;
}

/* ---- /proc and /sys readings for the leak checks ---- */

static long status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* The module's refcount, or -1 when unknown (not rvkvm, or unreadable). */
static long module_refs(void)
{
	char path[128];
	FILE *f;
	long v = -1;

	if (!is_rvkvm)
		return -1;
	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* Whether thread tid sleeps inside ioctl() (syscall 29 on riscv64). */
static bool blocked_in_ioctl(int tid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	read_file(path, buf, sizeof(buf));
	return !strncmp(buf, "29 ", 3);
}

static void summary(void)
{
	printf("stress: %ld VM lifecycles, %ld vCPUs, %ld vCPU runs (%ld guest reports, %ld EINTR), %ld closes during run (of %ld), %ld memslot changes, %ld MMIO exits, %ld KVM_INTERRUPTs, %ld signals, %ld migrations, %ld rmmod attempts\n",
	       cnt.vms, cnt.vcpus, cnt.runs, cnt.reports, cnt.eintr,
	       cnt.closes_in_run, cnt.close_iters, cnt.slot_ops, cnt.mmio,
	       cnt.irqs, cnt.signals, cnt.migrations, cnt.rmmods);
	fflush(stdout);
}

/* A FAIL that ends the program: threads may be stuck in the kernel. */
static void fatal(const char *name, int tid, const char *fmt, ...)
{
	char path[64], wchan[64] = "", sys[128] = "";
	va_list ap;

	if (tid > 0) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
		read_file(path, wchan, sizeof(wchan));
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
		read_file(path, sys, sizeof(sys));
	}
	pthread_mutex_lock(&chk_lock);
	printf("rvtest: FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (tid > 0)
		printf(" (tid %d wchan '%s' syscall '%s')", tid, wchan, sys);
	printf("\n");
	summary();
	_exit(1);
}

static void *watchdog_thread(void *arg)
{
	long last = -1, now;
	int idle = 0, ticks = 0;

	while (!LOAD(watchdog_stop)) {
		sleep(1);
		if (++ticks % STATUS_S == 0) {
			printf("stress: %s at %d s: %ld VMs, %ld runs, %ld reports, %ld EINTR\n",
			       phase, ticks, LOAD(cnt.vms), LOAD(cnt.runs),
			       LOAD(cnt.reports), LOAD(cnt.eintr));
			/* stdout is a pipe to the runner: show it now. */
			fflush(stdout);
		}
		now = LOAD(cnt.progress);
		if (now != last) {
			last = now;
			idle = 0;
			continue;
		}
		if (++idle >= WATCHDOG_S)
			fatal("stress/watchdog", 0,
			      "no progress for %d s in scenario %s", WATCHDOG_S,
			      phase);
	}
	return NULL;
}

/*
 * Wait for *done, kicking thread th with SIGUSR1 every 10 ms; past STOP_S
 * seconds the thread is stuck in the kernel: FAIL and exit.
 */
static void kick_join(pthread_t th, int *done, int tid, const char *name)
{
	double t0 = now_s();

	while (!LOAD(*done)) {
		pthread_kill(th, SIGUSR1);
		usleep(10000);
		if (now_s() - t0 > STOP_S)
			fatal(name, tid,
			      "vCPU thread still in KVM_RUN %d s after its stop flag",
			      STOP_S);
	}
	pthread_join(th, NULL);
}

/* delete_module must refuse: EAGAIN for rvkvm (refcount held). */
static bool rmmod_refused(struct chk *c, const char *when)
{
	long rc = syscall(SYS_delete_module, module, O_NONBLOCK);
	int e = errno;

	ADD(cnt.rmmods, 1);
	if (rc == 0)
		return chk_fail(c, "%s: module %s unloaded while in use", when,
				module);
	if (is_rvkvm ? e != EAGAIN : e != EAGAIN && e != EBUSY)
		return chk_fail(c, "%s: delete_module errno %s, want %s", when,
				err_name(e), is_rvkvm ? "EAGAIN" :
				"EBUSY or EAGAIN");
	return true;
}

/* ---- the touch guest, driven by one thread per vCPU ---- */

struct trun {
	pthread_t th;
	int fd, id, tid;
	struct kvm_run *run;
	uint64_t *area;
	uint64_t tag, counter, mailbox;
	int stop, done;
	long reports;
	struct chk *chk;
	struct rng rng;
	/* migrate: move to cpus[(i + id) % ncpus] before each run */
	const int *cpus;
	int ncpus;
	long moves;
};

static void trun_init(struct trun *t, int fd, struct kvm_run *run, int id,
		      uint8_t *ram, uint64_t tag, struct chk *chk,
		      struct rng *parent)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->run = run;
	t->id = id;
	t->area = area_host(ram, id);
	t->tag = tag;
	t->chk = chk;
	rng_child(&t->rng, parent);
	t->mailbox = rnd(&t->rng);
	t->area[1] = t->mailbox;
}

/* Check a run that returned 0: the next report, its stores visible. */
static bool touch_check(struct trun *t)
{
	struct kvm_run *r = t->run;
	uint64_t *a = r->riscv_sbi.args, want;
	uint64_t *last = t->area + (AREA_PAGES - 1) * PG / 8;
	char buf[96];

	if (!is_report(r, FN_TOUCH))
		return chk_fail(t->chk, "vCPU %d: %s", t->id,
				exit_str(r, buf, sizeof(buf)));
	if (a[0] != t->counter + 1 || a[1] || a[2] != t->mailbox)
		return chk_fail(t->chk,
				"vCPU %d: pass %llu mismatches %llu mailbox %#llx, want pass %llu, 0, %#llx",
				t->id, (unsigned long long)a[0],
				(unsigned long long)a[1],
				(unsigned long long)a[2],
				(unsigned long long)t->counter + 1,
				(unsigned long long)t->mailbox);
	want = t->tag << 48 ^ a[0] << 8;
	if (t->area[32] != want || last[32] != (want ^ (AREA_PAGES - 1)))
		return chk_fail(t->chk,
				"vCPU %d pass %llu: host sees %#llx %#llx, want %#llx %#llx",
				t->id, (unsigned long long)a[0],
				(unsigned long long)t->area[32],
				(unsigned long long)last[32],
				(unsigned long long)want,
				(unsigned long long)(want ^ (AREA_PAGES - 1)));
	t->counter = a[0];
	t->mailbox = rnd(&t->rng);
	t->area[1] = t->mailbox;
	r->riscv_sbi.ret[0] = 0;
	r->riscv_sbi.ret[1] = 0;
	ADD(cnt.reports, 1);
	ADD(t->reports, 1);
	return true;
}

/* One KVM_RUN: 1 report, 0 EINTR, -1 failure (recorded). */
static int touch_step(struct trun *t)
{
	int rc = ioctl(t->fd, KVM_RUN, 0), e = errno;

	ADD(cnt.runs, 1);
	progress();
	if (rc == 0)
		return touch_check(t) ? 1 : -1;
	if (rc == -1 && e == EINTR) {
		ADD(cnt.eintr, 1);
		if (t->run->exit_reason != KVM_EXIT_INTR) {
			chk_fail(t->chk, "vCPU %d: EINTR with exit reason %u",
				 t->id, t->run->exit_reason);
			return -1;
		}
		return 0;
	}
	chk_fail(t->chk, "vCPU %d: KVM_RUN rc=%d errno=%s", t->id, rc,
		 err_name(e));
	return -1;
}

static bool migrate(struct trun *t, long i)
{
	int cpu = t->cpus[(i + t->id) % t->ncpus], now;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return chk_fail(t->chk, "vCPU %d: sched_setaffinity(%d): %s",
				t->id, cpu, err_name(errno));
	now = sched_getcpu();
	if (now != cpu)
		return chk_fail(t->chk, "vCPU %d: on CPU %d after moving to %d",
				t->id, now, cpu);
	ADD(cnt.migrations, 1);
	ADD(t->moves, 1);
	return true;
}

static void *touch_thread(void *arg)
{
	struct trun *t = arg;

	t->tid = gettid();
	while (!LOAD(t->stop))
		if (touch_step(t) < 0)
			break;
	STORE(t->done, 1);
	return NULL;
}

/* Migrate: each iteration moves, then runs to the next report. */
static void *migrate_thread(void *arg)
{
	struct trun *t = arg;
	long i;
	int rc = 0, tries;

	t->tid = gettid();
	for (i = 0; !LOAD(t->stop) && rc >= 0; i++) {
		if (!migrate(t, i))
			break;
		for (tries = 0; !(rc = touch_step(t)) && tries < 1000; tries++)
			;
		if (!rc) {
			chk_fail(t->chk, "vCPU %d: 1000 EINTR in a row", t->id);
			break;
		}
	}
	STORE(t->done, 1);
	return NULL;
}

static bool start_thread(pthread_t *th, void *(*fn)(void *), void *arg,
			 struct chk *c)
{
	int e = pthread_create(th, NULL, fn, arg);

	if (e)
		return chk_fail(c, "pthread_create: %s", err_name(e));
	return true;
}

/* Wait until every runner reported (or quit); false after WAIT_S. */
static bool wait_reports(struct trun *t, int n, long want)
{
	double t0 = now_s();
	int i;

	for (;;) {
		for (i = 0; i < n; i++)
			if (LOAD(t[i].reports) < want && !LOAD(t[i].done))
				break;
		if (i == n)
			return true;
		if (now_s() - t0 > WAIT_S)
			return false;
		usleep(1000);
	}
}

/* ---- 1. lifecycle ---- */

static struct chk c_life_setup = { .name = "stress/lifecycle-setup" };
static struct chk c_life_slots = { .name = "stress/lifecycle-memslot-ops" };
static struct chk c_life_vcpus = { .name = "stress/lifecycle-vcpu-ops" };
static struct chk c_life_runs = { .name = "stress/lifecycle-runs" };
static struct chk c_life_progress = { .name = "stress/lifecycle-progress" };
static struct chk c_life_rmmod = { .name = "stress/lifecycle-rmmod-refused" };
static struct chk c_life_leak = { .name = "stress/lifecycle-each-vm-freed" };

struct owner {
	pthread_t th;
	int kvm, index, done;
	long lifecycles;
	uint8_t *ram;
	struct rng rng;
};

struct extra {
	void *buf;
	uint64_t gpa;
	bool present;
};

/* One random change to an extra slot k of a live VM; its letter. */
static char slot_op(struct rng *r, int vm, struct extra *x, int k)
{
	int rc = 0, op = rnd_below(r, 3);
	const char *what;

	if (!x->buf) {
		x->buf = anon(EXTRA_PAGES * PG);
		x->gpa = TGPA(k);
		if (!x->buf) {
			chk_fail(&c_life_slots, "mmap: %s", err_name(errno));
			return '?';
		}
	}
	if (!x->present) {
		what = "create";
		rc = set_region(vm, k, 0, x->gpa, EXTRA_PAGES * PG, x->buf);
		x->present = !rc;
	} else if (op == 0) {
		what = "delete";
		rc = set_region(vm, k, 0, 0, 0, NULL);
		x->present = rc;
	} else if (op == 1) {
		what = "move";
		x->gpa ^= MOVE_BIT;
		rc = set_region(vm, k, 0, x->gpa, EXTRA_PAGES * PG, x->buf);
	} else {
		what = "log-dirty";
		rc = set_region(vm, k, KVM_MEM_LOG_DIRTY_PAGES, x->gpa,
				EXTRA_PAGES * PG, x->buf);
	}
	ADD(cnt.slot_ops, 1);
	if (rc)
		chk_fail(&c_life_slots, "slot %d %s at %#llx: %s", k, what,
			 (unsigned long long)x->gpa, err_name(errno));
	return what[0];
}

/* A further vCPU made, looked at and closed while the others run. */
static void vcpu_op(int vm, int id)
{
	struct kvm_one_reg reg;
	uint64_t pc = 1;
	int fd = ioctl(vm, KVM_CREATE_VCPU, id);

	if (fd < 0) {
		chk_fail(&c_life_vcpus, "KVM_CREATE_VCPU %d: %s", id,
			 err_name(errno));
		return;
	}
	ADD(cnt.vcpus, 1);
	reg = (struct kvm_one_reg){ .id = VMM_REG_PC, .addr = (uintptr_t)&pc };
	if (ioctl(fd, KVM_GET_ONE_REG, &reg) || pc)
		chk_fail(&c_life_vcpus, "vCPU %d: GET_ONE_REG pc: rc errno %s pc %#llx",
			 id, err_name(errno), (unsigned long long)pc);
	if (close(fd))
		chk_fail(&c_life_vcpus, "close vCPU %d: %s", id, err_name(errno));
}

static void one_lifecycle(struct owner *o, long i)
{
	struct extra x[EXTRA_SLOTS + 1] = { };
	struct trun t[MAX_RUNNERS];
	int vm, nv = 1 + rnd_below(&o->rng, MAX_RUNNERS), started = 0;
	int next_id = nv, nops, op, j, fd, nlog = 0;
	bool vm_open = true, wait_first = rnd_below(&o->rng, 2);
	struct kvm_run *run;
	long v, lck = owners == 1 ? status_kb("VmLck") : 0;
	char log[16] = "";

	vm = make_vm(o->kvm, o->ram);
	if (vm < 0) {
		chk_fail(&c_life_setup, "VM: %s", err_name(errno));
		return;
	}
	for (j = 0; j < nv; j++) {
		fd = make_vcpu(vm, j, entry_touch, area_gpa(j), AREA_PAGES,
			       o->index * 16 + j + 1, 0, &run);
		if (fd < 0) {
			chk_fail(&c_life_setup, "vCPU %d: %s", j,
				 err_name(errno));
			break;
		}
		trun_init(&t[j], fd, run, j, o->ram, o->index * 16 + j + 1,
			  &c_life_runs, &o->rng);
		if (!start_thread(&t[j].th, touch_thread, &t[j], &c_life_setup)) {
			drop_vcpu(fd, run);
			break;
		}
		started++;
	}

	/* Op letters: slot create/delete/move/log, vCPU, early close, sleep. */
	nops = 1 + rnd_below(&o->rng, 8);
	while (nops--) {
		op = rnd_below(&o->rng, 8);
		if (op < 4 && vm_open) {
			log[nlog++] = slot_op(&o->rng, vm,
					      &x[1 + op % EXTRA_SLOTS],
					      1 + op % EXTRA_SLOTS);
		} else if (op == 4 && vm_open && next_id < MAX_VCPU_ID) {
			vcpu_op(vm, next_id++);
			log[nlog++] = 'v';
		} else if (op == 5 && vm_open && rnd_below(&o->rng, 4) == 0) {
			/* The vCPUs keep the VM alive. */
			close(vm);
			vm_open = false;
			log[nlog++] = 'x';
		} else {
			if (op == 6 && vm_open &&
			    ioctl(vm, KVM_CHECK_EXTENSION,
				  KVM_CAP_USER_MEMORY) <= 0)
				chk_fail(&c_life_setup,
					 "CHECK_EXTENSION USER_MEMORY");
			usleep(rnd_below(&o->rng, 2000));
			log[nlog++] = 's';
		}
		progress();
	}

	if (wait_first && !wait_reports(t, started, 1))
		chk_fail(&c_life_progress,
			 "a vCPU made no report in %d s (VM %ld of owner %d)",
			 WAIT_S, i, o->index);
	for (j = 0; j < started; j++)
		STORE(t[j].stop, 1);
	for (j = 0; j < started; j++) {
		kick_join(t[j].th, &t[j].done, t[j].tid, "stress/lifecycle-stop");
		drop_vcpu(t[j].fd, t[j].run);
	}
	if (vm_open)
		close(vm);
	for (j = 1; j <= EXTRA_SLOTS; j++)
		if (x[j].buf)
			munmap(x[j].buf, EXTRA_PAGES * PG);
	if (owners > 1)
		return;
	/* Alone, the owner can tell whether this VM left anything behind. */
	v = status_kb("VmLck");
	if (v != lck) {
		chk_fail(&c_life_leak, "VM %ld: VmLck %ld kB, %ld before", i,
			 v, lck);
		printf("stress: VM %ld (%d vCPUs, reports %ld/%ld/%ld, ops %s, waited %d) left VmLck %+ld kB\n",
		       i, started, started > 0 ? t[0].reports : -1L,
		       started > 1 ? t[1].reports : -1L,
		       started > 2 ? t[2].reports : -1L, log, wait_first,
		       v - lck);
	}
	v = module_refs();
	if (v != (is_rvkvm ? base_ref + 1 : -1))
		chk_fail(&c_life_leak, "VM %ld: module refcount %ld, want %ld",
			 i, v, base_ref + 1);
	/* Sometimes fresh RAM: pins of the old one must have gone. */
	if (rnd_below(&o->rng, 4) == 0) {
		munmap(o->ram, RAM_SIZE);
		o->ram = new_ram();
		if (!o->ram)
			chk_fail(&c_life_setup, "RAM: %s", err_name(errno));
	}
}

static void *owner_thread(void *arg)
{
	struct owner *o = arg;
	long i;

	for (i = 0; i < o->lifecycles && o->ram; i++)
		one_lifecycle(o, i);
	STORE(o->done, 1);
	return NULL;
}

static void scenario_lifecycle(void)
{
	struct owner o[2];
	bool started[2] = { }, busy = true;
	struct rng r;
	int kvm, i;

	phase = "lifecycle";
	rng_init(&r);
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		kt_check(false, c_life_setup.name, "open %s: %s", dev,
			 err_name(errno));
		return;
	}
	for (i = 0; i < owners; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		o[i].kvm = kvm;
		o[i].index = i;
		o[i].lifecycles = (iters + owners - 1 - i) / owners;
		o[i].ram = new_ram();
		rng_init(&o[i].rng);
		if (o[i].ram)
			started[i] = start_thread(&o[i].th, owner_thread,
						  &o[i], &c_life_setup);
	}
	/* rmmod attempts while the owners work: /dev/kvm and VMs are open. */
	while (busy) {
		busy = false;
		for (i = 0; i < owners; i++)
			busy |= started[i] && !LOAD(o[i].done);
		if (busy)
			rmmod_refused(&c_life_rmmod, "during lifecycles");
		usleep(20000 + rnd_below(&r, 80000));
	}
	for (i = 0; i < owners; i++) {
		if (started[i])
			pthread_join(o[i].th, NULL);
		if (o[i].ram)
			munmap(o[i].ram, RAM_SIZE);
	}
	close(kvm);
	chk_report(&c_life_setup);
	chk_report(&c_life_slots);
	chk_report(&c_life_vcpus);
	chk_report(&c_life_runs);
	chk_report(&c_life_progress);
	chk_report(&c_life_rmmod);
	if (owners == 1)
		chk_report(&c_life_leak);
}

/* ---- 2. fds closed during KVM_RUN ---- */

static struct chk c_close_setup = { .name = "stress/close-run-setup" };
static struct chk c_close_runs = { .name = "stress/close-run-results" };
static struct chk c_close_ebadf = { .name = "stress/close-run-then-ebadf" };
static struct chk c_close_freed = { .name = "stress/close-run-vm-freed" };
static struct chk c_close_rmmod = { .name = "stress/close-run-rmmod-refused" };

struct crun {
	pthread_t th;
	int fd, tid;
	struct kvm_run *run;	/* NULL: the mapping goes with the fds */
	bool wfi;
	struct chk *chk;
	/* closing: before the first close; closed: after the last */
	int entered, closing, closed, done, in_flight, ebadf;
};

static void *close_thread(void *arg)
{
	struct crun *c = arg;
	int n, rc, e, was_closing;
	char buf[96];

	c->tid = gettid();
	for (n = 0; n < 1000000; n++) {
		was_closing = LOAD(c->closing);
		STORE(c->entered, 1);
		rc = ioctl(c->fd, KVM_RUN, 0);
		e = errno;
		ADD(cnt.runs, 1);
		progress();
		if (rc == -1 && e == EBADF) {
			if (!LOAD(c->closing))
				chk_fail(c->chk,
					 "EBADF before the fd was closed");
			c->ebadf = 1;
			break;
		}
		if (!was_closing && LOAD(c->closed))
			c->in_flight = 1;
		if (rc == -1 && e == EINTR) {
			ADD(cnt.eintr, 1);
			continue;
		}
		if (rc) {
			chk_fail(c->chk, "KVM_RUN rc=%d errno=%s", rc,
				 err_name(e));
			break;
		}
		if (c->run && !is_report(c->run, c->wfi ? FN_WFI : FN_TOUCH)) {
			chk_fail(c->chk, "%s",
				 exit_str(c->run, buf, sizeof(buf)));
			break;
		}
		ADD(cnt.reports, 1);
	}
	STORE(c->done, 1);
	return NULL;
}

static void close_iteration(struct rng *r, uint8_t *ram, long i)
{
	struct crun c = { .fd = -1, .chk = &c_close_runs };
	struct kvm_run *run;
	int kvm, vm, order = rnd_below(r, 3), j, fds[3];
	bool blind = rnd_below(r, 2);
	double t0;
	long ref;

	c.wfi = rnd_below(r, 2);
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : make_vm(kvm, ram);
	if (vm >= 0)
		c.fd = make_vcpu(vm, 0, c.wfi ? entry_wfi : entry_touch,
				 area_gpa(0), AREA_PAGES, 1, 0, &run);
	if (c.fd < 0) {
		chk_fail(&c_close_setup, "open/VM/vCPU: %s", err_name(errno));
		if (vm >= 0)
			close(vm);
		if (kvm >= 0)
			close(kvm);
		return;
	}
	c.run = blind ? NULL : run;
	if (!start_thread(&c.th, close_thread, &c, &c_close_setup)) {
		drop_vcpu(c.fd, run);
		close(vm);
		close(kvm);
		return;
	}
	t0 = now_s();
	while (!LOAD(c.entered) && now_s() - t0 < WAIT_S)
		usleep(100);
	usleep(rnd_below(r, 3000));

	/* The vCPU fd first, last or between the others. */
	fds[0] = kvm;
	fds[1] = vm;
	fds[2] = c.fd;
	fds[2] = fds[order];
	fds[order] = c.fd;
	STORE(c.closing, 1);
	for (j = 0; j < 3; j++)
		if (close(fds[j]))
			chk_fail(&c_close_setup, "close: %s", err_name(errno));
	STORE(c.closed, 1);
	if (blind)
		munmap(run, run_size);
	else
		/* The mapping holds the vCPU, so the VM and the module. */
		rmmod_refused(&c_close_rmmod, "only kvm_run mapped");
	kick_join(c.th, &c.done, c.tid, "stress/close-run-stop");
	if (!blind)
		munmap(run, run_size);

	ADD(cnt.close_iters, 1);
	ADD(cnt.closes_in_run, c.in_flight);
	if (!c.ebadf && !c_close_runs.fails)
		chk_fail(&c_close_ebadf, "no EBADF after the close (iteration %ld)",
			 i);
	ref = module_refs();
	if (ref != base_ref)
		chk_fail(&c_close_freed,
			 "iteration %ld (%s guest, %s): module refcount %ld, want %ld",
			 i, c.wfi ? "WFI" : "busy",
			 blind ? "unmapped" : "mapped", ref, base_ref);
}

static void scenario_close(void)
{
	long i, n = iters / 4 < 4 ? 4 : iters / 4, before = cnt.closes_in_run;
	uint8_t *ram = new_ram();
	struct rng r;

	phase = "close-run";
	rng_init(&r);
	if (!ram) {
		kt_check(false, c_close_setup.name, "mmap: %s",
			 err_name(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		close_iteration(&r, ram, i);
		if (rnd_below(&r, 4) == 0) {
			munmap(ram, RAM_SIZE);
			ram = new_ram();
			if (!ram)
				break;
		}
	}
	if (ram)
		munmap(ram, RAM_SIZE);
	chk_report(&c_close_setup);
	chk_report(&c_close_runs);
	chk_report(&c_close_ebadf);
	kt_check(cnt.closes_in_run > before, "stress/close-run-in-flight",
		 "no close landed while KVM_RUN ran, in %ld iterations", n);
	if (is_rvkvm)
		chk_report(&c_close_freed);
	else
		kt_skip(c_close_freed.name, "module refcount read for rvkvm only");
	chk_report(&c_close_rmmod);
}

/* ---- 3. memslot changes while the guest touches the slot ---- */

static struct chk c_slot_ops = { .name = "stress/memslot-race-ops" };
static struct chk c_slot_exits = { .name = "stress/memslot-race-exits" };
static struct chk c_slot_final = { .name = "stress/memslot-race-final" };

#define SLOT_A		TGPA(1)
#define SLOT_B		(TGPA(1) + MOVE_BIT)
#define SLOT_PAGES	4

struct srun {
	pthread_t th;
	int fd, id, tid, stop, done;
	struct kvm_run *run;
	uint64_t counter;
	long reports, mmio, efault;
};

/* An MMIO exit of the slot guest: which range and access it must be. */
static bool slot_mmio_ok(struct srun *s)
{
	struct kvm_run *r = s->run;
	uint64_t a = r->mmio.phys_addr, off, base, data;
	unsigned int k;

	if (a >= SLOT_A && a < SLOT_A + SLOT_PAGES * PG)
		base = SLOT_A;
	else if (a >= SLOT_B && a < SLOT_B + SLOT_PAGES * PG)
		base = SLOT_B;
	else
		return false;
	off = (a - base) % PG - s->id * 32;
	k = off / 8;
	/* A: store at +0, load at +8; B: store at +16, load at +24. */
	if (r->mmio.len != 8 || off % 8 || k > 3 ||
	    (base == SLOT_A) != (k < 2) || !!r->mmio.is_write != !(k & 1))
		return false;
	if (r->mmio.is_write) {
		memcpy(&data, r->mmio.data, 8);
		if (data != s->counter + 1)
			return false;
	} else {
		data = 0x5a5a5a5a5a5a5a5aULL;
		memcpy(r->mmio.data, &data, 8);
	}
	return true;
}

static void *slot_thread(void *arg)
{
	struct srun *s = arg;
	struct kvm_run *r = s->run;
	char buf[96];
	int rc, e;

	s->tid = gettid();
	while (!LOAD(s->stop)) {
		rc = ioctl(s->fd, KVM_RUN, 0);
		e = errno;
		ADD(cnt.runs, 1);
		progress();
		if (rc == -1 && e == EINTR) {
			ADD(cnt.eintr, 1);
			continue;
		}
		/* 6.1's kvm.ko: see the top. The access is simply retried. */
		if (rc == -1 && e == EFAULT && !is_rvkvm) {
			ADD(s->efault, 1);
			continue;
		}
		if (rc) {
			chk_fail(&c_slot_exits, "vCPU %d: KVM_RUN rc=%d errno=%s",
				 s->id, rc, err_name(e));
			break;
		}
		if (r->exit_reason == KVM_EXIT_MMIO && slot_mmio_ok(s)) {
			s->mmio++;
			ADD(cnt.mmio, 1);
			continue;
		}
		if (is_report(r, FN_SLOT) &&
		    r->riscv_sbi.args[0] == s->counter + 1) {
			s->counter++;
			ADD(s->reports, 1);
			ADD(cnt.reports, 1);
			continue;
		}
		chk_fail(&c_slot_exits, "vCPU %d pass %llu: %s (a0 %#llx)",
			 s->id, (unsigned long long)s->counter + 1,
			 exit_str(r, buf, sizeof(buf)),
			 (unsigned long long)r->riscv_sbi.args[0]);
		break;
	}
	STORE(s->done, 1);
	return NULL;
}

/* Slot 1 of npages at gpa with buf; counts and checks. */
static bool slot1_set(int vm, uint32_t flags, uint64_t gpa, void *buf,
		      const char *what)
{
	int rc = set_region(vm, 1, flags, gpa, buf ? SLOT_PAGES * PG : 0, buf);

	ADD(cnt.slot_ops, 1);
	progress();
	if (rc)
		return chk_fail(&c_slot_ops, "%s at %#llx: %s", what,
				(unsigned long long)gpa, err_name(errno));
	return true;
}

static void scenario_memslot(void)
{
	uint64_t bm[1], *buf = NULL, gpa = SLOT_A, v;
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bm };
	struct srun s[2] = { };
	int kvm, vm = -1, j, n = 0, p;
	long from[2] = { };
	uint8_t *ram = new_ram();
	bool present = false;
	struct rng r;
	long i;

	phase = "memslot-race";
	rng_init(&r);
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm >= 0 && ram)
		vm = make_vm(kvm, ram);
	buf = anon(SLOT_PAGES * PG);
	if (!kt_check(vm >= 0 && buf, "stress/memslot-race-setup",
		      "open/VM/mmap: %s", err_name(errno)))
		goto out;
	present = slot1_set(vm, 0, gpa, buf, "create");
	for (j = 0; j < 2; j++) {
		s[j].id = j;
		s[j].fd = make_vcpu(vm, j, entry_slot, SLOT_A, SLOT_B, SLOT_PAGES,
				    j * 32, &s[j].run);
		if (s[j].fd < 0) {
			chk_fail(&c_slot_ops, "vCPU %d: %s", j, err_name(errno));
			break;
		}
		if (!start_thread(&s[j].th, slot_thread, &s[j], &c_slot_ops)) {
			drop_vcpu(s[j].fd, s[j].run);
			break;
		}
		n++;
	}

	for (i = 0; i < iters * 2; i++) {
		switch (rnd_below(&r, 5)) {
		case 0:
			if (present)
				present = !slot1_set(vm, 0, 0, NULL, "delete");
			break;
		case 1:
			if (present)
				break;
			if (rnd_below(&r, 2)) {
				munmap(buf, SLOT_PAGES * PG);
				buf = anon(SLOT_PAGES * PG);
				if (!buf) {
					chk_fail(&c_slot_ops, "mmap: %s",
						 err_name(errno));
					goto stop;
				}
			}
			gpa = rnd_below(&r, 2) ? SLOT_A : SLOT_B;
			present = slot1_set(vm, 0, gpa, buf, "create");
			break;
		case 2:
			if (present) {
				gpa ^= MOVE_BIT;
				slot1_set(vm, 0, gpa, buf, "move");
			}
			break;
		case 3:
			if (!present)
				break;
			slot1_set(vm, KVM_MEM_LOG_DIRTY_PAGES, gpa, buf,
				  "log-dirty on");
			if (ioctl(vm, KVM_GET_DIRTY_LOG, &log))
				chk_fail(&c_slot_ops, "GET_DIRTY_LOG: %s",
					 err_name(errno));
			slot1_set(vm, 0, gpa, buf, "log-dirty off");
			break;
		default:
			break;
		}
		usleep(rnd_below(&r, 2000));
	}

	/* Finally the slot at A, still: two full passes must land in buf. */
	if (!present || gpa != SLOT_A) {
		if (present)
			slot1_set(vm, 0, SLOT_A, buf, "final move");
		else
			present = slot1_set(vm, 0, SLOT_A, buf, "final create");
	}
	for (j = 0; j < n; j++)
		from[j] = LOAD(s[j].reports);
	for (j = 0; j < n; j++) {
		double t0 = now_s();

		while (LOAD(s[j].reports) < from[j] + 2 && !LOAD(s[j].done) &&
		       now_s() - t0 < WAIT_S)
			usleep(1000);
	}
stop:
	for (j = 0; j < n; j++)
		STORE(s[j].stop, 1);
	for (j = 0; j < n; j++)
		kick_join(s[j].th, &s[j].done, s[j].tid,
			  "stress/memslot-race-stop");
	for (j = 0; j < n && buf && present; j++) {
		if (s[j].reports < from[j] + 2) {
			chk_fail(&c_slot_final, "vCPU %d: %ld reports after the final create",
				 j, s[j].reports - from[j]);
			continue;
		}
		for (p = 0; p < SLOT_PAGES; p++) {
			v = buf[(p * PG + j * 32) / 8];
			if (v != s[j].counter && v != s[j].counter + 1)
				chk_fail(&c_slot_final,
					 "vCPU %d page %d: host sees %llu, guest passed %llu",
					 j, p, (unsigned long long)v,
					 (unsigned long long)s[j].counter);
		}
		if (!s[j].mmio)
			chk_fail(&c_slot_final, "vCPU %d: no MMIO exit at all",
				 j);
	}
	for (j = 0; j < n; j++)
		drop_vcpu(s[j].fd, s[j].run);
	if (n && s[0].efault + (n > 1 ? s[1].efault : 0))
		printf("stress: %s: %ld KVM_RUN EFAULT in the memslot race (6.1 kvm.ko, see the top)\n",
		       module, s[0].efault + (n > 1 ? s[1].efault : 0));
	chk_report(&c_slot_ops);
	chk_report(&c_slot_exits);
	chk_report(&c_slot_final);
out:
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	if (buf)
		munmap(buf, SLOT_PAGES * PG);
	if (ram)
		munmap(ram, RAM_SIZE);
}

/* ---- 4. KVM_INTERRUPT and signals during KVM_RUN ---- */

static struct chk c_irq_runs = { .name = "stress/irq-signal-runs" };
static struct chk c_irq_ops = { .name = "stress/irq-signal-ops" };

struct wrun {
	pthread_t th;
	int fd, tid, stop, done;
	struct kvm_run *run;
	uint64_t counter;
	long reports, irq, sip_seip;
};

/* One KVM_RUN of the WFI guest: 1 report, 0 EINTR, -1 failure. */
static int wfi_step(struct wrun *w)
{
	struct kvm_run *r = w->run;
	int rc = ioctl(w->fd, KVM_RUN, 0), e = errno;
	char buf[96];

	ADD(cnt.runs, 1);
	progress();
	if (rc == -1 && e == EINTR) {
		ADD(cnt.eintr, 1);
		if (r->exit_reason == KVM_EXIT_INTR)
			return 0;
		chk_fail(&c_irq_runs, "EINTR with exit reason %u",
			 r->exit_reason);
		return -1;
	}
	if (rc) {
		chk_fail(&c_irq_runs, "KVM_RUN rc=%d errno=%s", rc, err_name(e));
		return -1;
	}
	if (!is_report(r, FN_WFI) || r->riscv_sbi.args[0] != w->counter + 1) {
		chk_fail(&c_irq_runs, "%s a0 %llu, want report %llu",
			 exit_str(r, buf, sizeof(buf)),
			 (unsigned long long)r->riscv_sbi.args[0],
			 (unsigned long long)w->counter + 1);
		return -1;
	}
	w->counter++;
	w->reports++;
	w->irq += r->riscv_sbi.args[1] == IRQ_S_EXT;
	w->sip_seip += !!(r->riscv_sbi.args[2] & SIP_SEIP);
	ADD(cnt.reports, 1);
	return 1;
}

static void *wfi_thread(void *arg)
{
	struct wrun *w = arg;

	w->tid = gettid();
	while (!LOAD(w->stop))
		if (wfi_step(w) < 0)
			break;
	STORE(w->done, 1);
	return NULL;
}

static int set_irq(int fd, bool on)
{
	struct kvm_interrupt irq = {
		.irq = on ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET,
	};

	ADD(cnt.irqs, 1);
	return ioctl(fd, KVM_INTERRUPT, &irq);
}

struct injector {
	pthread_t th;
	int fd, done;
	long ops;
	struct rng rng;
};

static void *inject_thread(void *arg)
{
	struct injector *in = arg;
	long i;

	for (i = 0; i < in->ops; i++) {
		bool on = rnd_below(&in->rng, 2);

		if (set_irq(in->fd, on))
			chk_fail(&c_irq_ops, "KVM_INTERRUPT %s: %s",
				 on ? "SET" : "UNSET", err_name(errno));
		progress();
		usleep(rnd_below(&in->rng, 2000));
	}
	STORE(in->done, 1);
	return NULL;
}

/*
 * After a delay, KVM_INTERRUPT SET on vCPU fd, or (fd < 0) signals to a
 * thread every 50 ms until stop: one that lands between two runs is lost.
 */
struct later {
	pthread_t th, target;
	int fd, usec, rc, fired, stop;
};

static void *later_thread(void *arg)
{
	struct later *l = arg;

	usleep(l->usec);
	if (l->fd >= 0) {
		/* Before: the woken vCPU may report before this returns. */
		STORE(l->fired, 1);
		l->rc = set_irq(l->fd, true);
		return NULL;
	}
	while (!LOAD(l->stop)) {
		l->rc |= pthread_kill(l->target, SIGUSR1);
		ADD(cnt.signals, 1);
		STORE(l->fired, 1);
		usleep(50000);
	}
	return NULL;
}

static void scenario_irq(void)
{
	struct injector in = { };
	bool injecting = false;
	struct wrun w = { .fd = -1 };
	struct itimerval it = { .it_value = { .tv_sec = WAIT_S } }, off = { };
	struct later l;
	int kvm, vm = -1, rc, k, fired = 0;
	uint8_t *ram = new_ram();
	long i, reports, irqs;
	struct rng r;

	phase = "irq-signal";
	rng_init(&r);
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm >= 0 && ram)
		vm = make_vm(kvm, ram);
	if (vm >= 0)
		w.fd = make_vcpu(vm, 0, entry_wfi, 0, 0, 0, 0, &w.run);
	if (!kt_check(w.fd >= 0, "stress/irq-signal-setup", "VM/vCPU: %s",
		      err_name(errno)))
		goto out;
	in.fd = w.fd;
	in.ops = iters * 2;
	rng_init(&in.rng);
	if (!start_thread(&w.th, wfi_thread, &w, &c_irq_ops))
		goto out;
	injecting = start_thread(&in.th, inject_thread, &in, &c_irq_ops);
	for (i = 0; i < iters * 2 && !LOAD(w.done); i++) {
		rc = pthread_kill(w.th, SIGUSR1);
		ADD(cnt.signals, 1);
		if (rc)
			chk_fail(&c_irq_ops, "pthread_kill: %s", err_name(rc));
		progress();
		usleep(rnd_below(&r, 2000));
	}
	if (injecting)
		pthread_join(in.th, NULL);
	STORE(w.stop, 1);
	kick_join(w.th, &w.done, w.tid, "stress/irq-signal-stop");
	chk_report(&c_irq_runs);
	chk_report(&c_irq_ops);
	if (c_irq_runs.fails)
		goto out;
	printf("stress: irq-signal: %ld wake-ups, %ld took the interrupt, %ld saw SEIP in sip, %ld signals\n",
	       w.reports, w.irq, w.sip_seip, i);
	kt_check(w.irq > 0, "stress/irq-signal-delivered",
		 "no wake-up took the interrupt, %ld KVM_INTERRUPTs", in.ops);

	/*
	 * Unset: the WFI sleeps; a wake-up or two may still be on its way (a
	 * run cut in a WFI completes it), but no interrupt may be taken, and
	 * only our signal ends the run. A WFI that does not sleep shows as
	 * hundreds of wake-ups.
	 */
	rc = set_irq(w.fd, false);
	kt_check(rc == 0, "stress/irq-unset", "%s", err_name(errno));
	l = (struct later){ .target = pthread_self(), .fd = -1, .usec = 200000 };
	pthread_create(&l.th, NULL, later_thread, &l);
	reports = w.reports;
	irqs = w.irq;
	for (k = 0; k < 1000; k++) {
		rc = wfi_step(&w);
		if (rc < 0 || (rc == 0 && LOAD(l.fired)))
			break;
	}
	STORE(l.stop, 1);
	pthread_join(l.th, NULL);
	kt_check(rc == 0 && w.reports - reports <= 3 && w.irq == irqs,
		 "stress/irq-unset-wfi-sleeps",
		 "%ld wake-ups (%ld with the interrupt) in 200 ms, last step %d",
		 w.reports - reports, w.irq - irqs, rc);

	/* Set from another thread: the sleeping WFI wakes and takes it. */
	l = (struct later){ .fd = w.fd, .usec = 100000 };
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_create(&l.th, NULL, later_thread, &l);
	reports = w.reports;
	irqs = w.irq;
	for (k = 0; k < 100 && w.irq == irqs; k++) {
		rc = wfi_step(&w);
		fired = LOAD(l.fired);
		if (rc < 0)
			break;
	}
	pthread_join(l.th, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	kt_check(w.irq > irqs && fired && l.rc == 0 &&
		 w.reports - reports <= 4, "stress/irq-set-wakes-wfi",
		 "interrupt taken %d (set before %d), KVM_INTERRUPT rc %d, %ld wake-ups",
		 w.irq > irqs, fired, l.rc, w.reports - reports);
	set_irq(w.fd, false);
out:
	drop_vcpu(w.fd, w.run);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	if (ram)
		munmap(ram, RAM_SIZE);
}

/* ---- 5. vCPU threads migrated between host CPUs ---- */

static struct chk c_mig = { .name = "stress/migrate-runs" };

static void scenario_migrate(void)
{
	struct trun t[2];
	int kvm, vm = -1, cpus[CPU_SETSIZE], ncpus = 0, j, n = 0, fd;
	uint8_t *ram = new_ram();
	struct kvm_run *run;
	struct rng r;
	cpu_set_t set;

	phase = "migrate";
	rng_init(&r);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (j = 0; j < CPU_SETSIZE; j++)
			if (CPU_ISSET(j, &set))
				cpus[ncpus++] = j;
	if (ncpus < 2) {
		kt_skip(c_mig.name, "%d usable CPU(s)", ncpus);
		goto out;
	}
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm >= 0 && ram)
		vm = make_vm(kvm, ram);
	if (kvm >= 0)
		close(kvm);
	if (!kt_check(vm >= 0, "stress/migrate-setup", "VM: %s",
		      err_name(errno)))
		goto out;
	for (j = 0; j < 2; j++) {
		fd = make_vcpu(vm, j, entry_touch, area_gpa(j), AREA_PAGES, 9 + j,
			       0, &run);
		if (fd < 0) {
			chk_fail(&c_mig, "vCPU %d: %s", j, err_name(errno));
			break;
		}
		trun_init(&t[j], fd, run, j, ram, 9 + j, &c_mig, &r);
		t[j].cpus = cpus;
		t[j].ncpus = ncpus;
		if (!start_thread(&t[j].th, migrate_thread, &t[j], &c_mig)) {
			drop_vcpu(fd, run);
			break;
		}
		n++;
	}
	/*
	 * The whole phase may take longer than WATCHDOG_S on a loaded host
	 * (--iters scales it): give up only when the moves stop.
	 */
	for (j = 0; j < n; j++) {
		double t0 = now_s();
		long seen = 0, m;

		while ((m = LOAD(t[j].moves)) < iters * 2 &&
		       !LOAD(t[j].done)) {
			if (m != seen) {
				seen = m;
				t0 = now_s();
			} else if (now_s() - t0 >= WATCHDOG_S) {
				break;
			}
			usleep(1000);
		}
		STORE(t[j].stop, 1);
	}
	for (j = 0; j < n; j++) {
		kick_join(t[j].th, &t[j].done, t[j].tid, "stress/migrate-stop");
		drop_vcpu(t[j].fd, t[j].run);
		if (t[j].moves < iters * 2)
			chk_fail(&c_mig, "vCPU %d: %ld of %ld moves", j,
				 t[j].moves, iters * 2);
	}
	chk_report(&c_mig);
	close(vm);
out:
	if (ram)
		munmap(ram, RAM_SIZE);
}

/* ---- 6. rmmod while VMs exist ---- */

static struct chk c_rm = { .name = "stress/rmmod-refused" };
static struct chk c_rm_works = { .name = "stress/rmmod-vm-works-after" };

#define CSR_REG(i) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
		    KVM_REG_RISCV_CSR | (i))

static uint64_t get_reg(int fd, uint64_t id)
{
	uint64_t v = 0xdeadbeef;
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&v };

	ioctl(fd, KVM_GET_ONE_REG, &r);
	return v;
}

/*
 * Run a touch vCPU (main thread) to its next report; a run that does not
 * end within WAIT_S is cut by SIGALRM, then the guest's pc tells why.
 */
static bool runs_ok(struct trun *t, const char *when)
{
	struct itimerval it = { .it_value = { .tv_sec = WAIT_S } }, off = { };
	int k, rc = 0;

	setitimer(ITIMER_REAL, &it, NULL);
	for (k = 0; k < 100 && !(rc = touch_step(t)); k++)
		;
	setitimer(ITIMER_REAL, &off, NULL);
	if (rc != 1)
		return chk_fail(&c_rm_works,
				"%s: no report (%s; guest pc %#llx scause %#llx)",
				when, t->chk->first,
				(unsigned long long)get_reg(t->fd, VMM_REG_PC),
				(unsigned long long)get_reg(t->fd, CSR_REG(5)));
	return true;
}

static void scenario_rmmod(void)
{
	struct chk c_tmp = { .name = "stress/rmmod-runs" };
	struct crun c = { .fd = -1, .chk = &c_rm, .wfi = true };
	struct kvm_run *run = NULL;
	int kvm, vm = -1, fd = -1, sync;
	uint8_t *ram = new_ram();
	bool ran = false;
	struct rng r;
	struct trun t;
	long lck, ref;
	double t0;

	phase = "rmmod";
	rng_init(&r);
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm >= 0 && ram)
		vm = make_vm(kvm, ram);
	sync = vm >= 0 ? ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_MMU) : 0;
	if (kvm >= 0)
		close(kvm);
	if (vm >= 0)
		fd = make_vcpu(vm, 0, entry_touch, area_gpa(0), AREA_PAGES, 5, 0,
			       &run);
	if (!kt_check(fd >= 0, "stress/rmmod-setup", "VM/vCPU: %s",
		      err_name(errno)))
		goto out;
	ran = true;
	trun_init(&t, fd, run, 0, ram, 5, &c_tmp, &r);
	runs_ok(&t, "first run");

	/* The guest touched its pages: pinned and charged without notifier. */
	lck = status_kb("VmLck");
	if (sync > 0)
		kt_skip("stress/leak-vmlck-charged-while-pinned",
			"KVM_CAP_SYNC_MMU: pages are not charged");
	else
		kt_check(lck > base_lck, "stress/leak-vmlck-charged-while-pinned",
			 "VmLck %ld kB with a VM's pages pinned, %ld at start",
			 lck, base_lck);

	/* VM and vCPU fds (no /dev/kvm fd). */
	if (rmmod_refused(&c_rm, "VM and vCPU fds open"))
		runs_ok(&t, "after rmmod with VM and vCPU fds");
	/* Only the vCPU fd: it holds the VM. */
	close(vm);
	vm = -1;
	if (rmmod_refused(&c_rm, "vCPU fd open"))
		runs_ok(&t, "after rmmod with the vCPU fd only");
	/* Only the kvm_run mapping: it holds the vCPU file. */
	close(fd);
	fd = -1;
	rmmod_refused(&c_rm, "only the kvm_run mapping");
	munmap(run, run_size);
	run = NULL;
	ref = module_refs();
	if (is_rvkvm)
		kt_check(ref == base_ref, "stress/rmmod-vm-freed",
			 "module refcount %ld after the last close, want %ld",
			 ref, base_ref);

	/* Only an in-flight KVM_RUN: the WFI guest sleeps in it. */
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : make_vm(kvm, ram);
	if (vm >= 0)
		c.fd = make_vcpu(vm, 0, entry_wfi, 0, 0, 0, 0, &run);
	if (!kt_check(c.fd >= 0, "stress/rmmod-inflight-setup", "%s",
		      err_name(errno)) ||
	    !start_thread(&c.th, close_thread, &c, &c_rm)) {
		drop_vcpu(c.fd, run);
		run = NULL;
		if (kvm >= 0)
			close(kvm);
		goto out;
	}
	t0 = now_s();
	while (!(LOAD(c.entered) && blocked_in_ioctl(c.tid)) &&
	       now_s() - t0 < WAIT_S)
		usleep(10000);
	STORE(c.closing, 1);
	close(c.fd);
	close(vm);
	close(kvm);
	vm = -1;
	STORE(c.closed, 1);
	munmap(run, run_size);
	run = NULL;
	ref = module_refs();
	/* Tried only while the run surely holds the last reference. */
	if (!blocked_in_ioctl(c.tid) || (is_rvkvm && ref <= base_ref))
		kt_skip("stress/rmmod-refused-inflight-run",
			"vCPU thread not asleep in KVM_RUN (refcount %ld)", ref);
	else if (rmmod_refused(&c_rm, "only an in-flight KVM_RUN"))
		kt_check(true, "stress/rmmod-refused-inflight-run", NULL);
	kick_join(c.th, &c.done, c.tid, "stress/rmmod-inflight-stop");
	kt_check(c.ebadf && c.in_flight, "stress/rmmod-inflight-run-ends",
		 "in flight %d, EBADF %d", c.in_flight, c.ebadf);
	ref = module_refs();
	if (is_rvkvm)
		kt_check(ref == base_ref, "stress/rmmod-inflight-vm-freed",
			 "module refcount %ld after the run ended, want %ld",
			 ref, base_ref);
out:
	if (ran) {
		chk_report(&c_rm);
		chk_report(&c_rm_works);
	}
	drop_vcpu(fd, run);
	if (vm >= 0)
		close(vm);
	if (ram)
		munmap(ram, RAM_SIZE);
}

/* ---- leak checks ---- */

static void leak_checks(void)
{
	long v;

	phase = "leak checks";
	v = status_kb("VmLck");
	kt_check(v == base_lck, "stress/leak-vmlck", "VmLck %ld kB, %ld at start",
		 v, base_lck);
	v = status_kb("VmPin");
	kt_check(v == base_pin, "stress/leak-vmpin", "VmPin %ld kB, %ld at start",
		 v, base_pin);
	v = count_fds();
	kt_check(v == base_fds, "stress/leak-fds", "%ld open fds, %ld at start",
		 v, base_fds);
	if (is_rvkvm) {
		v = module_refs();
		kt_check(v == base_ref && v >= 0, "stress/leak-module-refcnt",
			 "/sys/module/%s/refcnt %ld, %ld at start", module, v,
			 base_ref);
	} else {
		kt_skip("stress/leak-module-refcnt", "checked for rvkvm only");
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "lifecycle", scenario_lifecycle },
	{ "close-run", scenario_close },
	{ "memslot-race", scenario_memslot },
	{ "irq-signal", scenario_irq },
	{ "migrate", scenario_migrate },
	{ "rmmod", scenario_rmmod },
};

static void guest_labels(void)
{
	asm("lla %0, stress_start" : "=r" (guest_start));
	asm("lla %0, stress_end" : "=r" (guest_end));
	asm("lla %0, g_touch" : "=r" (entry_touch));
	asm("lla %0, g_wfi_irq" : "=r" (entry_wfi));
	asm("lla %0, g_slot" : "=r" (entry_slot));
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_kick };
	const char *seed = NULL, *only = NULL;
	char name[64];
	long lck, v;
	pthread_t wd;
	double t0 = now_s();
	int i, kvm;

	if (argc < 3) {
		fprintf(stderr,
			"usage: %s DEV MODULE [--seed N] [--iters N] [--only SCENARIOS] [--owners 1|2]\n",
			argv[0]);
		return 2;
	}
	guest_labels();
	dev = argv[1];
	module = argv[2];
	is_rvkvm = !strcmp(module, "rvkvm");
	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seed"))
			seed = argv[i + 1];
		else if (!strcmp(argv[i], "--iters"))
			iters = strtol(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--only"))
			only = argv[i + 1];
		else if (!strcmp(argv[i], "--owners"))
			owners = atoi(argv[i + 1]) == 1 ? 1 : 2;
	}
	if (iters < 1)
		iters = 1;
	fz_pick_seed("stress", seed);
	printf("stress: %s module %s, --iters %ld\n", dev, module, iters);

	/* Kicks must interrupt KVM_RUN: no SA_RESTART. */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	base_fds = count_fds();
	base_lck = status_kb("VmLck");
	base_pin = status_kb("VmPin");
	base_ref = module_refs();
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (!kt_check(kvm >= 0, "stress/open", "%s: %s", dev, err_name(errno)))
		return kt_exit_code();
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	close(kvm);
	if (is_rvkvm && !kt_check(base_ref >= 0, "stress/module-refcnt",
				  "/sys/module/%s/refcnt unreadable", module))
		return kt_exit_code();
	if (guest_end - guest_start > (long)(AREA_PAGE(0) * PG)) {
		kt_check(false, "stress/guest-size", "guest code %ld bytes",
			 (long)(guest_end - guest_start));
		return kt_exit_code();
	}
	pthread_create(&wd, NULL, watchdog_thread, NULL);

	/* No VM outlives its scenario: each must give back what it locked. */
	for (i = 0; i < (int)ARRAY_SIZE(scenarios); i++) {
		if (only && !strstr(only, scenarios[i].name))
			continue;
		lck = status_kb("VmLck");
		scenarios[i].fn();
		snprintf(name, sizeof(name), "stress/%s-locked-vm",
			 scenarios[i].name);
		v = status_kb("VmLck");
		kt_check(v == lck, name, "VmLck %ld kB after, %ld kB before",
			 v, lck);
		printf("stress: %s done at %.1f s\n", scenarios[i].name,
		       now_s() - t0);
		fflush(stdout);
	}
	STORE(watchdog_stop, 1);
	pthread_join(wd, NULL);
	leak_checks();
	summary();
	printf("stress: %.1f s\n", now_s() - t0);
	return kt_exit_code();
}
