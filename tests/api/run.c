// SPDX-License-Identifier: GPL-2.0
/*
 * Running guests: run DEV. Each case boots a small guest program (from
 * run_guest.S) in a fresh VM and asserts the exits it causes and how their
 * completions reach the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/rseq.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "../lib/ktest.h"
#include "../lib/vmm.h"
#include "run_guest.h"


static const char *dev;
/*
 * Against the in-tree 6.1 kvm.ko, two answers are known to differ:
 * - its MMIO load completion shifts the data as an unsigned long, so LB,
 *   LH, LW (and C.LW) come back zero-extended (later kernels sign-extend);
 * - a guest illegal instruction fails KVM_RUN with EFAULT instead of
 *   reaching the guest's trap handler (Linux guests rely on trap-to-self).
 * In intree mode the test expects 6.1's answers for these, to prove the
 * tests see the difference; rvkvm must give the architectural ones.
 */
static bool intree;

static int open_guest(struct vmm *v, const char *entry, const char *name)
{
	if (vmm_open(v, dev, 2 << 20, guest_start, guest_end, entry)) {
		kt_check(false, name, "VM setup: %s", strerrorname(errno));
		vmm_close(v);
		return -1;
	}
	return 0;
}

/* Run until the guest reports through the test SBI extension. */
static bool run_to_report(struct vmm *v, unsigned long fn, const char *name)
{
	int rc = vmm_run(v);

	return kt_check(rc == 0 && v->run->exit_reason == KVM_EXIT_RISCV_SBI &&
			v->run->riscv_sbi.extension_id == SBI_EXT_TEST &&
			v->run->riscv_sbi.function_id == fn, name,
			"rc=%d errno=%s exit=%u ext=%#llx fn=%llu", rc,
			rc ? strerrorname(errno) : "-", v->run->exit_reason,
			(unsigned long long)v->run->riscv_sbi.extension_id,
			(unsigned long long)v->run->riscv_sbi.function_id);
}

static void test_forward_and_mmio(void)
{
	struct kvm_run *r;
	struct vmm v;
	int rc;

	if (open_guest(&v, g_forward, "run/sbi-forward"))
		return;
	r = v.run;
	if (!run_to_report(&v, 7, "run/sbi-forward"))
		goto out;
	kt_check(r->riscv_sbi.args[0] == 42 && r->riscv_sbi.args[1] == 43,
		 "run/sbi-forward-args", "args %llu %llu",
		 (unsigned long long)r->riscv_sbi.args[0],
		 (unsigned long long)r->riscv_sbi.args[1]);
	r->riscv_sbi.ret[0] = 0x1234abcd5678ULL;

	rc = vmm_run(&v);
	kt_check(rc == 0 && r->exit_reason == KVM_EXIT_MMIO && r->mmio.is_write &&
		 r->mmio.len == 8 && r->mmio.phys_addr == GUEST_MMIO &&
		 *(uint64_t *)r->mmio.data == 0x1234abcd5678ULL,
		 "run/mmio-store-sbi-ret", "rc=%d exit=%u len=%u addr=%#llx",
		 rc, r->exit_reason, r->mmio.len,
		 (unsigned long long)r->mmio.phys_addr);

	rc = vmm_run(&v);
	kt_check(rc == 0 && r->exit_reason == KVM_EXIT_MMIO &&
		 !r->mmio.is_write && r->mmio.len == 1 &&
		 r->mmio.phys_addr == GUEST_MMIO + 8, "run/mmio-load",
		 "rc=%d exit=%u len=%u", rc, r->exit_reason, r->mmio.len);
	r->mmio.data[0] = 0x80;
	if (run_to_report(&v, 8, "run/mmio-load-completes"))
		kt_check(r->riscv_sbi.args[0] == (intree ? 0x80 : (uint64_t)-128),
			 "run/mmio-load-sign-extended", "a0=%#llx",
			 (unsigned long long)r->riscv_sbi.args[0]);
out:
	vmm_close(&v);
}

static void test_compressed_mmio(void)
{
	struct kvm_run *r;
	struct vmm v;
	int rc;

	if (open_guest(&v, g_compressed, "run/mmio-compressed"))
		return;
	r = v.run;
	rc = vmm_run(&v);
	kt_check(rc == 0 && r->exit_reason == KVM_EXIT_MMIO && r->mmio.is_write &&
		 r->mmio.len == 4 && r->mmio.phys_addr == GUEST_MMIO + 4 &&
		 *(uint32_t *)r->mmio.data == 0x5a5a1234,
		 "run/mmio-c.sw", "rc=%d exit=%u len=%u", rc, r->exit_reason,
		 r->mmio.len);
	rc = vmm_run(&v);
	kt_check(rc == 0 && r->exit_reason == KVM_EXIT_MMIO &&
		 !r->mmio.is_write && r->mmio.len == 4, "run/mmio-c.lw",
		 "rc=%d exit=%u", rc, r->exit_reason);
	memcpy(r->mmio.data, "\xfe\xff\xff\xff", 4);
	if (run_to_report(&v, 9, "run/mmio-c.lw-completes"))
		kt_check(r->riscv_sbi.args[0] ==
			 (intree ? 0xfffffffe : (uint64_t)-2),
			 "run/mmio-c.lw-sign-extended", "a0=%#llx",
			 (unsigned long long)r->riscv_sbi.args[0]);
	vmm_close(&v);
}

static void test_sbi_in_kernel(void)
{
	struct kvm_run *r;
	struct vmm v;

	if (!open_guest(&v, g_base, "run/sbi-base")) {
		r = v.run;
		if (run_to_report(&v, 1, "run/sbi-base")) {
			kt_check(r->riscv_sbi.args[0] == (1ULL << 24) &&
				 r->riscv_sbi.args[1] == 0 &&
				 r->riscv_sbi.args[2] == 1,
				 "run/sbi-base-version-probe",
				 "version %#llx err %lld probe(TIME) %lld",
				 (unsigned long long)r->riscv_sbi.args[0],
				 (long long)r->riscv_sbi.args[1],
				 (long long)r->riscv_sbi.args[2]);
			/*
			 * Legacy extensions are 0..8; 9..15 are reserved.
			 * kvm.ko has them only with CONFIG_RISCV_SBI_V01,
			 * which the intree config leaves out.
			 */
			kt_check((intree || r->riscv_sbi.args[3] == 1) &&
				 r->riscv_sbi.args[4] == 0,
				 "run/sbi-base-probe-legacy",
				 "probe(8) %lld probe(9) %lld",
				 (long long)r->riscv_sbi.args[3],
				 (long long)r->riscv_sbi.args[4]);
		}
		vmm_close(&v);
	}
	if (!open_guest(&v, g_unknown, "run/sbi-unknown")) {
		r = v.run;
		if (run_to_report(&v, 2, "run/sbi-unknown"))
			kt_check((long long)r->riscv_sbi.args[0] == -2,
				 "run/sbi-unknown-not-supported", "a0=%lld",
				 (long long)r->riscv_sbi.args[0]);
		vmm_close(&v);
	}
}

static void test_illegal_redirected(void)
{
	struct kvm_run *r;
	struct vmm v;

	if (open_guest(&v, g_illegal, "run/illegal-insn"))
		return;
	r = v.run;
	if (intree) {
		int rc = vmm_run(&v);

		KT_ERRNO(rc, EFAULT, "run/illegal-insn-6.1-fails-run");
		vmm_close(&v);
		return;
	}
	if (run_to_report(&v, 3, "run/illegal-insn-to-guest"))
		kt_check(r->riscv_sbi.args[0] == 2 &&
			 r->riscv_sbi.args[1] > GUEST_RAM,
			 "run/illegal-insn-scause-sepc", "scause %llu sepc %#llx",
			 (unsigned long long)r->riscv_sbi.args[0],
			 (unsigned long long)r->riscv_sbi.args[1]);
	vmm_close(&v);
}

static void test_srst(void)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct vmm v;
	int rc;

	if (open_guest(&v, g_srst, "run/srst-shutdown"))
		return;
	rc = vmm_run(&v);
	kt_check(rc == 0 && v.run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
		 v.run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN,
		 "run/srst-shutdown", "rc=%d exit=%u type=%u", rc,
		 v.run->exit_reason, v.run->system_event.type);
	if (rc || v.run->exit_reason != KVM_EXIT_SYSTEM_EVENT)
		goto out;
	/* A reboot: the VMM resets the vCPU; nothing of the call may stick. */
	if (ioctl(v.vcpu, KVM_SET_MP_STATE, &mp) ||
	    vmm_set_reg(&v, VMM_REG_PC, vmm_gpa_of(guest_start, g_ram)) ||
	    vmm_set_reg(&v, VMM_REG_A(0), GUEST_RAM + (1 << 20))) {
		kt_check(false, "run/srst-then-reset", "reset: %s",
			 strerrorname(errno));
		goto out;
	}
	if (run_to_report(&v, 4, "run/srst-then-reset"))
		kt_check(v.run->riscv_sbi.args[0] == 0x1122334455667788ULL,
			 "run/srst-then-reset-state", "guest read %#llx",
			 (unsigned long long)v.run->riscv_sbi.args[0]);
out:
	vmm_close(&v);
}

static void test_ram(void)
{
	struct vmm v;
	unsigned long long *host;

	if (open_guest(&v, g_ram, "run/guest-ram"))
		return;
	vmm_set_reg(&v, VMM_REG_A(0), GUEST_RAM + (1 << 20));
	host = (unsigned long long *)((char *)v.mem + (1 << 20));
	if (run_to_report(&v, 4, "run/guest-ram"))
		kt_check(v.run->riscv_sbi.args[0] == 0x1122334455667788ULL &&
			 *host == 0x1122334455667788ULL, "run/guest-ram-shared",
			 "guest read %#llx, host sees %#llx",
			 (unsigned long long)v.run->riscv_sbi.args[0],
			 (unsigned long long)*host);
	vmm_close(&v);
}

static void on_alarm(int sig)
{
}

/*
 * SIGALRM in usec microseconds, then every period_us if that is not 0;
 * alarm_us(0, 0) disarms. No SA_RESTART: the signal must end KVM_RUN.
 */
static void alarm_us(long usec, long period_us)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = {
		.it_value = { .tv_sec = usec / 1000000,
			      .tv_usec = usec % 1000000 },
		.it_interval = { .tv_sec = period_us / 1000000,
				 .tv_usec = period_us % 1000000 },
	};

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_signal_and_immediate_exit(void)
{
	struct vmm v;
	int rc;

	if (open_guest(&v, g_wfi, "run/signal-in-wfi"))
		return;
	alarm_us(200000, 0);
	rc = vmm_run_once(&v);
	kt_check(rc == -1 && errno == EINTR &&
		 v.run->exit_reason == KVM_EXIT_INTR, "run/signal-in-wfi",
		 "rc=%d errno=%s exit=%u", rc, strerrorname(errno),
		 v.run->exit_reason);

	v.run->immediate_exit = 1;
	rc = vmm_run_once(&v);
	kt_check(rc == -1 && errno == EINTR &&
		 v.run->exit_reason == KVM_EXIT_INTR, "run/immediate-exit",
		 "rc=%d errno=%s exit=%u", rc, strerrorname(errno),
		 v.run->exit_reason);
	vmm_close(&v);
}

/*
 * KVM_SET_SIGNAL_MASK: SIGALRM blocked in the thread, unblocked by the
 * KVM_RUN mask, must end a sleeping KVM_RUN; afterwards the thread's own
 * mask is back.
 */
static void test_signal_mask(void)
{
	struct {
		struct kvm_signal_mask m;
		unsigned char set[8];
	} km = { .m.len = 8 };
	sigset_t block, now;
	struct vmm v;
	int rc;

	if (open_guest(&v, g_wfi, "run/signal-mask"))
		return;
	km.m.len = 4;
	rc = ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, &km);
	KT_ERRNO(rc, EINVAL, "run/signal-mask-bad-len");
	km.m.len = 8;
	rc = ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, &km);
	kt_check(rc == 0, "run/signal-mask-set", "%s", strerrorname(errno));

	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	alarm_us(100000, 0);
	rc = vmm_run_once(&v);
	kt_check(rc == -1 && errno == EINTR &&
		 v.run->exit_reason == KVM_EXIT_INTR, "run/signal-mask-kicks",
		 "rc=%d errno=%s exit=%u", rc, strerrorname(errno),
		 v.run->exit_reason);
	sigprocmask(SIG_BLOCK, NULL, &now);
	kt_check(sigismember(&now, SIGALRM), "run/signal-mask-restored",
		 "SIGALRM no longer blocked after KVM_RUN");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	vmm_close(&v);
}

/*
 * KVM_CAP_SYNC_MMU says whether guest memory follows the host mm. After
 * MADV_DONTNEED the host sees a fresh zero page: with an MMU notifier the
 * guest must see it too; with pinning (vendor kernels, SYNC_MMU 0) the
 * guest keeps the page it had, as documented.
 */
static void test_follows_host_mm(void)
{
	unsigned long long *host, got;
	bool sync;
	struct vmm v;

	if (open_guest(&v, g_peek, "run/host-mm"))
		return;
	sync = ioctl(v.kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_MMU) > 0;
	host = (unsigned long long *)((char *)v.mem + (1 << 20));
	*host = 0x1234abcdULL;
	vmm_set_reg(&v, VMM_REG_A(0), GUEST_RAM + (1 << 20));
	if (!run_to_report(&v, 10, "run/host-mm-first-read") ||
	    !kt_check(v.run->riscv_sbi.args[0] == 0x1234abcdULL,
		      "run/host-mm-guest-sees-host-write", "read %#llx",
		      (unsigned long long)v.run->riscv_sbi.args[0]))
		goto out;
	madvise(host, 4096, MADV_DONTNEED);
	if (!run_to_report(&v, 10, "run/host-mm-second-read"))
		goto out;
	got = v.run->riscv_sbi.args[0];
	kt_check(got == (sync ? 0 : 0x1234abcdULL),
		 sync ? "run/host-mm-followed (sync-mmu)" :
			"run/host-mm-pinned (no sync-mmu)",
		 "guest read %#llx after MADV_DONTNEED", got);
out:
	vmm_close(&v);
}

/*
 * senvcfg has no VS copy: the guest's writes reach the real register, which
 * also governs host U-mode. The guest keeps its value across exits and the
 * next VM on the same hart starts from 0. 6.1's kvm.ko does not switch it:
 * there the next VM reads the last guest's value.
 */
static void test_senvcfg(void)
{
	unsigned long long got;
	cpu_set_t one, all;
	struct vmm a, b;

	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (open_guest(&a, g_envcfg_set, "run/senvcfg-set"))
		goto out;
	if (run_to_report(&a, 11, "run/senvcfg-set"))
		kt_check(a.run->riscv_sbi.args[0] == 1, "run/senvcfg-set-reads-back",
			 "senvcfg %#llx",
			 (unsigned long long)a.run->riscv_sbi.args[0]);
	if (run_to_report(&a, 12, "run/senvcfg-kept"))
		kt_check(a.run->riscv_sbi.args[0] == 1,
			 "run/senvcfg-kept-across-exit", "senvcfg %#llx",
			 (unsigned long long)a.run->riscv_sbi.args[0]);
	if (!open_guest(&b, g_envcfg_get, "run/senvcfg-fresh-vm")) {
		if (run_to_report(&b, 13, "run/senvcfg-fresh-vm")) {
			got = b.run->riscv_sbi.args[0];
			kt_check(got == (intree ? 1 : 0),
				 "run/senvcfg-not-inherited",
				 "a fresh guest on the same hart reads %#llx (%s)",
				 got, intree ? "6.1 leaves the last guest's" :
					       "want its reset value 0");
		}
		vmm_close(&b);
	}
	vmm_close(&a);
out:
	sched_setaffinity(0, sizeof(all), &all);
}

/* This thread's user, system and guest time, in clock ticks. */
static bool thread_times(long t[3])
{
	FILE *f = fopen("/proc/thread-self/stat", "r");
	char buf[1024], *p = NULL, *tok, *save;
	int field = 2;

	if (f && fgets(buf, sizeof(buf), f))
		p = strrchr(buf, ')');
	if (f)
		fclose(f);
	if (!p)
		return false;
	/* Fields after the command name start at 3 (state). */
	for (tok = strtok_r(p + 1, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		field++;
		if (field == 14)
			t[0] = atol(tok);
		else if (field == 15)
			t[1] = atol(tok);
		else if (field == 43) {
			t[2] = atol(tok);
			return true;
		}
	}
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A guest spinning for a second: the ticks that interrupt it count as guest
 * time (and in user time), not as the host's system time.
 */
static void test_guest_time(void)
{
	long t0[3], t1[3];
	struct vmm v;
	double end;
	int rc, e;

	if (open_guest(&v, g_spin, "run/guest-time"))
		return;
	if (!kt_check(thread_times(t0), "run/guest-time-stat",
		      "cannot read /proc/thread-self/stat")) {
		vmm_close(&v);
		return;
	}
	alarm_us(100000, 100000);
	end = now_s() + 1;
	do {
		rc = vmm_run_once(&v);
		e = errno;
	} while (rc == -1 && e == EINTR && now_s() < end);
	alarm_us(0, 0);
	thread_times(t1);
	kt_check(rc == -1 && e == EINTR && t1[2] - t0[2] > t1[1] - t0[1],
		 "run/guest-time",
		 "rc=%d errno=%s; ticks: %ld guest, %ld system, %ld user", rc,
		 strerrorname(e), t1[2] - t0[2], t1[1] - t0[1], t1[0] - t0[0]);
	vmm_close(&v);
}

/*
 * 20 WFI sleeps until the guest's timer: each is a context switch, which
 * raises rseq's notify-resume flag; that must not end KVM_RUN (signals and
 * task work do), so no wake-up returns to the VMM. The alarm bounds a
 * wake-up that never comes.
 */
#define RSEQ_SIG_TEST	0x0bad0bad

static void test_wfi_stays_in_kernel(void)
{
	static _Alignas(32) struct rseq rs;
	long reg;
	int rc, e, eintr = 0;
	struct vmm v;
	double end;

	if (open_guest(&v, g_wfi_timer, "run/wfi-timer"))
		return;
	vmm_set_reg(&v, VMM_REG_A(0), 20);
	/* Make sure the thread has rseq, whether or not libc registered it. */
	reg = syscall(__NR_rseq, &rs, sizeof(rs), 0, RSEQ_SIG_TEST);
	kt_check(reg == 0 || errno == EBUSY, "run/wfi-timer-rseq",
		 "rseq registration: %s", strerrorname(errno));
	alarm_us(10000000, 0);
	end = now_s() + 10;
	while ((rc = vmm_run_once(&v)) == -1 && (e = errno) == EINTR &&
	       now_s() < end)
		eintr++;
	alarm_us(0, 0);
	kt_check(rc == 0 && v.run->exit_reason == KVM_EXIT_RISCV_SBI &&
		 v.run->riscv_sbi.extension_id == SBI_EXT_TEST &&
		 v.run->riscv_sbi.function_id == 14, "run/wfi-timer",
		 "rc=%d errno=%s exit=%u pc=%#llx, %llu sleeps left", rc,
		 rc ? strerrorname(e) : "-", v.run->exit_reason,
		 (unsigned long long)vmm_get_reg(&v, VMM_REG_PC),
		 (unsigned long long)vmm_get_reg(&v, CORE_REG(9)));
	kt_check(eintr == 0, "run/wfi-wakeups-stay-in-kernel",
		 "%d KVM_RUNs ended with EINTR in 20 wake-ups", eintr);
	if (reg == 0)
		syscall(__NR_rseq, &rs, sizeof(rs), RSEQ_FLAG_UNREGISTER,
			RSEQ_SIG_TEST);
	vmm_close(&v);
}

/*
 * WFI in guest U-mode is illegal for the guest, as U-mode WFI is natively:
 * its trap handler sees scause 2 at the WFI. 6.1's kvm.ko sleeps in it
 * until a signal.
 */
static void test_wfi_user(void)
{
	unsigned long long cause, epc;
	uint32_t insn = 0;
	struct vmm v;
	int rc, e;

	if (open_guest(&v, g_wfi_user, "run/wfi-user"))
		return;
	alarm_us(300000, 0);
	rc = vmm_run_once(&v);
	e = errno;
	alarm_us(0, 0);
	if (intree) {
		kt_check(rc == -1 && e == EINTR, "run/wfi-user",
			 "6.1 sleeps in a U-mode WFI: rc=%d errno=%s", rc,
			 strerrorname(e));
		vmm_close(&v);
		return;
	}
	cause = v.run->riscv_sbi.args[0];
	epc = v.run->riscv_sbi.args[1];
	if (epc >= GUEST_RAM && epc - GUEST_RAM + 4 <= v.mem_size)
		memcpy(&insn, (char *)v.mem + (epc - GUEST_RAM), 4);
	kt_check(rc == 0 && v.run->exit_reason == KVM_EXIT_RISCV_SBI &&
		 v.run->riscv_sbi.function_id == 15 && cause == 2 &&
		 insn == 0x10500073, "run/wfi-user",
		 "rc=%d errno=%s exit=%u scause=%llu sepc=%#llx insn=%#x", rc,
		 rc ? strerrorname(e) : "-", v.run->exit_reason, cause, epc,
		 insn);
	vmm_close(&v);
}

#define ISA_EXT_SSTC	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
			 KVM_REG_RISCV_ISA_EXT | KVM_RISCV_ISA_EXT_SSTC)
#define TIMER_COMPARE	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
			 KVM_REG_RISCV_TIMER | \
			 KVM_REG_RISCV_TIMER_REG(compare))
#define CAUSE_STI	((1ULL << 63) | 5)

/* Start the guest with a0 and run it once, bounded to 10 s by the alarm. */
static int run_bounded(struct vmm *v, uint64_t a0, int *err)
{
	int rc;

	vmm_set_reg(v, VMM_REG_A(0), a0);
	alarm_us(10000000, 0);
	rc = vmm_run_once(v);
	*err = errno;
	alarm_us(0, 0);
	return rc;
}

/*
 * Sstc: a guest that writes stimecmp itself takes 20 timer interrupts,
 * sleeping in WFI before each, with no SBI call; afterwards the vCPU's
 * TIMER compare register holds the last value it wrote. With Sstc turned
 * off (rvkvm only: 6.1 refuses) stimecmp is illegal for the guest, and the
 * SBI timer still wakes WFI sleeps, through the hrtimer.
 */
static void test_sstc(void)
{
	unsigned long long cmp, cause, early, reg;
	struct vmm v;
	int rc, e;

	if (open_guest(&v, g_stimecmp, "run/sstc"))
		return;
	if (vmm_get_reg(&v, ISA_EXT_SSTC) != 1) {
		kt_skip("run/sstc", "this host has no Sstc");
		vmm_close(&v);
		return;
	}
	rc = run_bounded(&v, 20, &e);
	cmp = v.run->riscv_sbi.args[0];
	cause = v.run->riscv_sbi.args[1];
	early = v.run->riscv_sbi.args[2];
	kt_check(rc == 0 && v.run->exit_reason == KVM_EXIT_RISCV_SBI &&
		 v.run->riscv_sbi.function_id == 16 && cause == CAUSE_STI &&
		 early == 0, "run/sstc",
		 "rc=%d errno=%s exit=%u scause=%#llx, %llu of 20 early", rc,
		 rc ? strerrorname(e) : "-", v.run->exit_reason, cause, early);
	reg = vmm_get_reg(&v, TIMER_COMPARE);
	kt_check(reg == cmp, "run/sstc-compare-saved",
		 "guest wrote %#llx, compare reads %#llx", cmp, reg);
	vmm_close(&v);

	if (open_guest(&v, g_stimecmp, "run/sstc-off"))
		return;
	rc = vmm_set_reg(&v, ISA_EXT_SSTC, 0);
	if (intree) {
		KT_ERRNO(rc, EINVAL, "run/sstc-off");
		vmm_close(&v);
		return;
	}
	rc = run_bounded(&v, 20, &e);
	cause = v.run->riscv_sbi.args[1];
	kt_check(rc == 0 && v.run->exit_reason == KVM_EXIT_RISCV_SBI &&
		 v.run->riscv_sbi.function_id == 16 && cause == 2,
		 "run/sstc-off", "rc=%d errno=%s exit=%u scause=%#llx", rc,
		 rc ? strerrorname(e) : "-", v.run->exit_reason, cause);
	vmm_close(&v);

	if (open_guest(&v, g_wfi_timer, "run/wfi-timer-hrtimer"))
		return;
	vmm_set_reg(&v, ISA_EXT_SSTC, 0);
	rc = run_bounded(&v, 20, &e);
	kt_check(rc == 0 && v.run->exit_reason == KVM_EXIT_RISCV_SBI &&
		 v.run->riscv_sbi.function_id == 14 &&
		 vmm_get_reg(&v, ISA_EXT_SSTC) == 0, "run/wfi-timer-hrtimer",
		 "rc=%d errno=%s exit=%u", rc, rc ? strerrorname(e) : "-",
		 v.run->exit_reason);
	vmm_close(&v);
}

int main(int argc, char **argv)
{
	dev = argc > 1 ? argv[1] : "/dev/kvm";
	intree = argc > 2 && !strcmp(argv[2], "intree");
	test_forward_and_mmio();
	test_compressed_mmio();
	test_sbi_in_kernel();
	test_illegal_redirected();
	test_srst();
	test_ram();
	test_signal_and_immediate_exit();
	test_signal_mask();
	test_follows_host_mm();
	test_senvcfg();
	test_guest_time();
	test_wfi_stays_in_kernel();
	test_wfi_user();
	test_sstc();
	return kt_exit_code();
}
