/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs for tests/bench/bench.c, copied to the start of guest RAM
 * as one blob (position-independent). Each program first reports to the
 * VMM through the test SBI extension, then waits there for work: the SBI
 * return value a0 is the number of operations to do. After doing them it
 * reports again (a0 = errors seen, a1 = last value) and waits for the next
 * count. A count of 0 does no work: the VMM times it to subtract the cost
 * of the report round trip itself.
 */
#define SBI_EXT_TEST	0x08ffffff
#define FN_DONE		1

/* Report s4/s5 and wait for the next count in s0; loops while it is 0. */
.macro wait_count
1:	mv	a0, s4
	mv	a1, s5
	li	a7, SBI_EXT_TEST
	li	a6, FN_DONE
	ecall
	mv	s0, a0
	li	s4, 0
	beqz	s0, 1b
.endm

	.text
	.balign	4
	.globl	guest_start
guest_start:

/*
 * SBI calls handled in the kernel: a0 = extension, a1 = function,
 * a2 = the error code expected back in a0. s4 counts wrong answers, s5
 * keeps the last a1 (the value).
 */
	.globl	g_sbi
g_sbi:
	mv	s1, a0
	mv	s2, a1
	mv	s3, a2
	li	s4, 0
	li	s5, 0
2:	wait_count
3:	mv	a7, s1
	mv	a6, s2
	li	a0, 0
	ecall
	beq	a0, s3, 4f
	addi	s4, s4, 1
4:	mv	s5, a1
	addi	s0, s0, -1
	bnez	s0, 3b
	j	2b

/* MMIO stores to the unbacked address a0: the remaining count each time. */
	.globl	g_mmio
g_mmio:
	mv	s1, a0
	li	s4, 0
	li	s5, 0
2:	wait_count
3:	sd	s0, 0(s1)
	addi	s0, s0, -1
	bnez	s0, 3b
	j	2b

/*
 * Store to count pages from a0 on, a1 bytes apart: page i gets the value
 * count - i. s5 reports the number of pages written.
 */
	.globl	g_touch
g_touch:
	mv	s1, a0
	mv	s2, a1
	li	s4, 0
	li	s5, 0
2:	wait_count
	mv	s5, s0
	mv	t0, s1
3:	sd	s0, 0(t0)
	add	t0, t0, s2
	addi	s0, s0, -1
	bnez	s0, 3b
	j	2b

/*
 * Timer interrupts: each requested with SBI set_timer for the current
 * time and taken at once, through the guest's own trap handler. s4
 * counts traps that were not the timer interrupt; s5 keeps the last
 * scause.
 */
#define SBI_EXT_TIME	0x54494d45
#define SIE_STIE	0x20

	.globl	g_timer_irq
g_timer_irq:
	lla	t0, 5f
	csrw	stvec, t0
	li	t0, SIE_STIE
	csrs	sie, t0
	li	s4, 0
	li	s5, 0
2:	wait_count
3:	rdtime	a0
	li	a7, SBI_EXT_TIME
	li	a6, 0
	ecall
	csrsi	sstatus, 2
4:	wfi
	j	4b
	.balign	4
5:	csrr	s5, scause
	li	t0, 1
	slli	t0, t0, 63
	addi	t0, t0, 5
	beq	s5, t0, 6f
	addi	s4, s4, 1
6:	addi	s0, s0, -1
	bnez	s0, 3b
	li	a0, -1
	li	a7, SBI_EXT_TIME
	li	a6, 0
	ecall
	j	2b

	.globl	guest_end
guest_end:
