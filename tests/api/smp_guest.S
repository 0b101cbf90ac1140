/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs for tests/api/smp.c: several vCPUs, interrupts, timers.
 * Position-independent; "report N" exits to the VMM with a0..a2.
 */
#include "../lib/guest_report.inc"

#define SBI_EXT_TIME	0x54494d45
#define SBI_EXT_IPI	0x735049
#define SBI_EXT_HSM	0x48534d

.macro sbi ext, fn
	li	a7, \ext
	li	a6, \fn
	ecall
.endm

	.text
	.balign	4
	.globl	smp_start
smp_start:

/* vCPU 0: start hart 1, ask its status, start it again. */
	.globl	g_hsm_boot
g_hsm_boot:
	li	a0, 1
	lla	a1, g_hsm_secondary
	li	a2, 0x55
	sbi	SBI_EXT_HSM, 0
	mv	s1, a0
	li	a0, 1
	sbi	SBI_EXT_HSM, 2
	mv	a0, s1
	report	20
	li	a0, 1
	lla	a1, g_hsm_secondary
	li	a2, 0
	sbi	SBI_EXT_HSM, 0
	report	21
1:	j	1b

/* Hart 1 after an HSM start: a0 = hartid, a1 = opaque. */
	.globl	g_hsm_secondary
g_hsm_secondary:
	report	22
1:	j	1b

/*
 * HSM suspend: a reserved type and the non-retentive default are refused;
 * then a retentive suspend with only sie.SEIE set (sstatus.SIE clear)
 * returns once an external interrupt is pending, without a trap; setting
 * sstatus.SIE then takes it. Reports the suspend's error and scause.
 */
	.globl	g_hsm_suspend
g_hsm_suspend:
	li	t0, 0x200
	csrw	sie, t0
	li	a0, 1
	sbi	SBI_EXT_HSM, 3
	mv	s1, a0
	li	a0, 0x80000000
	li	a1, 0
	li	a2, 0
	sbi	SBI_EXT_HSM, 3
	mv	a1, a0
	mv	a0, s1
	report	80
	li	a0, 0
	sbi	SBI_EXT_HSM, 3
	mv	s1, a0
	lla	t0, 2f
	csrw	stvec, t0
	csrsi	sstatus, 2
	nop
	li	a1, 0
	mv	a0, s1
	report	81
1:	j	1b
	.balign	4
2:	csrr	a1, scause
	mv	a0, s1
	report	81
1:	j	1b

/* Read hart 1's HSM status until it is not STARTED, a0 times at most. */
	.globl	g_hsm_watch
g_hsm_watch:
	mv	s1, a0
1:	li	a0, 1
	sbi	SBI_EXT_HSM, 2
	bnez	a1, 2f
	addi	s1, s1, -1
	bnez	s1, 1b
2:	mv	a0, a1
	mv	a1, s1
	report	82
1:	j	1b

/* A hart that arms a timer far ahead, then stops itself. */
	.globl	g_timer_stop
g_timer_stop:
	rdtime	a0
	li	t0, 1000000000
	add	a0, a0, t0
	sbi	SBI_EXT_TIME, 0
	sbi	SBI_EXT_HSM, 1
1:	j	1b

/* Wait for an interrupt enabled by the sie mask in a0, report scause. */
	.globl	g_irq_wait
g_irq_wait:
	lla	t0, 2f
	csrw	stvec, t0
	csrw	sie, a0
	csrsi	sstatus, 2
	report	30
1:	wfi
	j	1b
	.balign	4
2:	csrr	s1, scause
	csrci	sip, 2
	mv	a0, s1
	report	31
1:	j	1b

/* Send an IPI to hart 1. */
	.globl	g_ipi_send
g_ipi_send:
	li	a0, 2
	li	a1, 0
	sbi	SBI_EXT_IPI, 0
	report	32
1:	j	1b

/* Timer interrupt 10 ms (at a 10 MHz timebase) from now. */
	.globl	g_timer
g_timer:
	lla	t0, 2f
	csrw	stvec, t0
	li	t0, 0x20
	csrw	sie, t0
	csrsi	sstatus, 2
	rdtime	s3
	li	t1, 100000
	add	a0, s3, t1
	sbi	SBI_EXT_TIME, 0
1:	wfi
	j	1b
	.balign	4
2:	csrr	s1, scause
	rdtime	s2
	li	a0, -1
	sbi	SBI_EXT_TIME, 0
	mv	a0, s1
	sub	a1, s2, s3
	report	40
1:	j	1b

/* Count and report, forever: registers must survive every exit. */
	.globl	g_count
g_count:
	li	s1, 0
1:	addi	s1, s1, 1
	mv	a0, s1
	report	60
	j	1b

/*
 * Write the pattern in a1 to the RAM at a0, mixed with a counter, read it
 * back and report what was read: another VM's data must never show up.
 */
	.globl	g_pattern
g_pattern:
	li	s1, 0
1:	addi	s1, s1, 1
	xor	t1, a1, s1
	sd	t1, 0(a0)
	ld	t2, 0(a0)
	sub	s2, t2, t1
	mv	s3, a0
	mv	s4, a1
	mv	a0, s2
	mv	a1, s1
	report	70
	mv	a0, s3
	mv	a1, s4
	j	1b

	.globl	smp_end
smp_end:
