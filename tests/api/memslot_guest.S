/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest program for tests/api/memslot.c, copied to the start of guest RAM
 * (position-independent). One command loop: a0 holds an 8-byte aligned
 * guest-physical address with the operation in its low bits, a1 a value.
 * The guest performs the access and reports a0 and a1 (the value loaded
 * or stored) to the VMM, whose SBI return values (ret[0], ret[1]) land in
 * a0 and a1 as the next command. g_spin stores without end, for the test
 * that gets the dirty log while a vCPU writes.
 */
#define SBI_EXT_TEST	0x08ffffff
#define OP_LOAD		0
#define OP_STORE	1
#define FN_DONE		1

	.text
	.balign	4
	.globl	guest_start
guest_start:

	.globl	g_cmd
g_cmd:
	andi	t0, a0, 7
	andi	t1, a0, -8
	li	t2, OP_STORE
	beq	t0, t2, 2f
	ld	a1, 0(t1)
	j	3f
2:	sd	a1, 0(t1)
3:	li	a7, SBI_EXT_TEST
	li	a6, FN_DONE
	ecall
	j	g_cmd

/* Store a0 + 1, a0 + 2, ... to each of the a2 pages from a1 on, forever. */
	.globl	g_spin
g_spin:
	li	t2, 4096
1:	mv	t0, a1
	li	t1, 0
2:	addi	a0, a0, 1
	sd	a0, 0(t0)
	add	t0, t0, t2
	addi	t1, t1, 1
	blt	t1, a2, 2b
	j	1b

	.globl	guest_end
guest_end:
