/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixed harness of tests/fuzz/guest.c. The VMM copies it to the start
 * of the code slot and writes the random program right after guest_end;
 * everything here is position-independent. The layout constants must match
 * those in guest.c.
 *
 * The trap handler at stvec owns t5 and t6 (the programs never rely on
 * them across an instruction). It counts every exception in the trap log,
 * remembers the last scause, and resumes after the trapping instruction
 * (2 or 4 bytes, from the low bits of the instruction at sepc; from a
 * 32-bit U-mode, sepc is taken modulo 2^32). An ecall from U-mode also
 * brings the guest back to S-mode. A fault on the fetch
 * itself cannot be skipped: the guest then reports that it lost its way
 * (FN_LOST) and the VMM ends the run. An interrupt is silenced by clearing
 * sie (and a pending software interrupt) and the guest resumes.
 */
#define RAM_GPA		0x80100000
#define LOG_COUNT	0	/* exceptions taken */
#define LOG_CAUSE	8	/* the last scause */
#define LOG_MAGIC	16	/* the run's magic, written by the VMM */
#define SBI_EXT_TEST	0x08ffffff
#define FN_LOST		0x7e570003
#define SR_SPP		0x100

	.text
	.balign	4
	.globl	guest_start
guest_start:

/*
 * Entry. A vCPU reused from an earlier run may still complete that run's
 * last exit when it starts (pc += 2 or 4): both land on a no-op.
 */
	.globl	guest_entry
guest_entry:
	c.nop
	c.nop
	lla	t0, g_trap
	csrw	stvec, t0
	csrw	sie, zero
	csrw	satp, zero
	sfence.vma
	j	guest_end

	.balign	4
	.globl	g_trap
g_trap:
	csrr	t6, scause
	bltz	t6, 3f
	li	t5, RAM_GPA
	sd	t6, LOG_CAUSE(t5)
	ld	t6, LOG_COUNT(t5)
	addi	t6, t6, 1
	sd	t6, LOG_COUNT(t5)
	csrr	t6, scause
	beqz	t6, g_lost		/* instruction address misaligned */
	li	t5, 1
	beq	t6, t5, g_lost		/* instruction access fault */
	li	t5, 12
	beq	t6, t5, g_lost		/* instruction page fault */
	/* In a 32-bit U-mode (sstatus.UXL = 1) addresses are 32 bits. */
	csrr	t6, sepc
	csrr	t5, sstatus
	andi	t5, t5, SR_SPP
	bnez	t5, 4f
	csrr	t5, sstatus
	srli	t5, t5, 32
	andi	t5, t5, 3
	addi	t5, t5, -1
	bnez	t5, 4f
	slli	t6, t6, 32
	srli	t6, t6, 32
4:	csrr	t5, scause
	addi	t5, t5, -8
	bnez	t5, 5f
	li	t5, SR_SPP		/* ecall from U-mode: back to S */
	csrs	sstatus, t5
5:	lhu	t5, 0(t6)
	andi	t5, t5, 3
	addi	t6, t6, 2
	xori	t5, t5, 3
	bnez	t5, 2f
	addi	t6, t6, 2
2:	csrw	sepc, t6
	sret
3:	csrw	sie, zero
	li	t5, 2
	csrc	sip, t5
	sret

/* The guest cannot go on: say so (again on every resume). */
	.globl	g_lost
g_lost:
	li	t5, RAM_GPA
	ld	a0, LOG_MAGIC(t5)
	csrr	a1, scause
	csrr	a2, sepc
	li	a6, FN_LOST
	li	a7, SBI_EXT_TEST
	ecall
	j	g_lost

	.balign	4
	.globl	guest_end
guest_end:
