/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs for tests/api/run.c. Copied into guest RAM as one blob
 * and entered at a label, so everything here is position-independent.
 * "report" hands a0/a1 to the VMM through an SBI call it handles itself.
 */
#include "../lib/guest_report.inc"

#define MMIO		0x10000000

	.text
	.balign	4
	.globl	guest_start
guest_start:

/* SBI forward, then MMIO: store the returned a0, load a byte, report it. */
	.globl	g_forward
g_forward:
	li	a0, 42
	li	a1, 43
	report	7
	li	t0, MMIO
	sd	a0, 0(t0)
	lb	a0, 8(t0)
	report	8
1:	j	1b

/* Compressed MMIO: c.sw then c.lw (x8-x15 registers). */
	.globl	g_compressed
g_compressed:
	li	s0, MMIO
	li	s1, 0x5a5a1234
	c.sw	s1, 4(s0)
	c.lw	a0, 8(s0)
	report	9
1:	j	1b

/*
 * BASE get_spec_version and probe(TIME), handled in the kernel; then
 * probe(8), the last legacy extension, and probe(9), which does not exist.
 */
	.globl	g_base
g_base:
	li	a7, 0x10
	li	a6, 0
	ecall
	mv	s1, a1
	li	a7, 0x10
	li	a6, 3
	li	a0, 0x54494d45
	ecall
	mv	s2, a0
	mv	s3, a1
	li	a7, 0x10
	li	a6, 3
	li	a0, 8
	ecall
	mv	s4, a1
	li	a7, 0x10
	li	a6, 3
	li	a0, 9
	ecall
	mv	a4, a1
	mv	a3, s4
	mv	a2, s3
	mv	a1, s2
	mv	a0, s1
	report	1
1:	j	1b

/* An SBI extension nobody implements. */
	.globl	g_unknown
g_unknown:
	li	a7, 0x12345678
	li	a6, 0
	ecall
	report	2
1:	j	1b

/* An illegal instruction the guest handles through its own stvec. */
	.globl	g_illegal
g_illegal:
	lla	t0, 2f
	csrw	stvec, t0
	.word	0
1:	j	1b
	.balign	4
2:	csrr	a0, scause
	csrr	a1, sepc
	report	3
1:	j	1b

/* SRST shutdown. */
	.globl	g_srst
g_srst:
	li	a7, 0x53525354
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
1:	j	1b

/* Guest RAM: write at a0 (given by the VMM), read back, report. */
	.globl	g_ram
g_ram:
	li	t1, 0x1122334455667788
	sd	t1, 0(a0)
	ld	a0, 0(a0)
	report	4
1:	j	1b

/* WFI with every interrupt disabled: sleeps until the VMM is signalled. */
	.globl	g_wfi
g_wfi:
	csrw	sie, zero
	wfi
	report	5
1:	j	1b

/* Load from a0 and report the value, again on every resume. */
	.globl	g_peek
g_peek:
	mv	s1, a0
1:	ld	a0, 0(s1)
	report	10
	j	1b

/* senvcfg has no VS copy: set FIOM, read it back, again after an exit. */
#define CSR_SENVCFG	0x10a
	.globl	g_envcfg_set
g_envcfg_set:
	csrwi	CSR_SENVCFG, 1
	csrr	a0, CSR_SENVCFG
	report	11
	csrr	a0, CSR_SENVCFG
	report	12
1:	j	1b

/* What senvcfg reads in a fresh guest. */
	.globl	g_envcfg_get
g_envcfg_get:
	csrr	a0, CSR_SENVCFG
	report	13
1:	j	1b

/* A guest that only spins. */
	.globl	g_spin
g_spin:
1:	j	1b

/*
 * a0 times: set the SBI timer 1 ms (10^4 ticks at QEMU's 10 MHz) ahead,
 * WFI with interrupts disabled, then open them to take the timer
 * interrupt, as Linux's idle loop does; then report.
 */
#define SBI_EXT_TIME	0x54494d45
#define SIE_STIE	0x20
	.globl	g_wfi_timer
g_wfi_timer:
	mv	s1, a0
	lla	t0, 3f
	csrw	stvec, t0
	li	t0, SIE_STIE
	csrs	sie, t0
1:	rdtime	a0
	li	t0, 10000
	add	a0, a0, t0
	li	a7, SBI_EXT_TIME
	li	a6, 0
	ecall
2:	wfi
	csrsi	sstatus, 2
	csrci	sstatus, 2
	j	2b
	.balign	4
3:	addi	s1, s1, -1
	bnez	s1, 1b
	li	a0, -1
	li	a7, SBI_EXT_TIME
	li	a6, 0
	ecall
	report	14
1:	j	1b

/*
 * Sstc: a0 timer interrupts programmed by writing stimecmp, each awaited
 * in WFI, with no SBI call. Reports 16: a0 the last compare value written,
 * a1 the scause of the last trap (an illegal instruction without Sstc),
 * a2 the number of traps taken before time reached the compare value.
 */
#define CSR_STIMECMP	0x14d

	.globl	g_stimecmp
g_stimecmp:
	mv	s1, a0
	li	s4, 0
	lla	t0, 3f
	csrw	stvec, t0
	li	t0, SIE_STIE
	csrs	sie, t0
1:	rdtime	s2
	li	t0, 10000
	add	s2, s2, t0
	csrw	CSR_STIMECMP, s2
2:	wfi
	csrsi	sstatus, 2
	csrci	sstatus, 2
	j	2b
	.balign	4
3:	csrr	s3, scause
	rdtime	t1
	bgeu	t1, s2, 4f
	addi	s4, s4, 1
4:	addi	s1, s1, -1
	bnez	s1, 1b
	li	t0, SIE_STIE
	csrc	sie, t0
	mv	a0, s2
	mv	a1, s3
	mv	a2, s4
	report	16
1:	j	1b

/* WFI in U-mode: the guest's own trap handler reports scause and sepc. */
	.globl	g_wfi_user
g_wfi_user:
	lla	t0, 2f
	csrw	stvec, t0
	lla	t0, 1f
	csrw	sepc, t0
	li	t0, 0x100
	csrc	sstatus, t0
	sret
1:	wfi
	j	1b
	.balign	4
2:	csrr	a0, scause
	csrr	a1, sepc
	report	15
3:	j	3b

	.globl	guest_end
guest_end:
