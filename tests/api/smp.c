// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs, interrupts and timers: smp DEV [intree]; or
 * smp DEV coexist OTHER_DEV for guests of two hypervisors at once. HSM and
 * status, SBI IPIs, the SBI timer, KVM_INTERRUPT from another thread while
 * KVM_RUN sleeps in WFI, MP_STATE, and a vCPU thread moved between host
 * CPUs on every exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "../lib/ktest.h"
#include "../lib/vmm.h"
#include "smp_guest.h"

#define IRQ_FLAG	(1ULL << 63)
#define MP(s)		((struct kvm_mp_state){ .mp_state = (s) })
#define TIMER_REG(name)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
			 KVM_REG_RISCV_TIMER | KVM_REG_RISCV_TIMER_REG(name))

static const char *dev;
static bool intree;

static int open_vm(struct vmm *v, const char *entry, const char *name)
{
	if (vmm_open(v, dev, 2 << 20, smp_start, smp_end, entry)) {
		kt_check(false, name, "VM setup: %s", strerrorname(errno));
		vmm_close(v);
		return -1;
	}
	return 0;
}

static bool reported(int rc, struct kvm_run *r, unsigned long fn)
{
	return rc == 0 && r->exit_reason == KVM_EXIT_RISCV_SBI &&
	       r->riscv_sbi.extension_id == SBI_EXT_TEST &&
	       r->riscv_sbi.function_id == fn;
}

struct runner {
	int fd;
	struct kvm_run *run;
	int rc, err;
	pthread_t thread;
};

static void *run_thread(void *arg)
{
	struct runner *t = arg;

	t->rc = vcpu_run(t->fd);
	t->err = errno;
	return NULL;
}

static void test_hsm(void)
{
	struct kvm_mp_state mp;
	struct runner sec = { 0 };
	struct vmm v;
	int rc;

	if (open_vm(&v, g_hsm_boot, "smp/hsm"))
		return;
	sec.fd = vmm_add_vcpu(&v, 1, &sec.run);
	if (!kt_check(sec.fd >= 0, "smp/hsm-second-vcpu", "%s",
		      strerrorname(errno)))
		goto out;
	rc = ioctl(sec.fd, KVM_GET_MP_STATE, &mp);
	kt_check(rc == 0 && mp.mp_state == KVM_MP_STATE_STOPPED,
		 "smp/vcpu1-starts-stopped", "rc=%d state=%u", rc, mp.mp_state);
	/* vCPU 1 sleeps in KVM_RUN until vCPU 0 starts it. */
	pthread_create(&sec.thread, NULL, run_thread, &sec);

	rc = vmm_run(&v);
	kt_check(reported(rc, v.run, 20) && v.run->riscv_sbi.args[0] == 0 &&
		 v.run->riscv_sbi.args[1] == 0, "smp/hsm-start-and-status",
		 "rc=%d start err %lld status %lld", rc,
		 (long long)v.run->riscv_sbi.args[0],
		 (long long)v.run->riscv_sbi.args[1]);
	pthread_join(sec.thread, NULL);
	kt_check(reported(sec.rc, sec.run, 22) &&
		 sec.run->riscv_sbi.args[0] == 1 &&
		 sec.run->riscv_sbi.args[1] == 0x55, "smp/hsm-secondary-runs",
		 "rc=%d exit=%u hartid %llu opaque %#llx", sec.rc,
		 sec.run->exit_reason,
		 (unsigned long long)sec.run->riscv_sbi.args[0],
		 (unsigned long long)sec.run->riscv_sbi.args[1]);
	rc = ioctl(sec.fd, KVM_GET_MP_STATE, &mp);
	kt_check(rc == 0 && mp.mp_state == KVM_MP_STATE_RUNNABLE,
		 "smp/vcpu1-runnable-after-start", "state=%u", mp.mp_state);

	rc = vmm_run(&v);
	kt_check(reported(rc, v.run, 21) &&
		 (long long)v.run->riscv_sbi.args[0] == -6,
		 "smp/hsm-start-running-hart", "err %lld",
		 (long long)v.run->riscv_sbi.args[0]);
	close(sec.fd);
out:
	vmm_close(&v);
}

/*
 * HSM hart_suspend: reserved and non-retentive types are refused; a
 * retentive suspend sleeps in KVM_RUN until KVM_INTERRUPT. Meanwhile the
 * other hart reads it as SUSPENDED on rvkvm; 6.1's kvm.ko says STARTED, so
 * there vCPU 0 asks a few times only.
 */
static void test_hsm_suspend(void)
{
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };
	struct runner sec = { 0 };
	struct kvm_run *r;
	struct vmm v;
	int rc;

	if (open_vm(&v, g_hsm_watch, "smp/hsm-suspend"))
		return;
	sec.fd = vmm_add_vcpu(&v, 1, &sec.run);
	r = sec.run;
	if (sec.fd < 0 ||
	    ioctl(sec.fd, KVM_SET_MP_STATE, &MP(KVM_MP_STATE_RUNNABLE)) ||
	    vcpu_set_reg(sec.fd, VMM_REG_PC,
			 vmm_gpa_of(smp_start, g_hsm_suspend))) {
		kt_check(false, "smp/hsm-suspend", "vCPU 1 setup: %s",
			 strerrorname(errno));
		goto out;
	}
	rc = vcpu_run(sec.fd);
	if (!kt_check(reported(rc, r, 80) &&
		      (long long)r->riscv_sbi.args[0] == -3 &&
		      (long long)r->riscv_sbi.args[1] == -2,
		      "smp/hsm-suspend-types",
		      "rc=%d reserved type: %lld, non-retentive: %lld", rc,
		      (long long)r->riscv_sbi.args[0],
		      (long long)r->riscv_sbi.args[1]))
		goto out;

	/* vCPU 1 suspends in its KVM_RUN while vCPU 0 watches it. */
	pthread_create(&sec.thread, NULL, run_thread, &sec);
	usleep(20000);
	vmm_set_reg(&v, VMM_REG_A(0), intree ? 2000 : 2000000);
	rc = vmm_run(&v);
	kt_check(reported(rc, v.run, 82) &&
		 v.run->riscv_sbi.args[0] == (intree ? 0 : 4),
		 "smp/hsm-status-suspended", "rc=%d status %lld, %llu polls left",
		 rc, (long long)v.run->riscv_sbi.args[0],
		 (unsigned long long)v.run->riscv_sbi.args[1]);
	rc = ioctl(sec.fd, KVM_INTERRUPT, &irq);
	pthread_join(sec.thread, NULL);
	kt_check(rc == 0 && reported(sec.rc, r, 81) &&
		 r->riscv_sbi.args[0] == 0 &&
		 r->riscv_sbi.args[1] == (IRQ_FLAG | 9),
		 "smp/hsm-suspend-wakes-on-interrupt",
		 "KVM_INTERRUPT rc=%d, KVM_RUN rc=%d exit=%u err %lld scause %#llx",
		 rc, sec.rc, r->exit_reason, (long long)r->riscv_sbi.args[0],
		 (unsigned long long)r->riscv_sbi.args[1]);
out:
	if (sec.fd > 0)
		close(sec.fd);
	vmm_close(&v);
}

/* vCPU 1 waits in WFI for a software interrupt that vCPU 0 sends. */
static void test_ipi(void)
{
	struct runner waiter = { 0 };
	struct vmm v;
	int rc;

	if (open_vm(&v, g_ipi_send, "smp/ipi"))
		return;
	waiter.fd = vmm_add_vcpu(&v, 1, &waiter.run);
	if (waiter.fd < 0 ||
	    ioctl(waiter.fd, KVM_SET_MP_STATE, &MP(KVM_MP_STATE_RUNNABLE)) ||
	    vcpu_set_reg(waiter.fd, VMM_REG_PC,
			 vmm_gpa_of(smp_start, g_irq_wait)) ||
	    vcpu_set_reg(waiter.fd, VMM_REG_A(0), 2)) {
		kt_check(false, "smp/ipi", "vCPU 1 setup: %s",
			 strerrorname(errno));
		goto out;
	}
	rc = vcpu_run(waiter.fd);
	if (!kt_check(reported(rc, waiter.run, 30), "smp/ipi-waiter-ready",
		      "rc=%d exit=%u", rc, waiter.run->exit_reason))
		goto out;
	pthread_create(&waiter.thread, NULL, run_thread, &waiter);
	usleep(20000);

	rc = vmm_run(&v);
	kt_check(reported(rc, v.run, 32) && v.run->riscv_sbi.args[0] == 0,
		 "smp/ipi-sent", "rc=%d err %lld", rc,
		 (long long)v.run->riscv_sbi.args[0]);
	pthread_join(waiter.thread, NULL);
	kt_check(reported(waiter.rc, waiter.run, 31) &&
		 waiter.run->riscv_sbi.args[0] == (IRQ_FLAG | 1),
		 "smp/ipi-received", "rc=%d scause %#llx", waiter.rc,
		 (unsigned long long)waiter.run->riscv_sbi.args[0]);
out:
	if (waiter.fd > 0)
		close(waiter.fd);
	vmm_close(&v);
}

static void test_timer(void)
{
	struct vmm v;
	int rc;

	if (open_vm(&v, g_timer, "smp/timer"))
		return;
	rc = vmm_run(&v);
	kt_check(reported(rc, v.run, 40) &&
		 v.run->riscv_sbi.args[0] == (IRQ_FLAG | 5) &&
		 v.run->riscv_sbi.args[1] >= 100000, "smp/sbi-timer-interrupt",
		 "rc=%d scause %#llx after %llu ticks", rc,
		 (unsigned long long)v.run->riscv_sbi.args[0],
		 (unsigned long long)v.run->riscv_sbi.args[1]);
	vmm_close(&v);
}

static uint64_t vcpu_get_reg(int fd, uint64_t id)
{
	uint64_t val = 0x5a5a5a5a;
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	ioctl(fd, KVM_GET_ONE_REG, &r);
	return val;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * An HSM start resets the hart it starts: a timer that hart armed before
 * its hart_stop is gone afterwards (compare -1, state off), as on kvm.ko.
 * The alarm ends the KVM_RUN that sleeps in the stopped state.
 */
static void test_hsm_start_resets_timer(void)
{
	struct itimerval it = { .it_value = { .tv_usec = 200000 } }, off = { };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct runner sec = { 0 };
	struct kvm_mp_state mp = { 0 };
	uint64_t cmp;
	struct vmm v;
	int rc, e;

	if (open_vm(&v, g_hsm_boot, "smp/hsm-start-resets-timer"))
		return;
	sec.fd = vmm_add_vcpu(&v, 1, &sec.run);
	if (!kt_check(sec.fd >= 0, "smp/hsm-start-resets-timer", "vCPU 1: %s",
		      strerrorname(errno)))
		goto out;
	vcpu_set_reg(sec.fd, VMM_REG_PC, vmm_gpa_of(smp_start, g_timer_stop));
	ioctl(sec.fd, KVM_SET_MP_STATE, &MP(KVM_MP_STATE_RUNNABLE));
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	rc = ioctl(sec.fd, KVM_RUN, 0);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	ioctl(sec.fd, KVM_GET_MP_STATE, &mp);
	cmp = vcpu_get_reg(sec.fd, TIMER_REG(compare));
	if (!kt_check(rc == -1 && e == EINTR &&
		      mp.mp_state == KVM_MP_STATE_STOPPED && cmp != ~0ULL,
		      "smp/hsm-stop-with-timer",
		      "rc=%d errno=%s state=%u compare %#llx", rc,
		      strerrorname(e), mp.mp_state, (unsigned long long)cmp))
		goto out;

	pthread_create(&sec.thread, NULL, run_thread, &sec);
	rc = vmm_run(&v);
	pthread_join(sec.thread, NULL);
	cmp = vcpu_get_reg(sec.fd, TIMER_REG(compare));
	kt_check(reported(rc, v.run, 20) && reported(sec.rc, sec.run, 22) &&
		 cmp == ~0ULL && vcpu_get_reg(sec.fd, TIMER_REG(state)) ==
		 KVM_RISCV_TIMER_STATE_OFF, "smp/hsm-start-resets-timer",
		 "rc=%d/%d compare %#llx", rc, sec.rc,
		 (unsigned long long)cmp);
out:
	if (sec.fd > 0)
		close(sec.fd);
	vmm_close(&v);
}

static void *inject_later(void *arg)
{
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };
	struct runner *t = arg;

	usleep(50000);
	t->rc = ioctl(t->fd, KVM_INTERRUPT, &irq);
	t->err = errno;
	return NULL;
}

/* KVM_INTERRUPT from another thread while KVM_RUN sleeps in WFI. */
static void test_interrupt(void)
{
	struct kvm_interrupt bad = { .irq = 5 };
	struct runner inj = { 0 };
	struct vmm v;
	int rc;

	if (open_vm(&v, g_irq_wait, "smp/kvm-interrupt"))
		return;
	vmm_set_reg(&v, VMM_REG_A(0), 0x200);
	rc = vmm_run(&v);
	if (!kt_check(reported(rc, v.run, 30), "smp/kvm-interrupt-ready",
		      "rc=%d exit=%u", rc, v.run->exit_reason))
		goto out;
	inj.fd = v.vcpu;
	pthread_create(&inj.thread, NULL, inject_later, &inj);
	rc = vmm_run(&v);
	pthread_join(inj.thread, NULL);
	kt_check(inj.rc == 0, "smp/kvm-interrupt-async", "%s",
		 strerrorname(inj.err));
	kt_check(reported(rc, v.run, 31) &&
		 v.run->riscv_sbi.args[0] == (IRQ_FLAG | 9),
		 "smp/kvm-interrupt-delivered", "rc=%d scause %#llx", rc,
		 (unsigned long long)v.run->riscv_sbi.args[0]);
	rc = ioctl(v.vcpu, KVM_INTERRUPT,
		   &(struct kvm_interrupt){ .irq = KVM_INTERRUPT_UNSET });
	kt_check(rc == 0, "smp/kvm-interrupt-unset", "%s", strerrorname(errno));
	/*
	 * Only SET and UNSET are defined. In-tree 6.1 treats any other value
	 * as UNSET; rvkvm refuses it, as KVM refuses undefined arguments.
	 */
	rc = ioctl(v.vcpu, KVM_INTERRUPT, &bad);
	if (intree)
		kt_check(rc == 0, "smp/kvm-interrupt-bad-irq",
			 "6.1 used to take it as UNSET: %s", strerrorname(errno));
	else
		KT_ERRNO(rc, EINVAL, "smp/kvm-interrupt-bad-irq");
out:
	vmm_close(&v);
}

static void test_mp_state(void)
{
	struct kvm_mp_state mp;
	struct vmm v;
	int rc;

	if (open_vm(&v, g_count, "smp/mp-state"))
		return;
	rc = ioctl(v.vcpu, KVM_GET_MP_STATE, &mp);
	kt_check(rc == 0 && mp.mp_state == KVM_MP_STATE_RUNNABLE,
		 "smp/vcpu0-starts-runnable", "state=%u", mp.mp_state);
	rc = ioctl(v.vcpu, KVM_SET_MP_STATE, &MP(KVM_MP_STATE_STOPPED));
	kt_check(rc == 0 && !ioctl(v.vcpu, KVM_GET_MP_STATE, &mp) &&
		 mp.mp_state == KVM_MP_STATE_STOPPED, "smp/mp-state-stop",
		 "rc=%d state=%u", rc, mp.mp_state);
	rc = ioctl(v.vcpu, KVM_SET_MP_STATE, &MP(KVM_MP_STATE_HALTED));
	KT_ERRNO(rc, EINVAL, "smp/mp-state-invalid");
	v.run->immediate_exit = 0;
	rc = ioctl(v.vcpu, KVM_SET_MP_STATE, &MP(KVM_MP_STATE_RUNNABLE));
	kt_check(rc == 0 && reported(vmm_run(&v), v.run, 60),
		 "smp/mp-state-runnable-runs", "rc=%d exit=%u", rc,
		 v.run->exit_reason);
	vmm_close(&v);
}

struct mover {
	pthread_t target;
	int stop;		/* atomic: set by the test thread */
	int moves;
};

static void *move_thread(void *arg)
{
	struct mover *m = arg;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		CPU_ZERO(&set);
		CPU_SET(m->moves++ % ncpu, &set);
		pthread_setaffinity_np(m->target, sizeof(set), &set);
		usleep(500);
	}
	return NULL;
}

/* The vCPU thread hops between host CPUs while the guest counts. */
static void test_migration(void)
{
	struct mover m = { .target = pthread_self() };
	pthread_t mover;
	int i, bad = -1, rc = 0;
	struct vmm v;
	cpu_set_t all;

	if (open_vm(&v, g_count, "smp/migrate"))
		return;
	pthread_create(&mover, NULL, move_thread, &m);
	for (i = 1; i <= 2000 && bad < 0; i++) {
		rc = vmm_run(&v);
		if (!reported(rc, v.run, 60) || v.run->riscv_sbi.args[0] != (unsigned long)i)
			bad = i;
		if (i % 100 == 0)
			sched_yield();
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	pthread_join(mover, NULL);
	CPU_ZERO(&all);
	for (i = 0; i < sysconf(_SC_NPROCESSORS_ONLN); i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);
	kt_check(bad < 0 && m.moves > 10, "smp/vcpu-migrates-between-cpus",
		 "run %d: rc=%d exit=%u a0=%llu after %d moves", bad, rc,
		 v.run->exit_reason,
		 (unsigned long long)v.run->riscv_sbi.args[0], m.moves);
	vmm_close(&v);
}

struct pattern_vm {
	struct vmm v;
	const char *dev;
	unsigned long pattern;
	int runs, bad, rc;
};

static void *pattern_thread(void *arg)
{
	struct pattern_vm *p = arg;
	int i;

	for (i = 1; i <= p->runs; i++) {
		p->rc = vmm_run(&p->v);
		if (!reported(p->rc, p->v.run, 70) ||
		    p->v.run->riscv_sbi.args[0] != 0 ||
		    p->v.run->riscv_sbi.args[1] != (unsigned long)i) {
			p->bad = i;
			break;
		}
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/*
 * rvkvm and the in-tree kvm.ko hand out the same VMIDs: two guests, one on
 * each, at the same guest physical address with different data, run at
 * once on the same CPUs. A G-stage TLB entry leaking from one to the other
 * would show as the other VM's data. (QEMU flushes its TLB on every hgatp
 * write, so there this guards the logic; on hardware it guards the TLB.)
 */
static void test_coexisting_guests(const char *other)
{
	struct pattern_vm vms[2] = {
		{ .dev = dev, .pattern = 0x5151515151515151UL, .runs = 1500 },
		{ .dev = other, .pattern = 0xa2a2a2a2a2a2a2a2UL, .runs = 1500 },
	};
	struct mover m = { 0 };
	pthread_t threads[2], mover;
	int i;

	for (i = 0; i < 2; i++) {
		if (vmm_open(&vms[i].v, vms[i].dev, 2 << 20, smp_start,
			     smp_end, g_pattern)) {
			kt_check(false, "smp/coexist-setup", "%s: %s",
				 vms[i].dev, strerrorname(errno));
			goto out;
		}
		vmm_set_reg(&vms[i].v, VMM_REG_A(0), GUEST_RAM + (1 << 20));
		vmm_set_reg(&vms[i].v, VMM_REG_A(1), vms[i].pattern);
	}
	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, pattern_thread, &vms[i]);
	m.target = threads[0];
	pthread_create(&mover, NULL, move_thread, &m);
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	pthread_join(mover, NULL);
	for (i = 0; i < 2; i++) {
		kt_check(!vms[i].bad, i ? "smp/coexist-guest-kvm.ko" :
			 "smp/coexist-guest-rvkvm",
			 "%s: run %d rc=%d exit=%u diff %#llx", vms[i].dev,
			 vms[i].bad, vms[i].rc, vms[i].v.run->exit_reason,
			 (unsigned long long)vms[i].v.run->riscv_sbi.args[0]);
	}
out:
	for (i = 0; i < 2; i++)
		vmm_close(&vms[i].v);
}

int main(int argc, char **argv)
{
	dev = argc > 1 ? argv[1] : "/dev/kvm";
	intree = argc > 2 && !strcmp(argv[2], "intree");
	if (argc > 3 && !strcmp(argv[2], "coexist")) {
		test_coexisting_guests(argv[3]);
		return kt_exit_code();
	}
	test_hsm();
	test_hsm_start_resets_timer();
	test_hsm_suspend();
	test_ipi();
	test_timer();
	test_interrupt();
	test_mp_state();
	test_migration();
	return kt_exit_code();
}
