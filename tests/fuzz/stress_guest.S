/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs for tests/fuzz/stress.c, copied to the start of guest RAM
 * as one blob and entered at a label (position-independent). Each loops
 * for ever and reports through the experimental SBI extension, which the
 * hypervisor forwards to the VMM (KVM_EXIT_RISCV_SBI). The SBI return
 * values land in a0/a1, so the programs keep their state in s registers.
 */
#include "../lib/guest_report.inc"

#define FN_TOUCH	1
#define FN_WFI		2
#define FN_SLOT		3
#define PAGE		4096

	.text
	.balign	4
	.globl	stress_start
stress_start:

/*
 * Touch: a0 = data area (guest-physical), a1 = pages, a2 = tag. Pass n
 * stores (tag << 48) ^ (n << 8) ^ page at offset 256 of every page and
 * reads it back, then reports a0 = n, a1 = read-back mismatches so far,
 * a2 = the mailbox word the VMM left at offset 8 of the first page.
 */
	.globl	g_touch
g_touch:
	mv	s3, a0
	mv	s4, a1
	mv	s5, a2
	li	s1, 0
	li	s2, 0
	li	s6, PAGE
1:	addi	s1, s1, 1
	slli	t3, s5, 48
	slli	t4, s1, 8
	xor	t3, t3, t4
	mv	t0, s3
	li	t1, 0
2:	xor	t2, t3, t1
	sd	t2, 256(t0)
	ld	t5, 256(t0)
	beq	t5, t2, 3f
	addi	s2, s2, 1
3:	add	t0, t0, s6
	addi	t1, t1, 1
	blt	t1, s4, 2b
	ld	a2, 8(s3)
	mv	a0, s1
	mv	a1, s2
	report	FN_TOUCH
	j	1b

/*
 * WFI: the external interrupt enabled in sie, sstatus.SIE clear, so a
 * pending KVM_INTERRUPT wakes the WFI without trapping. After each
 * wake-up, sstatus.SIE opens for one instruction: a pending interrupt
 * traps to 2f, which takes scause and returns with SIE still clear (the
 * level stays pending). Reports a0 = wake-up count, a1 = that scause or
 * 0, a2 = sip right after the WFI (for information: QEMU 7.2 shows only
 * SSIP in VS-mode sip reads, so SEIP is not looked for there).
 */
	.globl	g_wfi_irq
g_wfi_irq:
	lla	t0, 2f
	csrw	stvec, t0
	li	t0, 0x200
	csrw	sie, t0
	csrci	sstatus, 2
	li	s1, 0
1:	wfi
	csrr	a2, sip
	li	a1, 0
	csrsi	sstatus, 2
	csrci	sstatus, 2
	addi	s1, s1, 1
	mv	a0, s1
	report	FN_WFI
	j	1b
	.balign	4
2:	csrr	a1, scause
	li	t0, 0x20
	csrc	sstatus, t0
	sret

/*
 * Slot: a0 = A, a1 = B (guest-physical), a2 = pages, a3 = offset. Pass n,
 * on every page p: store n at A + p * 4096 + off, load from +8, store n at
 * B + p * 4096 + off + 16, load from +24. Either range may be unbacked at
 * any moment (MMIO exits). Reports a0 = n after each pass.
 */
	.globl	g_slot
g_slot:
	mv	s3, a0
	mv	s4, a1
	mv	s5, a2
	mv	s7, a3
	li	s1, 0
	li	s6, PAGE
1:	addi	s1, s1, 1
	li	t1, 0
	add	t0, s3, s7
	add	t3, s4, s7
2:	sd	s1, 0(t0)
	ld	t5, 8(t0)
	sd	s1, 16(t3)
	ld	t5, 24(t3)
	add	t0, t0, s6
	add	t3, t3, s6
	addi	t1, t1, 1
	blt	t1, s5, 2b
	mv	a0, s1
	report	FN_SLOT
	j	1b

	.globl	stress_end
stress_end:
