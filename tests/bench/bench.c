// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks: the same guest work on KVM devices side by side.
 *
 *   bench [--reps N] DEV_A NAME_A [DEV_B NAME_B]
 *
 * Each row runs --reps times (default 7) on every device, alternating the
 * devices and which of them goes first; the medians are printed per
 * operation, with the ratio B / A when there are two devices.
 *
 * Times are CLOCK_MONOTONIC deltas taken in this process around the
 * ioctls. With "rvbench.clock=icount" on the kernel command line the host
 * runs under QEMU -icount shift=0, where emulated time advances 1 ns per
 * executed instruction: the figures are then instruction counts (host
 * and guest together) and are printed as "insn"; otherwise as "ns".
 *
 * Every row prints "rvtest: PASS bench/<row>" when all of its runs
 * behaved (right exits, right guest answers, memory and dirty bitmaps as
 * expected) on every device, else FAIL with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../lib/ktest.h"
#include "../lib/vmm.h"
#include "bench_guest.h"

#define FN_DONE		1
#define SBI_EXT_BASE	0x10
#define SBI_UNKNOWN	0x12345678
#define SBI_ERR_NOT_SUPP	(-2L)
#define SBI_VERSION_1_0	(1UL << 24)
#define EXTRA_GPA	0x100000000ULL
#define EXTRA_SLOT	1
#define PAGE		4096UL
#define MAX_REPS	31
#define MAX_VALS	3

static const char *unit = "ns";
static int reps = 7;

/* Per-operation counts: guest loop lengths. */
#define N_SBI		2000
#define N_MMIO		500
#define N_TIMER		500
#define N_PAGES		256
#define N_VMS		16

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Why a run misbehaved, for the row's FAIL line. */
static char why[256];

static bool fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return false;
}

static bool vm_open(struct vmm *v, const char *dev, const char *entry)
{
	if (!vmm_open(v, dev, 2 << 20, guest_start, guest_end, entry))
		return true;
	fail("VM setup on %s: %s", dev, strerrorname(errno));
	vmm_close(v);
	return false;
}

/* One KVM_RUN that must end in the guest's report. */
static bool run_report(struct vmm *v)
{
	struct kvm_run *r = v->run;
	int rc = vmm_run(v);

	if (rc == 0 && r->exit_reason == KVM_EXIT_RISCV_SBI &&
	    r->riscv_sbi.extension_id == SBI_EXT_TEST &&
	    r->riscv_sbi.function_id == FN_DONE)
		return true;
	return fail("want the guest's report, got rc=%d errno=%s exit=%u ext=%#llx fn=%llu",
		    rc, rc ? strerrorname(errno) : "-", r->exit_reason,
		    (unsigned long long)r->riscv_sbi.extension_id,
		    (unsigned long long)r->riscv_sbi.function_id);
}

/* Hand the waiting guest a count and time the run to its next report. */
static bool timed_count(struct vmm *v, uint64_t count, uint64_t *ns)
{
	uint64_t t0;

	v->run->riscv_sbi.ret[0] = count;
	v->run->riscv_sbi.ret[1] = 0;
	t0 = now_ns();
	if (!run_report(v))
		return false;
	*ns = now_ns() - t0;
	return true;
}

/* Start a guest program with a0..a2 and run it to its first report. */
static bool start_guest(struct vmm *v, uint64_t a0, uint64_t a1, uint64_t a2)
{
	if (vmm_set_reg(v, VMM_REG_A(0), a0) ||
	    vmm_set_reg(v, VMM_REG_A(1), a1) ||
	    vmm_set_reg(v, VMM_REG_A(2), a2))
		return fail("SET_ONE_REG: %s", strerrorname(errno));
	return run_report(v);
}

/*
 * SBI calls answered in the kernel: per call, (T(N) - T(0)) / N, where
 * T(n) is one KVM_RUN in which the guest makes n calls.
 */
static bool sbi_calls(const char *dev, unsigned long ext, long want_err,
		      bool check_value, double *vals)
{
	uint64_t t0, tn;
	struct vmm v;
	bool ok = false;

	if (!vm_open(&v, dev, g_sbi))
		return false;
	if (!start_guest(&v, ext, 0, want_err))
		goto out;
	if (!timed_count(&v, 0, &t0) || !timed_count(&v, N_SBI, &tn))
		goto out;
	if (v.run->riscv_sbi.args[0]) {
		fail("%llu of %d calls did not return error %ld",
		     (unsigned long long)v.run->riscv_sbi.args[0], N_SBI,
		     want_err);
		goto out;
	}
	if (check_value && v.run->riscv_sbi.args[1] != SBI_VERSION_1_0) {
		fail("spec version %#llx, want %#lx",
		     (unsigned long long)v.run->riscv_sbi.args[1],
		     SBI_VERSION_1_0);
		goto out;
	}
	vals[0] = ((double)tn - (double)t0) / N_SBI;
	ok = true;
out:
	vmm_close(&v);
	return ok;
}

static bool b_sbi_base(const char *dev, double *vals)
{
	return sbi_calls(dev, SBI_EXT_BASE, 0, true, vals);
}

static bool b_sbi_unknown(const char *dev, double *vals)
{
	return sbi_calls(dev, SBI_UNKNOWN, SBI_ERR_NOT_SUPP, false, vals);
}

/*
 * MMIO store exits: the guest stores N times to an unbacked address; each
 * store is a KVM_EXIT_MMIO and a KVM_RUN back. Per store,
 * (T(N) - T(0)) / N.
 */
static bool b_mmio(const char *dev, double *vals)
{
	struct kvm_run *r;
	uint64_t t0, tn, start, i;
	struct vmm v;
	bool ok = false;
	int rc;

	if (!vm_open(&v, dev, g_mmio))
		return false;
	r = v.run;
	if (!start_guest(&v, GUEST_MMIO, 0, 0) || !timed_count(&v, 0, &t0))
		goto out;
	r->riscv_sbi.ret[0] = N_MMIO;
	start = now_ns();
	for (i = 0; i < N_MMIO; i++) {
		rc = vmm_run(&v);
		if (rc || r->exit_reason != KVM_EXIT_MMIO ||
		    !r->mmio.is_write || r->mmio.len != 8 ||
		    r->mmio.phys_addr != GUEST_MMIO ||
		    *(uint64_t *)r->mmio.data != N_MMIO - i) {
			fail("store %llu: rc=%d exit=%u write=%u len=%u addr=%#llx data=%llu",
			     (unsigned long long)i, rc, r->exit_reason,
			     r->mmio.is_write, r->mmio.len,
			     (unsigned long long)r->mmio.phys_addr,
			     (unsigned long long)*(uint64_t *)r->mmio.data);
			goto out;
		}
	}
	if (!run_report(&v))
		goto out;
	tn = now_ns() - start;
	vals[0] = ((double)tn - (double)t0) / N_MMIO;
	ok = true;
out:
	vmm_close(&v);
	return ok;
}

/*
 * Timer interrupts: the guest asks SBI set_timer for the current time and
 * takes the interrupt in its own trap handler. With Sstc both modules
 * write vstimecmp and the hardware raises it; without, the module injects
 * it. Per interrupt, (T(N) - T(0)) / N.
 */
static bool b_timer_irq(const char *dev, double *vals)
{
	uint64_t t0, tn;
	struct vmm v;
	bool ok = false;

	if (!vm_open(&v, dev, g_timer_irq))
		return false;
	if (!start_guest(&v, 0, 0, 0) || !timed_count(&v, 0, &t0) ||
	    !timed_count(&v, N_TIMER, &tn))
		goto out;
	if (v.run->riscv_sbi.args[0]) {
		fail("%llu of %d traps were not the timer interrupt (scause %#llx)",
		     (unsigned long long)v.run->riscv_sbi.args[0], N_TIMER,
		     (unsigned long long)v.run->riscv_sbi.args[1]);
		goto out;
	}
	vals[0] = ((double)tn - (double)t0) / N_TIMER;
	ok = true;
out:
	vmm_close(&v);
	return ok;
}

/* Anonymous memory for the extra slot; populated or left untouched. */
static void *extra_mem(size_t size, bool populate)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	/* 4 KiB host pages for both modules; the call may be unsupported. */
	madvise(m, size, MADV_NOHUGEPAGE);
	if (populate)
		memset(m, 0xa5, size);
	return m;
}

static bool add_slot(struct vmm *v, void *mem, size_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region mr = {
		.slot = EXTRA_SLOT, .flags = flags,
		.guest_phys_addr = EXTRA_GPA, .memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	if (!ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &mr))
		return true;
	return fail("KVM_SET_USER_MEMORY_REGION: %s", strerrorname(errno));
}

/* The guest's g_touch stores count - i to page i: check the host's view. */
static bool check_touched(const void *mem, uint64_t count)
{
	uint64_t i, got;

	for (i = 0; i < count; i++) {
		got = *(const uint64_t *)((const char *)mem + i * PAGE);
		if (got != count - i)
			return fail("page %llu holds %#llx, want %llu",
				    (unsigned long long)i,
				    (unsigned long long)got,
				    (unsigned long long)(count - i));
	}
	return true;
}

static void touch_vm_close(struct vmm *v, void *mem)
{
	vmm_close(v);
	if (mem)
		munmap(mem, N_PAGES * PAGE);
}

/*
 * A fresh VM whose guest runs g_touch over a fresh slot of N pages at
 * EXTRA_GPA (KVM_MEM_* flags), its memory in *mem; touch_vm_close() ends
 * both. On failure nothing is left open.
 */
static bool touch_vm_open(struct vmm *v, const char *dev, bool populate,
			  uint32_t flags, void **mem)
{
	*mem = NULL;
	if (!vm_open(v, dev, g_touch))
		return false;
	*mem = extra_mem(N_PAGES * PAGE, populate);
	if (!*mem)
		fail("mmap: %s", strerrorname(errno));
	else if (add_slot(v, *mem, N_PAGES * PAGE, flags) &&
		 start_guest(v, EXTRA_GPA, PAGE, 0))
		return true;
	touch_vm_close(v, *mem);
	return false;
}

/*
 * G-stage fault-in: a fresh VM and a fresh slot of N pages; the guest
 * stores once to each page. Per page, (T(N) - T(0)) / N.
 */
static bool fault_in(const char *dev, bool populate, double *vals)
{
	uint64_t t0, tn;
	struct vmm v;
	void *mem;
	bool ok = false;

	if (!touch_vm_open(&v, dev, populate, 0, &mem))
		return false;
	if (timed_count(&v, 0, &t0) && timed_count(&v, N_PAGES, &tn) &&
	    check_touched(mem, N_PAGES)) {
		vals[0] = ((double)tn - (double)t0) / N_PAGES;
		ok = true;
	}
	touch_vm_close(&v, mem);
	return ok;
}

static bool b_fault(const char *dev, double *vals)
{
	return fault_in(dev, true, vals);
}

static bool b_fault_unpopulated(const char *dev, double *vals)
{
	return fault_in(dev, false, vals);
}

/* KVM_GET_DIRTY_LOG of the extra slot; the number of bits set. */
static bool get_dirty(struct vmm *v, uint64_t *bitmap, size_t words,
		      uint64_t *ns, unsigned int *bits)
{
	struct kvm_dirty_log log = { .slot = EXTRA_SLOT };
	uint64_t t0;
	size_t i;

	memset(bitmap, 0, words * sizeof(*bitmap));
	log.dirty_bitmap = bitmap;
	t0 = now_ns();
	if (ioctl(v->vm, KVM_GET_DIRTY_LOG, &log))
		return fail("KVM_GET_DIRTY_LOG: %s", strerrorname(errno));
	*ns = now_ns() - t0;
	*bits = 0;
	for (i = 0; i < words; i++)
		*bits += __builtin_popcountll(bitmap[i]);
	return true;
}

/*
 * A dirty-log round on a logged slot of N pages, after a first round has
 * faulted every page in: the guest stores to every page, then the VMM
 * gets the log (which write-protects the pages again). vals[0] is the
 * round, T_run(N) + T_log; vals[1] per page, the round minus a round in
 * which the guest writes nothing, over N; vals[2] the KVM_GET_DIRTY_LOG
 * of the round alone (N dirty pages).
 */
static bool b_dirty(const char *dev, double *vals)
{
	size_t words = N_PAGES / 64;
	uint64_t bitmap[N_PAGES / 64], run0, log0, runn, logn, warm;
	unsigned int bits;
	struct vmm v;
	void *mem;
	bool ok = false;

	if (!touch_vm_open(&v, dev, true, KVM_MEM_LOG_DIRTY_PAGES, &mem))
		return false;
	/* Warm-up round: the first faults map the pages. */
	if (!timed_count(&v, N_PAGES, &warm) ||
	    !get_dirty(&v, bitmap, words, &warm, &bits))
		goto out;
	if (bits != N_PAGES) {
		fail("first round: %u dirty pages, want %d", bits, N_PAGES);
		goto out;
	}
	if (!timed_count(&v, 0, &run0) ||
	    !get_dirty(&v, bitmap, words, &log0, &bits))
		goto out;
	if (bits) {
		fail("idle round: %u dirty pages, want 0", bits);
		goto out;
	}
	memset(mem, 0, N_PAGES * PAGE);
	if (!timed_count(&v, N_PAGES, &runn) ||
	    !get_dirty(&v, bitmap, words, &logn, &bits) ||
	    !check_touched(mem, N_PAGES))
		goto out;
	if (bits != N_PAGES) {
		fail("round: %u dirty pages, want %d", bits, N_PAGES);
		goto out;
	}
	vals[0] = (double)(runn + logn);
	vals[1] = ((double)(runn + logn) - (double)(run0 + log0)) / N_PAGES;
	vals[2] = (double)logn;
	ok = true;
out:
	touch_vm_close(&v, mem);
	return ok;
}

/* VM + vCPU 0 + its kvm_run mapping, then all of it closed; per VM. */
static bool b_vm_lifecycle(const char *dev, double *vals)
{
	int kvm, vm, vcpu, i;
	long run_size;
	uint64_t t0;
	void *run;

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open %s: %s", dev, strerrorname(errno));
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0) {
		close(kvm);
		return fail("KVM_GET_VCPU_MMAP_SIZE: %s", strerrorname(errno));
	}
	t0 = now_ns();
	for (i = 0; i < N_VMS; i++) {
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm < 0) {
			close(kvm);
			return fail("KVM_CREATE_VM: %s", strerrorname(errno));
		}
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		if (vcpu < 0) {
			close(vm);
			close(kvm);
			return fail("KVM_CREATE_VCPU: %s", strerrorname(errno));
		}
		run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   vcpu, 0);
		if (run == MAP_FAILED) {
			close(vcpu);
			close(vm);
			close(kvm);
			return fail("mmap kvm_run: %s", strerrorname(errno));
		}
		munmap(run, run_size);
		close(vcpu);
		close(vm);
	}
	vals[0] = (double)(now_ns() - t0) / N_VMS;
	close(kvm);
	return true;
}

struct row {
	const char *names[MAX_VALS];
	const char *per[MAX_VALS];	/* what one value measures */
	bool (*fn)(const char *dev, double *vals);
};

static const struct row rows[] = {
	{ { "sbi-base-roundtrip" }, { "op" }, b_sbi_base },
	{ { "sbi-unknown-roundtrip" }, { "op" }, b_sbi_unknown },
	{ { "mmio-exit-roundtrip" }, { "op" }, b_mmio },
	{ { "timer-irq-sbi" }, { "irq" }, b_timer_irq },
	{ { "gstage-fault-4k" }, { "page" }, b_fault },
	{ { "gstage-fault-4k-unpopulated" }, { "page" }, b_fault_unpopulated },
	{ { "dirty-log-round", "dirty-log-page", "dirty-log-get" },
	  { "round", "page", "round" }, b_dirty },
	{ { "vm-create-destroy" }, { "op" }, b_vm_lifecycle },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NROWS		ARRAY_SIZE(rows)

struct side {
	const char *dev, *name;
	double med[NROWS][MAX_VALS];
	bool have[NROWS];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Which side and run failed, for the FAIL line. */
static const char *failed_side;
static int failed_rep;

/*
 * Measure one row on every side, alternating which goes first from one
 * repetition to the next; keep the medians. False with the reason in why
 * if any run misbehaved.
 */
static bool measure(size_t i, struct side *sides, int nsides)
{
	static double samples[2][MAX_VALS][MAX_REPS];
	double vals[MAX_VALS];
	int rep, s, k, idx;

	for (rep = 0; rep < reps; rep++) {
		for (s = 0; s < nsides; s++) {
			idx = (rep + s) % nsides;
			memset(vals, 0, sizeof(vals));
			if (!rows[i].fn(sides[idx].dev, vals)) {
				failed_side = sides[idx].name;
				failed_rep = rep + 1;
				return false;
			}
			for (k = 0; k < MAX_VALS; k++)
				samples[idx][k][rep] = vals[k];
		}
	}
	for (s = 0; s < nsides; s++) {
		for (k = 0; k < MAX_VALS && rows[i].names[k]; k++)
			sides[s].med[i][k] = median(samples[s][k], reps);
		sides[s].have[i] = true;
	}
	return true;
}

static void print_line(size_t i, int k, const struct side *sides,
		       int nsides)
{
	const char *name = rows[i].names[k], *per = rows[i].per[k];
	const struct side *a = &sides[0], *b = &sides[1];

	if (nsides == 1) {
		printf("bench: %-28s %s %.0f %s/%s\n", name, a->name,
		       a->med[i][k], unit, per);
		return;
	}
	printf("bench: %-28s %s %.0f %s/%s  %s %.0f %s/%s  ratio %.2f\n",
	       name, a->name, a->med[i][k], unit, per, b->name, b->med[i][k],
	       unit, per, a->med[i][k] > 0 ? b->med[i][k] / a->med[i][k] : 0);
}

static void print_table(const struct side *sides, int nsides)
{
	const struct side *a = &sides[0], *b = &sides[1];
	char head[64] = "";
	size_t i;
	int k;

	if (nsides == 2)
		snprintf(head, sizeof(head), "%s / %s", b->name, a->name);
	printf("bench: table: median of %d runs, %s per op, page or round\n",
	       reps, unit);
	printf("bench: | %-28s | %-5s | %12s | %12s | %-16s |\n", "row", "per",
	       a->name, nsides == 2 ? b->name : "", head);
	printf("bench: |------------------------------|-------|--------------|--------------|------------------|\n");
	for (i = 0; i < NROWS; i++)
		for (k = 0; k < MAX_VALS && rows[i].names[k]; k++) {
			const char *n = rows[i].names[k], *per = rows[i].per[k];

			if (!a->have[i] || (nsides == 2 && !b->have[i]))
				printf("bench: | %-28s | %-5s | %12s | %12s | %-16s |\n",
				       n, per, "-", "-", "failed");
			else if (nsides == 1)
				printf("bench: | %-28s | %-5s | %12.0f | %12s | %-16s |\n",
				       n, per, a->med[i][k], "", "");
			else
				printf("bench: | %-28s | %-5s | %12.0f | %12.0f | %16.2f |\n",
				       n, per, a->med[i][k], b->med[i][k],
				       a->med[i][k] > 0 ?
				       b->med[i][k] / a->med[i][k] : 0);
		}
}

static void clock_unit(void)
{
	char buf[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	if (strstr(buf, "rvbench.clock=icount"))
		unit = "insn";
}

int main(int argc, char **argv)
{
	static struct side sides[2];
	int nsides, argi = 1, k;
	char name[64];
	size_t i;

	if (argi + 1 < argc && !strcmp(argv[argi], "--reps")) {
		reps = atoi(argv[argi + 1]);
		argi += 2;
	}
	nsides = (argc - argi) / 2;
	if (reps < 1 || reps > MAX_REPS || (argc - argi) % 2 ||
	    nsides < 1 || nsides > 2) {
		kt_check(false, "bench/arguments",
			 "bench [--reps N] DEV_A NAME_A [DEV_B NAME_B]");
		return 1;
	}
	for (k = 0; k < nsides; k++) {
		sides[k].dev = argv[argi + 2 * k];
		sides[k].name = argv[argi + 2 * k + 1];
	}
	clock_unit();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench: clock %s, median of %d runs per row%s\n",
	       !strcmp(unit, "insn") ? "icount (1 ns = 1 instruction)" :
	       "wall (ns)", reps, nsides == 2 ? ", devices alternating" : "");

	for (i = 0; i < NROWS; i++) {
		snprintf(name, sizeof(name), "bench/%s", rows[i].names[0]);
		if (!measure(i, sides, nsides)) {
			kt_check(false, name, "%s, run %d: %s", failed_side,
				 failed_rep, why);
			continue;
		}
		for (k = 0; k < MAX_VALS && rows[i].names[k]; k++)
			print_line(i, k, sides, nsides);
		kt_check(true, name, NULL);
	}
	print_table(sides, nsides);
	return kt_exit_code();
}
