/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: the world switch, the guarded guest-instruction fetch and FP
 * register save/restore. Offsets come from rvkvm/riscv_switch.h.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>

#include <rvkvm/riscv_switch.h>

#define G(n)	(RVKVM_SW_GUEST + RVKVM_CTX_GPR(n))
#define H(n)	(RVKVM_SW_HOST + RVKVM_CTX_GPR(n))
#define GCSR(c)	(RVKVM_SW_GUEST + RVKVM_CTX_##c)
#define HCSR(c)	(RVKVM_SW_HOST + RVKVM_CTX_##c)

	.text

/*
 * void rvkvm_switch_to_guest(struct rvkvm_switch *sw)
 *
 * Called with interrupts off. Enters the guest with sret and comes back
 * through .Lguest_exit on the next trap, with the guest's registers and
 * trap CSRs in sw->guest and the host's restored. Nothing between the
 * stvec swap and sret may fault: every access is to sw, in the linear map.
 */
SYM_FUNC_START(rvkvm_switch_to_guest)
	/* The registers our C caller expects to survive the call. */
	REG_S	ra, H(1)(a0)
	REG_S	sp, H(2)(a0)
	REG_S	gp, H(3)(a0)
	REG_S	tp, H(4)(a0)
	REG_S	s0, H(8)(a0)
	REG_S	s1, H(9)(a0)
	REG_S	s2, H(18)(a0)
	REG_S	s3, H(19)(a0)
	REG_S	s4, H(20)(a0)
	REG_S	s5, H(21)(a0)
	REG_S	s6, H(22)(a0)
	REG_S	s7, H(23)(a0)
	REG_S	s8, H(24)(a0)
	REG_S	s9, H(25)(a0)
	REG_S	s10, H(26)(a0)
	REG_S	s11, H(27)(a0)

	/* Trap CSRs: guest values in, host values out. */
	REG_L	t0, GCSR(SSTATUS)(a0)
	REG_L	t1, GCSR(HSTATUS)(a0)
	REG_L	t2, GCSR(SCOUNTEREN)(a0)
	REG_L	t3, GCSR(SEPC)(a0)
	la	t4, .Lguest_exit
	/* Never let the guest's sstatus open interrupts before sret. */
	andi	t0, t0, ~SR_SIE
	csrrw	t0, CSR_SSTATUS, t0
	csrrw	t1, CSR_HSTATUS, t1
	csrrw	t2, CSR_SCOUNTEREN, t2
	csrrw	t4, CSR_STVEC, t4
	csrrw	t5, CSR_SSCRATCH, a0
	csrw	CSR_SEPC, t3
	REG_S	t0, HCSR(SSTATUS)(a0)
	REG_S	t1, HCSR(HSTATUS)(a0)
	REG_S	t2, HCSR(SCOUNTEREN)(a0)
	REG_S	t4, RVKVM_SW_HOST_STVEC(a0)
	REG_S	t5, RVKVM_SW_HOST_SSCRATCH(a0)

	/* Guest registers, a0 (our base pointer) last. */
	REG_L	ra, G(1)(a0)
	REG_L	sp, G(2)(a0)
	REG_L	gp, G(3)(a0)
	REG_L	tp, G(4)(a0)
	REG_L	t0, G(5)(a0)
	REG_L	t1, G(6)(a0)
	REG_L	t2, G(7)(a0)
	REG_L	s0, G(8)(a0)
	REG_L	s1, G(9)(a0)
	REG_L	a1, G(11)(a0)
	REG_L	a2, G(12)(a0)
	REG_L	a3, G(13)(a0)
	REG_L	a4, G(14)(a0)
	REG_L	a5, G(15)(a0)
	REG_L	a6, G(16)(a0)
	REG_L	a7, G(17)(a0)
	REG_L	s2, G(18)(a0)
	REG_L	s3, G(19)(a0)
	REG_L	s4, G(20)(a0)
	REG_L	s5, G(21)(a0)
	REG_L	s6, G(22)(a0)
	REG_L	s7, G(23)(a0)
	REG_L	s8, G(24)(a0)
	REG_L	s9, G(25)(a0)
	REG_L	s10, G(26)(a0)
	REG_L	s11, G(27)(a0)
	REG_L	t3, G(28)(a0)
	REG_L	t4, G(29)(a0)
	REG_L	t5, G(30)(a0)
	REG_L	t6, G(31)(a0)
	REG_L	a0, G(10)(a0)
	sret

	/* stvec needs 4-byte alignment; mode bits 0 select direct mode. */
	.align	2
.Lguest_exit:
	/* sscratch held the switch area; park the guest's a0 there. */
	csrrw	a0, CSR_SSCRATCH, a0
	REG_S	ra, G(1)(a0)
	REG_S	sp, G(2)(a0)
	REG_S	gp, G(3)(a0)
	REG_S	tp, G(4)(a0)
	REG_S	t0, G(5)(a0)
	REG_S	t1, G(6)(a0)
	REG_S	t2, G(7)(a0)
	REG_S	s0, G(8)(a0)
	REG_S	s1, G(9)(a0)
	REG_S	a1, G(11)(a0)
	REG_S	a2, G(12)(a0)
	REG_S	a3, G(13)(a0)
	REG_S	a4, G(14)(a0)
	REG_S	a5, G(15)(a0)
	REG_S	a6, G(16)(a0)
	REG_S	a7, G(17)(a0)
	REG_S	s2, G(18)(a0)
	REG_S	s3, G(19)(a0)
	REG_S	s4, G(20)(a0)
	REG_S	s5, G(21)(a0)
	REG_S	s6, G(22)(a0)
	REG_S	s7, G(23)(a0)
	REG_S	s8, G(24)(a0)
	REG_S	s9, G(25)(a0)
	REG_S	s10, G(26)(a0)
	REG_S	s11, G(27)(a0)
	REG_S	t3, G(28)(a0)
	REG_S	t4, G(29)(a0)
	REG_S	t5, G(30)(a0)
	REG_S	t6, G(31)(a0)
	csrr	t0, CSR_SSCRATCH
	REG_S	t0, G(10)(a0)

	/* Host sscratch before host stvec: Linux expects 0 in the kernel. */
	REG_L	t1, RVKVM_SW_HOST_SSCRATCH(a0)
	REG_L	t2, RVKVM_SW_HOST_STVEC(a0)
	REG_L	t3, HCSR(SSTATUS)(a0)
	REG_L	t4, HCSR(HSTATUS)(a0)
	REG_L	t5, HCSR(SCOUNTEREN)(a0)
	csrw	CSR_SSCRATCH, t1
	csrw	CSR_STVEC, t2
	csrrw	t3, CSR_SSTATUS, t3
	csrrw	t4, CSR_HSTATUS, t4
	csrrw	t5, CSR_SCOUNTEREN, t5
	csrr	t6, CSR_SEPC
	REG_S	t3, GCSR(SSTATUS)(a0)
	REG_S	t4, GCSR(HSTATUS)(a0)
	REG_S	t5, GCSR(SCOUNTEREN)(a0)
	REG_S	t6, GCSR(SEPC)(a0)

	REG_L	ra, H(1)(a0)
	REG_L	sp, H(2)(a0)
	REG_L	gp, H(3)(a0)
	REG_L	tp, H(4)(a0)
	REG_L	s0, H(8)(a0)
	REG_L	s1, H(9)(a0)
	REG_L	s2, H(18)(a0)
	REG_L	s3, H(19)(a0)
	REG_L	s4, H(20)(a0)
	REG_L	s5, H(21)(a0)
	REG_L	s6, H(22)(a0)
	REG_L	s7, H(23)(a0)
	REG_L	s8, H(24)(a0)
	REG_L	s9, H(25)(a0)
	REG_L	s10, H(26)(a0)
	REG_L	s11, H(27)(a0)
	ret
SYM_FUNC_END(rvkvm_switch_to_guest)

/*
 * unsigned long rvkvm_guest_read_insn(unsigned long addr,
 *				       struct rvkvm_utrap *t)
 *
 * Fetch the guest instruction at guest virtual address addr with HLVX.HU,
 * through the guest's vsatp and hgatp, as the guest would. Called with
 * interrupts off and the guest's hstatus.SPVP set by the caller. A fault is
 * caught by a private trap stub and reported in *t (t->scause != 0); the
 * host never sees it.
 */
SYM_FUNC_START(rvkvm_guest_read_insn)
	REG_S	zero, RVKVM_UTRAP_SCAUSE(a1)
	la	t0, .Lutrap
	csrrw	t0, CSR_STVEC, t0
	/* hlvx.hu t2, (a0) */
	.insn	r 0x73, 0x4, 0x32, t2, a0, x3
	REG_L	t3, RVKVM_UTRAP_SCAUSE(a1)
	bnez	t3, .Lfetch_done
	/* Low bits 11: a 32-bit instruction, fetch its upper half. */
	andi	t3, t2, 3
	li	t4, 3
	bne	t3, t4, .Lfetch_done
	addi	a0, a0, 2
	/* hlvx.hu t3, (a0) */
	.insn	r 0x73, 0x4, 0x32, t3, a0, x3
	slli	t3, t3, 16
	or	t2, t2, t3
.Lfetch_done:
	csrw	CSR_STVEC, t0
	mv	a0, t2
	ret

	.align	2
.Lutrap:
	/* Record the trap and step over the 4-byte HLVX that took it. */
	csrr	t5, CSR_SEPC
	REG_S	t5, RVKVM_UTRAP_SEPC(a1)
	addi	t5, t5, 4
	csrw	CSR_SEPC, t5
	csrr	t5, CSR_SCAUSE
	REG_S	t5, RVKVM_UTRAP_SCAUSE(a1)
	csrr	t5, CSR_STVAL
	REG_S	t5, RVKVM_UTRAP_STVAL(a1)
	csrr	t5, CSR_HTVAL
	REG_S	t5, RVKVM_UTRAP_HTVAL(a1)
	csrr	t5, CSR_HTINST
	REG_S	t5, RVKVM_UTRAP_HTINST(a1)
	sret
SYM_FUNC_END(rvkvm_guest_read_insn)

/*
 * void rvkvm_fp_save(struct __riscv_d_ext_state *fp)
 * void rvkvm_fp_restore(const struct __riscv_d_ext_state *fp)
 *
 * The kernel's own helpers are not exported. sstatus.FS is opened for the
 * copy and put back as it was.
 */
SYM_FUNC_START(rvkvm_fp_save)
	li	t1, SR_FS
	csrrs	t2, CSR_SSTATUS, t1
	fsd	f0, 0(a0)
	fsd	f1, 8(a0)
	fsd	f2, 16(a0)
	fsd	f3, 24(a0)
	fsd	f4, 32(a0)
	fsd	f5, 40(a0)
	fsd	f6, 48(a0)
	fsd	f7, 56(a0)
	fsd	f8, 64(a0)
	fsd	f9, 72(a0)
	fsd	f10, 80(a0)
	fsd	f11, 88(a0)
	fsd	f12, 96(a0)
	fsd	f13, 104(a0)
	fsd	f14, 112(a0)
	fsd	f15, 120(a0)
	fsd	f16, 128(a0)
	fsd	f17, 136(a0)
	fsd	f18, 144(a0)
	fsd	f19, 152(a0)
	fsd	f20, 160(a0)
	fsd	f21, 168(a0)
	fsd	f22, 176(a0)
	fsd	f23, 184(a0)
	fsd	f24, 192(a0)
	fsd	f25, 200(a0)
	fsd	f26, 208(a0)
	fsd	f27, 216(a0)
	fsd	f28, 224(a0)
	fsd	f29, 232(a0)
	fsd	f30, 240(a0)
	fsd	f31, 248(a0)
	frcsr	t0
	sw	t0, 256(a0)
	and	t2, t2, t1
	csrc	CSR_SSTATUS, t1
	csrs	CSR_SSTATUS, t2
	ret
SYM_FUNC_END(rvkvm_fp_save)

SYM_FUNC_START(rvkvm_fp_restore)
	li	t1, SR_FS
	csrrs	t2, CSR_SSTATUS, t1
	fld	f0, 0(a0)
	fld	f1, 8(a0)
	fld	f2, 16(a0)
	fld	f3, 24(a0)
	fld	f4, 32(a0)
	fld	f5, 40(a0)
	fld	f6, 48(a0)
	fld	f7, 56(a0)
	fld	f8, 64(a0)
	fld	f9, 72(a0)
	fld	f10, 80(a0)
	fld	f11, 88(a0)
	fld	f12, 96(a0)
	fld	f13, 104(a0)
	fld	f14, 112(a0)
	fld	f15, 120(a0)
	fld	f16, 128(a0)
	fld	f17, 136(a0)
	fld	f18, 144(a0)
	fld	f19, 152(a0)
	fld	f20, 160(a0)
	fld	f21, 168(a0)
	fld	f22, 176(a0)
	fld	f23, 184(a0)
	fld	f24, 192(a0)
	fld	f25, 200(a0)
	fld	f26, 208(a0)
	fld	f27, 216(a0)
	fld	f28, 224(a0)
	fld	f29, 232(a0)
	fld	f30, 240(a0)
	fld	f31, 248(a0)
	lw	t0, 256(a0)
	fscsr	t0
	and	t2, t2, t1
	csrc	CSR_SSTATUS, t1
	csrs	CSR_SSTATUS, t2
	ret
SYM_FUNC_END(rvkvm_fp_restore)
