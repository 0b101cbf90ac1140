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

/* BASE get_spec_version and probe(TIME), handled in the kernel. */
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
	mv	a2, a1
	mv	a1, a0
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

	.globl	guest_end
guest_end:
