// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded guest fuzzer:
 *   fuzz-guest DEV [--seed N] [--runs N] [--from K] [--intree] [--verbose]
 *              [--dump] [--known N]
 * Default 1500 runs (about a minute in the QEMU test host); the long
 * version is --runs 100000. --from K starts at run K (a failure names its
 * run: --seed S --from K --runs 1 replays that program, in a fresh VM),
 * --verbose prints each run's outcome, --dump each program's code (DEV
 * "none" only prints them), --known N runs the final known program N times.
 *
 * Each run writes a random program behind the fixed harness of
 * guest_code.S (its own trap handler at stvec skips whatever traps) and
 * runs it in a vCPU: random instruction words, CSR accesses (S, VS, H, M,
 * counters, seed, random numbers), satp (bare, an identity map the VMM
 * keeps in RAM, or random) and stvec changes, loads and stores of every
 * width and form to RAM, to the read-only code slot, to unmapped GPAs and
 * misaligned, atomics and FP accesses, cache-block operations, SBI calls
 * to every extension the hypervisor knows and to random ones, sret with
 * random sstatus (also into a 64- or 32-bit U-mode, rarely to a random
 * address), WFI with and without a wake-up, fences, H-extension loads and
 * stores. Control flow stays in the program (no jumps or branches), except
 * where an op sends it elsewhere on purpose. The program ends by reporting
 * through the test SBI extension (forwarded to the VMM). Every KVM_RUN is
 * bounded by an interval timer (SIGALRM sets immediate_exit): a guest that
 * loops, sleeps or lost its way ends its run with EINTR.
 *
 * A VM serves one to four runs (a reused vCPU is reset through ONE_REG and
 * MP_STATE). Most VMs back their slots with the buffers the VM before
 * used (every run rewrites them whole; on the debug kernel, faulting in
 * and unmapping them cost more than the VM itself); one in ten maps its
 * own and unmaps them before it closes the VM. Half of the VMs have a
 * second vCPU that never runs, as a target for HSM, IPI and RFENCE
 * calls; now and then the VMM raises or lowers the external interrupt.
 * The VMM answers every exit with random data and checks it against what
 * the guest did:
 * - KVM_RUN ends with MMIO, RISCV_SBI, RISCV_CSR or SYSTEM_EVENT, or fails
 *   with EINTR only. Against the in-tree 6.1 kvm.ko (--intree), EFAULT (a
 *   guest trap it does not handle, e.g. an illegal instruction),
 *   EOPNOTSUPP (an MMIO access it cannot decode, a fetch from outside RAM)
 *   and EIO (a misaligned MMIO access) are its documented behaviour and end
 *   the run.
 * - MMIO exits: when the instruction at pc can be read (bare translation),
 *   the exit matches it: a load or store, its width, its address (base
 *   register + offset, modulo 2^32 in a 32-bit U-mode), and for stores the
 *   source register's value. No exit for an address inside the RAM slot,
 *   no read exit inside the read-only slot. Loads complete with random
 *   data, and a load the program checks must see exactly that data, sign-
 *   or zero-extended as its instruction says (zero-extended always on 6.1,
 *   a known bug there). A checked load from an unmapped GPA that did not
 *   exit must have trapped: the guest never reads data the VMM did not give
 *   it. Checked loads from the read-only slot see the slot's bytes.
 * - SBI exits are for forwarded extensions only (legacy console,
 *   experimental, vendor, and DBCN on rvkvm) and carry the guest's a0-a7;
 *   the values the VMM returns reach the guest's a0/a1.
 * - CSR exits (seed only on rvkvm) match the CSR instruction at pc; the
 *   value returned reaches its rd. (QEMU 7.2 can leave an older instruction
 *   in stval for a virtual-instruction trap; 6.1 then emulates that one,
 *   which --intree counts instead of failing.)
 * - System events are SHUTDOWN or RESET from an SRST or legacy shutdown
 *   call. The read-only slot still holds what the VMM wrote after a run.
 * - After all runs, a fresh VM runs a known program to its report: a
 *   checked MMIO load, then WFI until a timer it set.
 * Same seed, same programs: each run's program comes from its own seed.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "fuzz.h"
#include "../lib/ktest.h"
#include "../lib/vmm.h"

/* The guest's layout; guest_code.S has the same constants. */
#define CODE_GPA	GUEST_RAM	/* slot 0: harness + program, RO */
#define CODE_SIZE	0x10000UL
#define RAM_GPA		0x80100000UL	/* slot 1: trap log, tables, data */
#define RAM_SIZE	0x10000UL
#define PT39_OFF	0x1000UL	/* identity-mapping page tables */
#define PT48_OFF	0x2000UL
#define PT57_OFF	0x3000UL
#define DATA_OFF	0x4000UL
#define MMIO_GPA	GUEST_MMIO
#define LOG_COUNT	0
#define LOG_CAUSE	8
#define LOG_MAGIC	16
#define FN_DONE		0x7e570001
#define FN_CHECK	0x7e570002
#define FN_LOST		0x7e570003

#define DEFAULT_RUNS	1500
#define PROGRESS_RUNS	5000	/* runs between progress lines */
#define MAX_OPS		160
#define PROG_END	(CODE_SIZE - 512)	/* room for the final report */
#define RUN_BUDGET_US	60000	/* wall time per run */
#define TICK_US		10000	/* SIGALRM period once the budget is out */
#define MAX_EXITS	3000	/* per run */
#define VM_MAX_RUNS	4
#define MAX_FAIL_LINES	20

/* SBI extensions. */
#define EXT_BASE	0x10
#define EXT_TIME	0x54494d45
#define EXT_IPI		0x735049
#define EXT_RFENCE	0x52464e43
#define EXT_HSM		0x48534d
#define EXT_SRST	0x53525354
#define EXT_DBCN	0x4442434e
#define EXT_EXP		0x08000000
#define EXT_VENDOR	0x09000000

/* Registers. */
#define ZERO	0
#define SP	2
#define T0	5
#define T1	6
#define T2	7
#define S0	8
#define A0	10
#define A1	11
#define A2	12
#define A3	13
#define A6	16
#define A7	17

#define SR_SIE		0x2UL
#define SR_SPP		0x100UL

#define CSR_ID(i)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
			 KVM_REG_RISCV_CSR | (i))
#define REG_MODE	CORE_REG(32)
#define CSR_SSTATUS	CSR_ID(0)
#define CSR_SIE		CSR_ID(1)
#define CSR_STVEC	CSR_ID(2)
#define CSR_SIP		CSR_ID(7)
#define CSR_SATP	CSR_ID(8)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A label of guest_code.S, by address. */
#define GUEST_SYM(name) ({ const char *p_; \
	__asm__("lla %0, " #name : "=r"(p_)); p_; })

/* The harness: its bytes, and its labels as offsets into the code slot. */
static const char *harness;
static uint32_t hlen, off_entry, off_trap, off_lost;

enum kind {
	K_RAND32, K_RAND16, K_CSR, K_SATP, K_STVEC, K_MEM, K_SBI, K_SRET,
	K_WFI, K_FENCE, K_FPON, K_CBO, K_NR
};

/* Relative weights of the op kinds. */
static const unsigned int weight[K_NR] = {
	[K_RAND32] = 14, [K_RAND16] = 8, [K_CSR] = 14, [K_SATP] = 1,
	[K_STVEC] = 1, [K_MEM] = 24, [K_SBI] = 14, [K_SRET] = 4,
	[K_WFI] = 2, [K_FENCE] = 4, [K_FPON] = 2, [K_CBO] = 2,
};

enum check { CHK_NONE, CHK_LOAD, CHK_CSR, CHK_SBI };
enum target { T_RAM, T_RO, T_MMIO, T_UNMAPPED };

struct op {
	uint8_t kind, chk, target, base_reg, len;
	bool sign;
	uint32_t start;		/* offset of the op's first instruction */
	uint32_t pc;		/* offset of the checked instruction */
	uint64_t base, addr, sentinel;
};

struct prog {
	uint8_t img[CODE_SIZE];	/* the whole code slot */
	uint32_t pos;
	uint32_t end;		/* of the program proper */
	uint32_t nops;
	uint64_t magic;
	struct op op[MAX_OPS];
};

/* A decoded integer load or store. */
struct ls {
	unsigned int len, rs1, reg;
	bool store, sign;
	int64_t imm;
};

enum outcome {
	O_REPORTED, O_LOST, O_TIMEOUT, O_SYSEVENT, O_KVMERR, O_EXITCAP,
	O_FAILED, O_NR
};

static const char *const outcome_name[O_NR] = {
	"reported", "lost their way", "timed out", "system events",
	"kvm.ko errors", "hit the exit cap", "failed",
};

/* The last exit that a check may refer to. */
enum last_kind { L_NONE, L_MMIO_LOAD, L_SBI, L_CSR };

struct last {
	enum last_kind kind;
	unsigned int seq;
	uint64_t pc, v0, v1;
};

struct gvm {
	int vm, vcpu, vcpu1;
	struct kvm_run *run;
	uint8_t *code, *ram;
	bool own_mem, ro;
	unsigned int runs_left;
};

static const char *dev;
static bool intree, dump, verbose;
static int kvm_fd = -1;
static size_t run_size;
static bool have_ro;
static uint64_t seed;
static unsigned int cur_run, cur_exit;
static unsigned long nfail;
static struct prog prog;

static unsigned long outcomes[O_NR];
static unsigned long n_mmio_r, n_mmio_w, n_sbi, n_csr, n_sysev, n_eintr;
static unsigned long n_spurious, n_oracle, n_checked, n_unchecked;
static unsigned long n_irq, n_fresh, n_errno[4], n_stale;

/* Shared with the SIGALRM handler. */
static int alarm_fired;
static struct kvm_run *cur_kvm_run;

static void on_alarm(int sig)
{
	struct kvm_run *r = __atomic_load_n(&cur_kvm_run, __ATOMIC_RELAXED);

	__atomic_store_n(&alarm_fired, 1, __ATOMIC_RELAXED);
	if (r)
		__atomic_store_n(&r->immediate_exit, 1, __ATOMIC_RELAXED);
}

static bool fired(void)
{
	return __atomic_load_n(&alarm_fired, __ATOMIC_RELAXED);
}

/* Failures by kind, for the summary. */
static struct {
	const char *what;
	unsigned long n;
} kinds[32];

static void fail(const char *what, const char *fmt, ...)
{
	unsigned int i;
	va_list ap;

	for (i = 0; i < ARRAY_SIZE(kinds) - 1 && kinds[i].what &&
		    strcmp(kinds[i].what, what); i++)
		;
	kinds[i].what = what;
	kinds[i].n++;

	if (nfail++ < MAX_FAIL_LINES) {
		printf("rvtest: FAIL fuzz-guest/%s: seed %llu run %u exit %u: ",
		       what, (unsigned long long)seed, cur_run, cur_exit);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
	}
	kt_failed++;
}

/* ---- randomness ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t run_seed(unsigned int k)
{
	return mix64(seed + 0x9e3779b97f4a7c15ULL * (k + 1));
}

static int64_t sext(uint64_t v, unsigned int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[fz_below(n)];
}

#define PICK(a)	pick(a, ARRAY_SIZE(a))

/* An "interesting" value for a register. */
static uint64_t rand_val(void)
{
	switch (fz_below(14)) {
	case 0:
		return 0;
	case 1:
		return fz_below(4);
	case 2:
		return -1ULL;
	case 3:
		return fz_below(64);
	case 4:
		return CODE_GPA + fz_below(CODE_SIZE);
	case 5:
		return RAM_GPA + fz_below(RAM_SIZE);
	case 6:
		return MMIO_GPA + fz_below(0x10000);
	case 7:
		return 1ULL << fz_below(64);
	case 8:
		return 0xffffffff80000000ULL + fz_below(1 << 20);
	case 9:
		return (uint32_t)fz_next();
	case 10:
		return sext((uint32_t)fz_next(), 32);
	case 11:
		return fz_next() & 0xffffffffffULL;
	}
	return fz_next();
}

/* ---- instruction encoding ---- */

static void emit16(uint16_t h)
{
	memcpy(prog.img + prog.pos, &h, 2);
	prog.pos += 2;
}

static void emit32(uint32_t w)
{
	memcpy(prog.img + prog.pos, &w, 4);
	prog.pos += 4;
}

static uint32_t i_type(uint32_t opc, unsigned int f3, unsigned int rd,
		       unsigned int rs1, int64_t imm)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 |
	       rd << 7 | opc;
}

static uint32_t s_type(uint32_t opc, unsigned int f3, unsigned int rs1,
		       unsigned int rs2, int64_t imm)
{
	uint32_t u = (uint32_t)imm & 0xfff;

	return (u >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (u & 0x1f) << 7 | opc;
}

static uint32_t r_type(uint32_t opc, unsigned int f7, unsigned int f3,
		       unsigned int rd, unsigned int rs1, unsigned int rs2)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static void emit_addi(unsigned int rd, unsigned int rs1, int64_t imm)
{
	emit32(i_type(0x13, 0, rd, rs1, imm));
}

static void emit_mv(unsigned int rd, unsigned int rs)
{
	emit_addi(rd, rs, 0);
}

static void emit_csr(unsigned int f3, unsigned int rd, unsigned int csr,
		     unsigned int rs1)
{
	emit32(csr << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73);
}

/* li rd, v: lui/addiw for 32-bit values, else shifts and adds. */
static void emit_li(unsigned int rd, uint64_t v)
{
	int64_t sv = (int64_t)v, lo = sext(v & 0xfff, 12), hi;
	unsigned int sh;

	if (sv == (int32_t)sv) {
		hi = (int64_t)(v - lo) >> 12;
		if (!hi) {
			emit_addi(rd, ZERO, lo);
			return;
		}
		emit32(((uint32_t)hi & 0xfffff) << 12 | rd << 7 | 0x37);
		if (lo)
			emit32(i_type(0x1b, 0, rd, rd, lo));
		return;
	}
	hi = (int64_t)(v - (uint64_t)lo) >> 12;
	sh = 12 + __builtin_ctzll(hi);
	hi >>= sh - 12;
	emit_li(rd, hi);
	emit32(i_type(0x13, 1, rd, rd, sh));
	if (lo)
		emit_addi(rd, rd, lo);
}

/* An ecall to the test extension, which rvkvm forwards to the VMM. */
static void emit_report(unsigned long fn)
{
	emit_li(A6, fn);
	emit_li(A7, SBI_EXT_TEST);
	emit32(0x73);
}

/* rd = address of code-slot offset target (auipc + addi). */
static void emit_lla(unsigned int rd, uint32_t target)
{
	int64_t off = (int64_t)target - prog.pos;
	int64_t hi = (off + 0x800) >> 12, lo = off - hi * 4096;

	emit32(((uint32_t)hi & 0xfffff) << 12 | rd << 7 | 0x17);
	emit_addi(rd, rd, lo);
}

static void emit_jal_x0(uint32_t target)
{
	uint32_t off = target - prog.pos;

	emit32(((off >> 20) & 1) << 31 | ((off >> 1) & 0x3ff) << 21 |
	       ((off >> 11) & 1) << 20 | ((off >> 12) & 0xff) << 12 | 0x6f);
}

/* A report to the VMM: a1 = magic, a2 = op index. */
static void emit_check(unsigned int k)
{
	emit_li(A1, prog.magic);
	emit_li(A2, k);
	emit_report(FN_CHECK);
}

/* ---- op generators ---- */

static void gen_rand32(void)
{
	static const uint8_t opc[] = {
		0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33,
		0x37, 0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x57, 0x73, 0x73,
	};
	unsigned int n = 1 + fz_below(4), f3, csr;
	uint32_t w;

	while (n--) {
		w = (uint32_t)fz_next();
		if (fz_chance(60))
			w = (w & ~0x7fU) | opc[fz_below(ARRAY_SIZE(opc))];
		w |= 3;
		/* Control flow stays in the program. */
		switch (w & 0x7f) {
		case 0x63: case 0x67: case 0x6f:
			w = (w & ~0x7fU) | 0x13;
		}
		if ((w & 0x7f) == 0x73) {
			f3 = (w >> 12) & 7;
			csr = w >> 20;
			/* stvec and satp only through their own ops. */
			if ((f3 & 3) && (csr == 0x105 || csr == 0x180))
				w = (w & 0xfffff) | 0x140U << 20;
			if (w == 0x10200073)	/* sret */
				w = 0x13;
		}
		emit32(w);
	}
}

static void gen_rand16(void)
{
	unsigned int n = 1 + fz_below(4), f3;
	uint16_t h;

	while (n--) {
		h = (uint16_t)fz_next();
		if ((h & 3) == 3)
			h &= ~1;
		f3 = h >> 13;
		/* c.jal (RV32; c.addiw on RV64), c.j, c.beqz, c.bnez */
		if ((h & 3) == 1 && (f3 >= 5 || f3 == 1))
			h = 0x0001;
		if ((h & 3) == 2 && f3 == 4 && !((h >> 2) & 0x1f) &&
		    ((h >> 7) & 0x1f))
			h = 0x0001;
		emit16(h);
	}
}

static const uint16_t csr_list[] = {
	/* S */
	0x100, 0x104, 0x106, 0x10a, 0x10c, 0x140, 0x141, 0x142, 0x143,
	0x144, 0x14d, 0x5a8, 0xda0,
	/* H */
	0x600, 0x602, 0x603, 0x604, 0x605, 0x606, 0x607, 0x60a, 0x643,
	0x644, 0x645, 0x64a, 0x64b, 0x680, 0x6a8, 0xe12,
	/* VS */
	0x200, 0x204, 0x205, 0x240, 0x241, 0x242, 0x243, 0x244, 0x24d,
	0x280,
	/* counters, seed, FP, vector */
	0xc00, 0xc01, 0xc02, 0xc03, 0xc1f, 0xc20, 0xc21, 0xc22, 0x015,
	0x001, 0x002, 0x003, 0x008, 0x009,
	/* M and debug */
	0x300, 0x301, 0x302, 0x304, 0x305, 0x340, 0x344, 0x30a, 0x747,
	0xf14, 0x7b0, 0x7a0,
};

static unsigned int rand_csr(void)
{
	unsigned int csr;

	if (fz_chance(75))
		return csr_list[fz_below(ARRAY_SIZE(csr_list))];
	do {
		csr = fz_below(4096);
	} while (csr == 0x105 || csr == 0x180);
	return csr;
}

static void gen_csr(unsigned int k)
{
	static const unsigned int f3s[] = { 1, 2, 3, 5, 6, 7, 2, 2 };
	struct op *op = &prog.op[k];
	unsigned int csr = rand_csr(), f3 = f3s[fz_below(8)];
	unsigned int rs1 = T1;

	if (fz_chance(30))
		csr = 0x015;
	if (f3 & 4)
		rs1 = fz_below(32);
	else if (f3 == 2 && fz_chance(50))
		rs1 = ZERO;	/* a plain read */
	else
		emit_li(T1, rand_val());
	op->pc = prog.pos;
	emit_csr(f3, T2, csr, rs1);
	if (csr == 0x015 || fz_chance(30)) {
		op->chk = CHK_CSR;
		emit_mv(A0, T2);
		emit_check(k);
	}
}

/*
 * satp: bare, or Sv39/48/57 through the identity map the VMM keeps in the
 * RAM slot (code and RAM as one gigapage, MMIO below as another), or a
 * root among the random data, or anything.
 */
static void gen_satp(void)
{
	static const uint64_t root[] = { PT39_OFF, PT48_OFF, PT57_OFF };
	unsigned int m = fz_below(3);
	uint64_t v = 0, asid = fz_next() & 0xffffULL;

	switch (fz_below(20)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		v = (8ULL + m) << 60 | asid << 44 | (RAM_GPA + root[m]) >> 12;
		break;
	case 6:
		v = (8ULL + m) << 60 | asid << 44 |
		    (((RAM_GPA + DATA_OFF) >> 12) + fz_below(12));
		break;
	case 7:
		v = fz_next();
		break;
	}
	emit_li(T1, v);
	emit_csr(1, ZERO, 0x180, T1);
	emit32(0x12000073);	/* sfence.vma */
}

static void gen_stvec(void)
{
	emit_li(T1, rand_val());
	emit_csr(1, T2, 0x105, T1);
	if (fz_chance(50))
		emit_csr(2, T2, 0x105, ZERO);
	emit_lla(T1, off_trap);
	emit_csr(1, ZERO, 0x105, T1);
}

static uint64_t rand_addr(struct op *op)
{
	uint64_t a;

	switch (fz_below(20)) {
	case 0: case 1: case 2: case 3: case 4:
		op->target = T_RAM;
		return RAM_GPA + DATA_OFF + fz_below(RAM_SIZE - DATA_OFF - 16);
	case 5: case 6: case 7: case 8:
		op->target = T_RO;
		return CODE_GPA + fz_below(CODE_SIZE - 16);
	case 9: case 10: case 11: case 12: case 13: case 14:
		op->target = T_MMIO;
		return MMIO_GPA + fz_below(0x10000);
	}
	op->target = T_UNMAPPED;
	switch (fz_below(6)) {
	case 0:
		a = fz_below(MMIO_GPA);
		break;
	case 1:
		a = CODE_GPA + CODE_SIZE + fz_below(RAM_GPA - CODE_GPA -
						      CODE_SIZE - 16);
		break;
	case 2:
		a = RAM_GPA + RAM_SIZE + fz_below(1 << 24);
		break;
	case 3:
		a = 0x100000000ULL + fz_below(1ULL << 36);
		break;
	case 4:
		a = 0x20000000 + fz_below(0x40000000);
		break;
	default:
		a = fz_next();
	}
	return a;
}

/* Compressed offsets: c.lw/c.sw, c.ld/c.sd, *sp forms. */
static uint16_t c_mem(unsigned int f3, unsigned int rs1p, unsigned int rp,
		      unsigned int off)
{
	uint16_t h = f3 << 13 | ((off >> 3) & 7) << 10 | (rs1p - 8) << 7 |
		     (rp - 8) << 2;

	if (f3 == 2 || f3 == 6)	/* word */
		h |= ((off >> 2) & 1) << 6 | ((off >> 6) & 1) << 5;
	else
		h |= ((off >> 6) & 3) << 5;
	return h;
}

static uint16_t c_sp(unsigned int f3, unsigned int r, unsigned int off)
{
	bool w = f3 == 2 || f3 == 6;

	if (f3 < 4)	/* c.lwsp / c.ldsp */
		return f3 << 13 | ((off >> 5) & 1) << 12 | r << 7 |
		       (w ? ((off >> 2) & 7) << 4 | ((off >> 6) & 3) << 2 :
			    ((off >> 3) & 3) << 5 | ((off >> 6) & 7) << 2) | 2;
	return f3 << 13 | r << 2 | 2 |
	       (w ? ((off >> 2) & 0xf) << 9 | ((off >> 6) & 3) << 7 :
		    ((off >> 3) & 7) << 10 | ((off >> 6) & 7) << 7);
}

static void gen_mem(unsigned int k)
{
	static const unsigned int amo[] = {
		0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c,
		0x02, 0x03,
	};
	struct op *op = &prog.op[k];
	unsigned int form = fz_below(100), f3, len, f5;
	bool store = fz_chance(45), c = false;
	uint64_t addr = rand_addr(op);
	int64_t imm = 0;
	uint32_t insn = 0;
	uint16_t h = 0;

	if (form < 55) {
		f3 = store ? fz_below(4) : fz_below(7);
		len = 1 << (f3 & 3);
		op->sign = !store && f3 < 3;
		op->base_reg = T0;
		if (fz_chance(50))
			imm = sext(fz_next(), 12);
	} else if (form < 80) {
		/* c.lw c.ld c.sw c.sd, or their sp forms */
		f3 = (store ? 6 : 2) + fz_below(2);
		len = (f3 & 1) ? 8 : 4;
		op->sign = !store && len == 4;
		c = true;
		op->base_reg = form < 70 ? S0 : SP;
		imm = fz_below(form < 70 ? 32 : 64) * len;
		if (op->base_reg == S0)
			h = c_mem(f3, S0, store ? A1 : A0, imm);
		else
			h = c_sp(f3, store ? A1 : A0, imm);
	} else if (form < 88) {
		/* flw fld fsw fsd */
		f3 = 2 + fz_below(2);
		len = 1 << f3;
		op->base_reg = T0;
		insn = store ? s_type(0x27, f3, T0, fz_below(32), 0) :
			       i_type(0x07, f3, fz_below(32), T0, 0);
	} else {
		/* AMOs, LR, SC */
		f3 = 2 + fz_below(2);
		len = 1 << f3;
		f5 = amo[fz_below(ARRAY_SIZE(amo))];
		op->base_reg = T0;
		insn = r_type(0x2f, f5 << 2 | fz_below(4), f3, A0, T0,
			      f5 == 0x02 ? 0 : T1);
	}
	if (fz_chance(75))
		addr &= ~(uint64_t)(len - 1);
	op->addr = addr;
	op->len = len;
	op->base = addr - imm;
	if (store || insn)
		emit_li(c ? A1 : T1, rand_val());
	emit_li(op->base_reg, op->base);
	if (!store && !insn) {
		op->chk = CHK_LOAD;
		op->sentinel = fz_next() | 1;
		emit_li(A0, op->sentinel);
	}
	op->pc = prog.pos;
	if (c)
		emit16(h);
	else if (insn)
		emit32(insn);
	else if (store)
		emit32(s_type(0x23, f3, T0, T1, imm));
	else
		emit32(i_type(0x03, f3, A0, T0, imm));
	if (op->chk == CHK_LOAD)
		emit_check(k);
}

static void gen_sbi(unsigned int k)
{
	static const uint64_t std_ext[] = {
		EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_DBCN,
	};
	static const uint64_t hsm_fid[] = { 0, 0, 0, 1, 2, 2, 2, 3, 4, 5 };
	struct op *op = &prog.op[k];
	uint64_t eid, fid = fz_below(8);
	unsigned int i, r = fz_below(100);
	bool fwd = false;

	if (r < 40) {
		eid = PICK(std_ext);
		if (eid == EXT_HSM && fz_chance(90))
			fid = PICK(hsm_fid);
		fwd = eid == EXT_DBCN;
	} else if (r < 43) {
		eid = EXT_SRST;
		fid = fz_chance(80) ? 0 : fz_below(4);
	} else if (r < 58) {
		eid = fz_below(8);	/* legacy, not shutdown */
		fwd = eid == 1 || eid == 2;
	} else if (r < 59) {
		eid = 8;
	} else if (r < 72) {
		eid = EXT_EXP + fz_below(0x1000000);
		fwd = true;
	} else if (r < 82) {
		eid = EXT_VENDOR + fz_below(0x1000000);
		fwd = true;
	} else if (r < 90) {
		eid = (uint32_t)fz_next();
	} else {
		eid = fz_next();
	}
	if (fz_chance(10))
		fid = fz_next();
	/* Never one of the harness's own reports. */
	if (eid == SBI_EXT_TEST && (fid & ~3ULL) == 0x7e570000)
		fid = 0;
	for (i = 0; i < 6; i++)
		if (fz_chance(70))
			emit_li(A0 + i, rand_val());
	if (eid == EXT_SRST && fz_chance(80))
		emit_li(A0, fz_below(3));
	emit_li(A6, fid);
	emit_li(A7, eid);
	op->pc = prog.pos;
	emit32(0x73);
	if (fwd) {
		op->chk = CHK_SBI;
		emit_mv(A3, A1);
		emit_check(k);
	}
}

static void gen_sret(void)
{
	uint64_t st, target;

	st = fz_chance(75) ? SR_SPP : 0;
	st |= fz_below(2) << 5;			/* SPIE */
	st |= fz_below(4) << 13;		/* FS */
	st |= fz_below(4) << 18;		/* SUM, MXR */
	st |= (fz_chance(10) ? 1ULL : 2ULL) << 32;	/* UXL: 32 or 64 */
	if (fz_chance(5))
		st = fz_next();
	st &= ~SR_SIE;
	emit_li(T2, st);
	if (fz_chance(97)) {
		/* auipc, addi, csrw, csrw, sret: resume after the sret */
		emit_lla(T1, prog.pos + 20);
	} else {
		switch (fz_below(4)) {
		case 0:
			target = CODE_GPA + (fz_below(CODE_SIZE) & ~1ULL);
			break;
		case 1:
			target = RAM_GPA + (fz_below(RAM_SIZE) & ~1ULL);
			break;
		case 2:
			target = MMIO_GPA + (fz_below(0x10000) & ~1ULL);
			break;
		default:
			target = fz_next() & ~1ULL;
		}
		emit_li(T1, target);
	}
	emit_csr(1, ZERO, 0x141, T1);
	emit_csr(1, ZERO, 0x100, T2);
	emit32(0x10200073);
}

static void gen_wfi(void)
{
	/* An SBI call that comes back (in U-mode, the ecall returns to S) */
	emit_li(A6, 0);
	emit_li(A7, EXT_BASE);
	emit32(0x73);
	/* The interrupt must end the WFI, not be taken before it. */
	emit_csr(7, ZERO, 0x100, SR_SIE);	/* csrci sstatus, SIE */
	switch (fz_below(20)) {
	case 0:
		/* nothing will wake it but the VMM's timer */
		break;
	case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
	case 9: case 10: case 11: case 12: case 13:
		/* a timer in a little while */
		emit_csr(2, T0, 0xc01, ZERO);
		emit_li(T1, 1000 + fz_below(30000));
		emit32(r_type(0x33, 0, 0, A0, T0, T1));
		emit_li(A6, 0);
		emit_li(A7, EXT_TIME);
		emit32(0x73);
		emit_li(T1, 0x20);
		emit_csr(2, ZERO, 0x104, T1);
		break;
	default:
		/* an IPI to itself */
		emit_li(A0, 1);
		emit_li(A1, 0);
		emit_li(A6, 0);
		emit_li(A7, EXT_IPI);
		emit32(0x73);
		emit_li(T1, 0x2);
		emit_csr(2, ZERO, 0x104, T1);
	}
	emit32(0x10500073);
}

static void gen_fence(void)
{
	static const uint32_t simple[] = {
		0x0000100f,	/* fence.i */
		0x0ff0000f,	/* fence */
		0x8330000f,	/* fence.tso */
		0x18000073,	/* sfence.w.inval */
		0x18100073,	/* sfence.inval.ir */
	};
	static const uint32_t two[] = {
		0x12000073,	/* sfence.vma */
		0x16000073,	/* sinval.vma */
		0x22000073,	/* hfence.vvma */
		0x62000073,	/* hfence.gvma */
		0x26000073,	/* hinval.vvma */
	};

	if (fz_chance(40)) {
		emit32(simple[fz_below(5)]);
		return;
	}
	emit_li(T1, rand_val());
	emit_li(T2, rand_val());
	if (fz_chance(80)) {
		emit32(two[fz_below(5)] | T2 << 20 | T1 << 15);
		return;
	}
	/* hlv.*, hlvx.*, hsv.* */
	if (fz_chance(50))
		emit32(r_type(0x73, 0x30 + fz_below(6) * 2, 4, A0, T1,
			      fz_below(4)));
	else
		emit32(r_type(0x73, 0x31 + fz_below(4) * 2, 4, 0, T1, T2));
}

static void gen_fpon(void)
{
	emit_li(T1, fz_below(4) << 13);
	emit_csr(fz_chance(80) ? 2 : 3, ZERO, 0x100, T1);
}

static void gen_cbo(void)
{
	static const unsigned int imm[] = { 0, 1, 2, 4 };
	struct op scratch = { 0 };

	emit_li(T0, rand_addr(&scratch));
	if (fz_chance(80))
		emit32(i_type(0x0f, 2, 0, T0, imm[fz_below(4)]));
	else	/* prefetch.i/r/w */
		emit32(i_type(0x13, 6, 0, T0, (fz_below(4) & 3) |
			      fz_below(64) << 5));
}

/* The program of run k, into prog. */
static void gen_prog(unsigned int k)
{
	unsigned int n, i, w, total = 0;

	fz_seed(run_seed(k));
	memset(&prog, 0, sizeof(prog));
	memcpy(prog.img, harness, hlen);
	prog.pos = hlen;
	prog.magic = (uint32_t)fz_next() | 0x40000000;
	n = fz_chance(25) ? 1 + fz_below(16) : 16 + fz_below(MAX_OPS - 16);
	for (i = 0; i < K_NR; i++)
		total += weight[i];
	for (i = 0; i < n && prog.pos < PROG_END; i++) {
		struct op *op = &prog.op[i];
		unsigned int kind = 0;

		for (w = fz_below(total); w >= weight[kind]; kind++)
			w -= weight[kind];
		op->kind = kind;
		op->start = prog.pos;
		switch (kind) {
		case K_RAND32:
			gen_rand32();
			break;
		case K_RAND16:
			gen_rand16();
			break;
		case K_CSR:
			gen_csr(i);
			break;
		case K_SATP:
			gen_satp();
			break;
		case K_STVEC:
			gen_stvec();
			break;
		case K_MEM:
			gen_mem(i);
			break;
		case K_SBI:
			gen_sbi(i);
			break;
		case K_SRET:
			gen_sret();
			break;
		case K_WFI:
			gen_wfi();
			break;
		case K_FENCE:
			gen_fence();
			break;
		case K_FPON:
			gen_fpon();
			break;
		default:
			gen_cbo();
		}
	}
	prog.nops = i;
	/* The final report, twice (the first is skipped in U-mode). */
	for (i = 0; i < 2; i++) {
		emit_li(T0, RAM_GPA);
		emit32(i_type(0x03, 3, A1, T0, LOG_COUNT));
		emit32(i_type(0x03, 3, A2, T0, LOG_CAUSE));
		emit_li(A0, prog.magic);
		emit_report(FN_DONE);
	}
	emit_jal_x0(off_lost);
	prog.end = prog.pos;
	/* Behind it, random bytes for a guest that jumps there. */
	while (prog.pos < CODE_SIZE)
		emit16(fz_next());
}

/* ---- decoding, for the checks ---- */

/* rv32: as a 32-bit U-mode sees it (no ld/lwu/sd, c.flw for c.ld). */
static bool decode_ls(uint32_t insn, struct ls *d, bool rv32)
{
	unsigned int f3;

	memset(d, 0, sizeof(*d));
	if ((insn & 3) == 3) {
		f3 = (insn >> 12) & 7;
		d->rs1 = (insn >> 15) & 31;
		if (rv32 && (f3 == 3 || f3 == 6 || f3 == 7))
			return false;
		if ((insn & 0x7f) == 0x03 && f3 != 7) {
			d->len = 1 << (f3 & 3);
			d->sign = f3 < 3;
			d->reg = (insn >> 7) & 31;
			d->imm = sext(insn >> 20, 12);
			return true;
		}
		if ((insn & 0x7f) == 0x23 && f3 < 4) {
			d->len = 1 << f3;
			d->store = true;
			d->reg = (insn >> 20) & 31;
			d->imm = sext((insn >> 25) << 5 | ((insn >> 7) & 31),
				      12);
			return true;
		}
		return false;
	}
	f3 = (insn >> 13) & 7;
	if (rv32 && (f3 & 1))
		return false;
	switch ((insn & 3) << 3 | f3) {
	case 0 << 3 | 2:	/* c.lw, c.sw */
	case 0 << 3 | 6:
		d->imm = ((insn >> 10) & 7) << 3 | ((insn >> 6) & 1) << 2 |
			 ((insn >> 5) & 1) << 6;
		break;
	case 0 << 3 | 3:	/* c.ld, c.sd */
	case 0 << 3 | 7:
		d->imm = ((insn >> 10) & 7) << 3 | ((insn >> 5) & 3) << 6;
		break;
	case 2 << 3 | 2:	/* c.lwsp */
		d->imm = ((insn >> 12) & 1) << 5 | ((insn >> 4) & 7) << 2 |
			 ((insn >> 2) & 3) << 6;
		break;
	case 2 << 3 | 3:	/* c.ldsp */
		d->imm = ((insn >> 12) & 1) << 5 | ((insn >> 5) & 3) << 3 |
			 ((insn >> 2) & 7) << 6;
		break;
	case 2 << 3 | 6:	/* c.swsp */
		d->imm = ((insn >> 9) & 0xf) << 2 | ((insn >> 7) & 3) << 6;
		break;
	case 2 << 3 | 7:	/* c.sdsp */
		d->imm = ((insn >> 10) & 7) << 3 | ((insn >> 7) & 7) << 6;
		break;
	default:
		return false;
	}
	d->len = (f3 & 1) ? 8 : 4;
	d->store = f3 >= 6;
	d->sign = !d->store && d->len == 4;
	if ((insn & 3) == 0) {
		d->rs1 = 8 + ((insn >> 7) & 7);
		d->reg = 8 + ((insn >> 2) & 7);
	} else {
		d->rs1 = SP;
		d->reg = d->store ? (insn >> 2) & 31 : (insn >> 7) & 31;
		if (!d->store && !d->reg)	/* reserved */
			return false;
	}
	return true;
}

/* ---- the VM ---- */

static bool get_reg(struct gvm *g, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	if (ioctl(g->vcpu, KVM_GET_ONE_REG, &r)) {
		fail("one-reg", "GET_ONE_REG %#llx: %s",
		     (unsigned long long)id, strerrorname(errno));
		*val = 0;
		return false;
	}
	return true;
}

static uint64_t gpr(struct gvm *g, unsigned int r)
{
	uint64_t v = 0;

	if (r)
		get_reg(g, CORE_REG(r), &v);
	return v;
}

static bool set_reg(struct gvm *g, uint64_t id, uint64_t val)
{
	if (vcpu_set_reg(g->vcpu, id, val)) {
		fail("one-reg", "SET_ONE_REG %#llx: %s",
		     (unsigned long long)id, strerrorname(errno));
		return false;
	}
	return true;
}

static void gvm_close(struct gvm *g)
{
	if (g->run && g->run != MAP_FAILED)
		munmap(g->run, run_size);
	if (g->own_mem && g->code && g->code != MAP_FAILED)
		munmap(g->code, CODE_SIZE);
	if (g->own_mem && g->ram && g->ram != MAP_FAILED)
		munmap(g->ram, RAM_SIZE);
	if (g->vcpu1 >= 0)
		close(g->vcpu1);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (g->vm >= 0)
		close(g->vm);
	memset(g, 0, sizeof(*g));
	g->vm = g->vcpu = g->vcpu1 = -1;
}

static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		memset(p, 0, size);	/* every page present */
	return p;
}

/* The buffers that most VMs share, one after the other. */
static uint8_t *pool_code, *pool_ram;

static bool gvm_open(struct gvm *g, bool two_vcpus, bool own_mem)
{
	struct kvm_userspace_memory_region mr;

	memset(g, 0, sizeof(*g));
	g->vm = g->vcpu = g->vcpu1 = -1;
	g->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (g->vm < 0)
		goto err;
	if (!own_mem && !pool_code) {
		pool_code = anon(CODE_SIZE);
		pool_ram = anon(RAM_SIZE);
	}
	g->own_mem = own_mem;
	g->code = own_mem ? anon(CODE_SIZE) : pool_code;
	g->ram = own_mem ? anon(RAM_SIZE) : pool_ram;
	if (g->code == MAP_FAILED || g->ram == MAP_FAILED)
		goto err;
	g->ro = have_ro;
	mr = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = CODE_GPA,
		.flags = g->ro ? KVM_MEM_READONLY : 0,
		.memory_size = CODE_SIZE, .userspace_addr = (uintptr_t)g->code,
	};
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &mr))
		goto err;
	mr = (struct kvm_userspace_memory_region) {
		.slot = 1, .guest_phys_addr = RAM_GPA,
		.memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)g->ram,
	};
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &mr))
		goto err;
	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	if (g->vcpu < 0)
		goto err;
	g->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		goto err;
	if (two_vcpus) {
		g->vcpu1 = ioctl(g->vm, KVM_CREATE_VCPU, 1);
		if (g->vcpu1 < 0)
			goto err;
	}
	n_fresh++;
	return true;
err:
	fail("vm-setup", "%s", strerrorname(errno));
	gvm_close(g);
	return false;
}

/* Ready the vCPU for a new program: pc, S-mode, clean CSRs, runnable. */
static bool gvm_reset(struct gvm *g)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_UNSET };

	if (ioctl(g->vcpu, KVM_SET_MP_STATE, &mp)) {
		fail("reset", "SET_MP_STATE: %s", strerrorname(errno));
		return false;
	}
	if (ioctl(g->vcpu, KVM_INTERRUPT, &irq)) {
		fail("reset", "KVM_INTERRUPT unset: %s", strerrorname(errno));
		return false;
	}
	return set_reg(g, VMM_REG_PC, CODE_GPA + off_entry) &&
	       set_reg(g, REG_MODE, KVM_RISCV_MODE_S) &&
	       set_reg(g, CSR_SSTATUS, 0) && set_reg(g, CSR_SIE, 0) &&
	       set_reg(g, CSR_SIP, 0) && set_reg(g, CSR_STVEC, 0) &&
	       set_reg(g, CSR_SATP, 0);
}

/* ---- one run ---- */

struct runstate {
	struct gvm *g;
	struct last last;
	unsigned int seq;
};

static bool in_range(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

/* The instruction at guest address pc, from the slot's backing memory. */
static bool read_insn(struct gvm *g, uint64_t pc, uint32_t *insn)
{
	const uint8_t *p;
	uint64_t left;
	uint16_t lo;

	if (in_range(pc, CODE_GPA, CODE_SIZE)) {
		p = g->code + (pc - CODE_GPA);
		left = CODE_GPA + CODE_SIZE - pc;
	} else if (in_range(pc, RAM_GPA, RAM_SIZE)) {
		p = g->ram + (pc - RAM_GPA);
		left = RAM_GPA + RAM_SIZE - pc;
	} else {
		return false;
	}
	if (left < 2)
		return false;
	memcpy(&lo, p, 2);
	*insn = lo;
	if ((lo & 3) != 3)
		return true;
	if (left < 4)
		return false;
	memcpy(insn, p, 4);
	return true;
}

/*
 * pc, whether guest addresses are guest-physical (satp bare), and whether
 * the guest runs a 32-bit U-mode (its pc is then taken modulo 2^32).
 */
static uint64_t exit_pc(struct runstate *rs, bool *bare, bool *rv32)
{
	uint64_t pc = 0, satp = 0, mode = 1, sstatus = 0;

	get_reg(rs->g, VMM_REG_PC, &pc);
	get_reg(rs->g, CSR_SATP, &satp);
	*bare = !(satp >> 60);
	*rv32 = false;
	if (pc >> 32) {
		get_reg(rs->g, REG_MODE, &mode);
		if (mode == KVM_RISCV_MODE_U) {
			get_reg(rs->g, CSR_SSTATUS, &sstatus);
			*rv32 = ((sstatus >> 32) & 3) == 1;
		}
	}
	return *rv32 ? (uint32_t)pc : pc;
}

static uint64_t extend(uint64_t v, unsigned int len, bool sign)
{
	if (len >= 8)
		return v;
	v &= (1ULL << (len * 8)) - 1;
	return sign ? (uint64_t)sext(v, len * 8) : v;
}

static void on_mmio(struct runstate *rs)
{
	struct kvm_run *r = rs->g->run;
	uint64_t pa = r->mmio.phys_addr, pc, base, addr, val, a1, a2;
	unsigned int len = r->mmio.len;
	uint32_t insn;
	struct ls d;
	bool bare, rv32;

	if (r->mmio.is_write)
		n_mmio_w++;
	else
		n_mmio_r++;
	if (len != 1 && len != 2 && len != 4 && len != 8)
		fail("mmio-len", "len %u at %#llx", len,
		     (unsigned long long)pa);
	if (in_range(pa, RAM_GPA, RAM_SIZE) ||
	    (in_range(pa, CODE_GPA, CODE_SIZE) &&
	     (!r->mmio.is_write || !rs->g->ro)))
		fail("mmio-in-slot", "%s exit for %#llx inside a memslot",
		     r->mmio.is_write ? "write" : "read",
		     (unsigned long long)pa);

	pc = exit_pc(rs, &bare, &rv32);
	if (bare && read_insn(rs->g, pc, &insn)) {
		n_oracle++;
		if (!decode_ls(insn, &d, rv32)) {
			fail("mmio-insn", "MMIO exit at pc %#llx for insn %#x, no load/store",
			     (unsigned long long)pc, insn);
			goto complete;
		}
		base = gpr(rs->g, d.rs1);
		addr = base + d.imm;
		if (rv32)
			addr = (uint32_t)addr;
		/* A page-crossing access may fault at either aligned half. */
		a1 = addr & ~(uint64_t)(d.len - 1);
		a2 = a1 + d.len;
		if (pa != addr && !(((addr ^ (addr + d.len - 1)) >> 12) &&
				    (pa == a1 || pa == a2)))
			fail("mmio-addr", "insn %#x at %#llx: address %#llx, exit for %#llx",
			     insn, (unsigned long long)pc,
			     (unsigned long long)addr, (unsigned long long)pa);
		if (len != d.len || r->mmio.is_write != d.store)
			fail("mmio-kind", "insn %#x at %#llx: %s of %u, exit %s of %u",
			     insn, (unsigned long long)pc,
			     d.store ? "store" : "load", d.len,
			     r->mmio.is_write ? "store" : "load", len);
		if (d.store && len <= 8) {
			val = gpr(rs->g, d.reg);
			if (memcmp(r->mmio.data, &val, len))
				fail("mmio-store-data", "insn %#x at %#llx: x%u = %#llx, exit data %#llx",
				     insn, (unsigned long long)pc, d.reg,
				     (unsigned long long)val,
				     *(unsigned long long *)r->mmio.data);
		}
	}
complete:
	if (!r->mmio.is_write) {
		val = fz_next();
		memcpy(r->mmio.data, &val, 8);
		if (bare && read_insn(rs->g, pc, &insn) &&
		    decode_ls(insn, &d, rv32) && !d.store) {
			rs->last.kind = L_MMIO_LOAD;
			rs->last.seq = rs->seq;
			rs->last.pc = pc;
			rs->last.v0 = extend(val, len, d.sign && !intree);
		}
	}
}

static void on_csr(struct runstate *rs)
{
	struct kvm_run *r = rs->g->run;
	unsigned int num = r->riscv_csr.csr_num, f3, rs1;
	uint64_t pc, val, nv, mask;
	uint32_t insn;
	bool bare, rv32;

	n_csr++;
	if (!intree && num != 0x015)
		fail("csr-exit", "CSR exit for %#x (only seed goes to the VMM)",
		     num);
	pc = exit_pc(rs, &bare, &rv32);
	if (bare && read_insn(rs->g, pc, &insn)) {
		n_oracle++;
		f3 = (insn >> 12) & 7;
		rs1 = (insn >> 15) & 31;
		if ((insn & 0x7f) != 0x73 || !(f3 & 3) ||
		    (insn >> 20) != num) {
			/*
			 * QEMU 7.2 may leave an earlier instruction in stval
			 * for a virtual-instruction trap: a hypervisor that
			 * believes it emulates the wrong one. 6.1 does.
			 */
			if (intree)
				n_stale++;
			else
				fail("csr-insn", "CSR exit for %#x at pc %#llx, but the instruction there is %#x (stale stval?)",
				     num, (unsigned long long)pc, insn);
		} else {
			val = (f3 & 4) ? rs1 : gpr(rs->g, rs1);
			nv = (f3 & 3) == 1 ? val : (f3 & 3) == 2 ? -1ULL : 0;
			mask = (f3 & 3) == 1 ? -1ULL : val;
			if (r->riscv_csr.new_value != nv ||
			    r->riscv_csr.write_mask != mask)
				fail("csr-values", "insn %#x: new %#llx mask %#llx, want %#llx %#llx",
				     insn,
				     (unsigned long long)r->riscv_csr.new_value,
				     (unsigned long long)r->riscv_csr.write_mask,
				     (unsigned long long)nv,
				     (unsigned long long)mask);
		}
	}
	r->riscv_csr.ret_value = fz_next();
	rs->last.kind = L_CSR;
	rs->last.seq = rs->seq;
	rs->last.pc = pc;
	rs->last.v0 = r->riscv_csr.ret_value;
}

/* FN_CHECK: op k reports a0 (and a3) after its checked instruction. */
static void on_check(struct runstate *rs, unsigned int k, uint64_t v0,
		     uint64_t v1)
{
	const struct op *op = &prog.op[k];
	struct last *l = &rs->last;
	bool fresh, bare;
	uint64_t exp, satp = 0;

	fresh = l->seq + 1 == rs->seq && l->pc == CODE_GPA + op->pc;
	switch (op->chk) {
	case CHK_LOAD:
		if (fresh && l->kind == L_MMIO_LOAD) {
			if (v0 != l->v0)
				fail("mmio-load-value", "op %u: loaded %#llx, the VMM gave %#llx",
				     k, (unsigned long long)v0,
				     (unsigned long long)l->v0);
			n_checked++;
			return;
		}
		get_reg(rs->g, CSR_SATP, &satp);
		bare = !(satp >> 60);
		if (!bare || v0 == op->sentinel || op->target == T_RAM ||
		    (op->target == T_RO && !rs->g->ro) ||
		    gpr(rs->g, op->base_reg) != op->base)
			break;
		if (op->target == T_RO) {
			memcpy(&exp, rs->g->code + (op->addr - CODE_GPA), 8);
			exp = extend(exp, op->len, op->sign);
			if (v0 != exp)
				fail("ro-load-value", "op %u: load of %u at %#llx gave %#llx, the slot holds %#llx",
				     k, op->len,
				     (unsigned long long)op->addr,
				     (unsigned long long)v0,
				     (unsigned long long)exp);
		} else {
			fail("unmapped-load", "op %u: load of %u at unmapped %#llx gave %#llx without an MMIO exit",
			     k, op->len, (unsigned long long)op->addr,
			     (unsigned long long)v0);
		}
		n_checked++;
		return;
	case CHK_CSR:
		if (!fresh || l->kind != L_CSR)
			break;
		if (v0 != l->v0)
			fail("csr-value", "op %u: read %#llx, the VMM gave %#llx",
			     k, (unsigned long long)v0,
			     (unsigned long long)l->v0);
		n_checked++;
		return;
	case CHK_SBI:
		if (!fresh || l->kind != L_SBI)
			break;
		if (v0 != l->v0 || v1 != l->v1)
			fail("sbi-ret", "op %u: got %#llx %#llx, the VMM gave %#llx %#llx",
			     k, (unsigned long long)v0,
			     (unsigned long long)v1,
			     (unsigned long long)l->v0,
			     (unsigned long long)l->v1);
		n_checked++;
		return;
	default:
		fail("check-op", "op %u has nothing to check", k);
		return;
	}
	n_unchecked++;
}

static bool forwarded_ext(uint64_t eid)
{
	if (eid == 1 || eid == 2)
		return true;
	if (eid >= EXT_EXP && eid < EXT_VENDOR + 0x1000000)
		return true;
	return !intree && eid == EXT_DBCN;
}

/* Returns an outcome when the run ends here, else -1. */
static int on_sbi(struct runstate *rs)
{
	struct kvm_run *r = rs->g->run;
	uint64_t eid = r->riscv_sbi.extension_id;
	uint64_t fid = r->riscv_sbi.function_id, *a = r->riscv_sbi.args;
	uint64_t pc, reg;
	unsigned int i;
	bool bare, rv32;

	n_sbi++;
	if (eid == SBI_EXT_TEST && fid == FN_DONE && a[0] == prog.magic)
		return O_REPORTED;
	if (eid == SBI_EXT_TEST && fid == FN_LOST && a[0] == prog.magic)
		return O_LOST;
	if (eid == SBI_EXT_TEST && fid == FN_CHECK && a[1] == prog.magic) {
		if (a[2] < prog.nops)
			on_check(rs, a[2], a[0], a[3]);
		else
			fail("check-op", "report for op %llu of %u",
			     (unsigned long long)a[2], prog.nops);
		r->riscv_sbi.ret[0] = 0;
		r->riscv_sbi.ret[1] = 0;
		return -1;
	}
	if (!forwarded_ext(eid))
		fail("sbi-exit", "SBI exit for extension %#llx fn %#llx, which the kernel handles",
		     (unsigned long long)eid, (unsigned long long)fid);
	/* The exit carries the guest's registers. */
	pc = exit_pc(rs, &bare, &rv32);
	n_oracle++;
	if (gpr(rs->g, A7) != eid || gpr(rs->g, A6) != fid)
		fail("sbi-args", "ext %#llx fn %#llx, guest a7 %#llx a6 %#llx",
		     (unsigned long long)eid, (unsigned long long)fid,
		     (unsigned long long)gpr(rs->g, A7),
		     (unsigned long long)gpr(rs->g, A6));
	for (i = 0; i < 6; i++) {
		/* 6.1 zeroes the guest's a1 when it forwards a call. */
		if (intree && i == 1)
			continue;
		reg = gpr(rs->g, A0 + i);
		if (a[i] != reg)
			fail("sbi-args", "ext %#llx: args[%u] %#llx, guest a%u %#llx",
			     (unsigned long long)eid, i,
			     (unsigned long long)a[i], i,
			     (unsigned long long)reg);
	}
	r->riscv_sbi.ret[0] = fz_chance(50) ? fz_below(8) - 4 : fz_next();
	r->riscv_sbi.ret[1] = fz_next();
	rs->last.kind = L_SBI;
	rs->last.seq = rs->seq;
	rs->last.pc = pc;
	rs->last.v0 = r->riscv_sbi.ret[0];
	rs->last.v1 = r->riscv_sbi.ret[1];
	return -1;
}

static int on_sysevent(struct runstate *rs)
{
	struct kvm_run *r = rs->g->run;
	uint64_t a7 = gpr(rs->g, A7);

	n_sysev++;
	if (r->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN &&
	    r->system_event.type != KVM_SYSTEM_EVENT_RESET)
		fail("system-event", "type %u", r->system_event.type);
	if (a7 != EXT_SRST && a7 != 8)
		fail("system-event", "type %u from a call to extension %#llx",
		     r->system_event.type, (unsigned long long)a7);
	return O_SYSEVENT;
}

static bool intree_errno(int e)
{
	switch (e) {
	case EFAULT:
		n_errno[0]++;
		return true;
	case EOPNOTSUPP:
		n_errno[1]++;
		return true;
	case EIO:
		n_errno[2]++;
		return true;
	}
	return false;
}

static void arm_timer(struct kvm_run *r, unsigned long budget_us)
{
	struct itimerval it = {
		.it_value = { .tv_sec = budget_us / 1000000,
			      .tv_usec = budget_us % 1000000 },
		.it_interval = { .tv_usec = TICK_US },
	};

	__atomic_store_n(&alarm_fired, 0, __ATOMIC_RELAXED);
	r->immediate_exit = 0;
	__atomic_store_n(&cur_kvm_run, r, __ATOMIC_RELAXED);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(struct kvm_run *r)
{
	struct itimerval off = { };

	setitimer(ITIMER_REAL, &off, NULL);
	__atomic_store_n(&cur_kvm_run, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&alarm_fired, 0, __ATOMIC_RELAXED);
	r->immediate_exit = 0;
}

/* Entry i of the page table at RAM offset off (V R W X A D: 0xcf). */
static void set_pte(struct gvm *g, uint64_t off, unsigned int i, uint64_t pte)
{
	memcpy(g->ram + off + 8 * i, &pte, 8);
}

/* The op whose code holds guest address pc, -1 if none. */
static int op_at(uint64_t pc)
{
	int k;

	if (!in_range(pc, CODE_GPA + hlen, prog.end - hlen))
		return -1;
	for (k = prog.nops - 1; k >= 0; k--)
		if (pc - CODE_GPA >= prog.op[k].start)
			return k;
	return -1;
}

/* Runs prog in g (reset) for at most budget_us; the outcome. */
static int run_prog(struct gvm *g, unsigned long budget_us)
{
	struct runstate rs = { .g = g };
	struct kvm_run *r = g->run;
	struct kvm_interrupt irq;
	struct timespec t0, t1;
	int rc, k, out = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memcpy(g->code, prog.img, CODE_SIZE);
	memset(g->ram, 0, DATA_OFF);
	memcpy(g->ram + LOG_MAGIC, &prog.magic, 8);
	set_pte(g, PT39_OFF, 0, 0xc7);		/* MMIO: RW */
	set_pte(g, PT39_OFF, 2, CODE_GPA >> 30 << 28 | 0xcf);	/* RWX */
	set_pte(g, PT48_OFF, 0, (RAM_GPA + PT39_OFF) >> 12 << 10 | 1);
	set_pte(g, PT57_OFF, 0, (RAM_GPA + PT48_OFF) >> 12 << 10 | 1);
	/* The rest of the completions come from the run's own stream. */
	fz_seed(run_seed(cur_run) ^ 0x5bd1e995);
	for (size_t i = DATA_OFF; i < RAM_SIZE; i += 8) {
		uint64_t v = fz_next();

		memcpy(g->ram + i, &v, 8);
	}
	r->exit_reason = KVM_EXIT_UNKNOWN;
	arm_timer(r, budget_us);
	for (cur_exit = 0; out < 0; ) {
		rc = ioctl(g->vcpu, KVM_RUN, 0);
		if (rc == -1) {
			if (errno == EINTR) {
				if (fired()) {
					n_eintr++;
					out = O_TIMEOUT;
				} else {
					n_spurious++;
				}
				continue;
			}
			if (intree && intree_errno(errno)) {
				out = O_KVMERR;
				continue;
			}
			fail("run-errno", "KVM_RUN: %s (exit reason %u)",
			     strerrorname(errno), r->exit_reason);
			out = O_FAILED;
			continue;
		}
		if (rc != 0) {
			fail("run-rc", "KVM_RUN returned %d", rc);
			out = O_FAILED;
			continue;
		}
		rs.seq++;
		cur_exit++;
		switch (r->exit_reason) {
		case KVM_EXIT_MMIO:
			on_mmio(&rs);
			break;
		case KVM_EXIT_RISCV_SBI:
			out = on_sbi(&rs);
			break;
		case KVM_EXIT_RISCV_CSR:
			on_csr(&rs);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			out = on_sysevent(&rs);
			break;
		default:
			fail("exit-reason", "exit reason %u", r->exit_reason);
			out = O_FAILED;
		}
		if (out < 0 && cur_exit >= MAX_EXITS)
			out = O_EXITCAP;
		/* Now and then an external interrupt comes or goes. */
		if (out < 0 && fz_chance(3)) {
			irq.irq = fz_chance(50) ? KVM_INTERRUPT_SET :
						  KVM_INTERRUPT_UNSET;
			n_irq++;
			if (ioctl(g->vcpu, KVM_INTERRUPT, &irq))
				fail("interrupt", "KVM_INTERRUPT: %s",
				     strerrorname(errno));
		}
	}
	disarm_timer(r);
	if (verbose) {
		uint64_t pc = 0, cause, traps;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		get_reg(g, VMM_REG_PC, &pc);
		memcpy(&traps, g->ram + LOG_COUNT, 8);
		memcpy(&cause, g->ram + LOG_CAUSE, 8);
		k = op_at(pc);
		printf("fuzz-guest: run %u: %s after %u exits, %ld us, pc %#llx (op %d kind %d, before %d, of %u), %llu traps, last scause %llu, a7 %#llx a6 %#llx\n",
		       cur_run, out >= 0 ? outcome_name[out] : "?", cur_exit,
		       (t1.tv_sec - t0.tv_sec) * 1000000 +
		       (t1.tv_nsec - t0.tv_nsec) / 1000,
		       (unsigned long long)pc, k, k < 0 ? -1 : prog.op[k].kind,
		       k < 1 ? -1 : prog.op[k - 1].kind, prog.nops,
		       (unsigned long long)traps, (unsigned long long)cause,
		       (unsigned long long)gpr(g, A7),
		       (unsigned long long)gpr(g, A6));
	}
	if (g->ro && memcmp(g->code, prog.img, CODE_SIZE)) {
		fail("ro-slot", "the guest changed its read-only slot");
		out = O_FAILED;
	}
	return out;
}

/* " N reported, N lost their way, ...": the outcome counts so far. */
static void print_outcomes(void)
{
	unsigned int i;

	for (i = 0; i < O_NR; i++)
		printf("%s %lu %s", i ? "," : "", outcomes[i], outcome_name[i]);
}

/* A long run says how far it got, so that a cut-off run still counts. */
static void progress(unsigned int done, const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("fuzz-guest: %u runs so far, at %.0f s, %lu VMs, %lu failures:",
	       done, (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9,
	       n_fresh, nfail);
	print_outcomes();
	printf("\n");
	fflush(stdout);
}

static void dump_prog(unsigned int k)
{
	uint16_t h;
	uint32_t i;

	printf("fuzz-guest: run %u: %u ops, %u bytes:", k, prog.nops,
	       prog.end - hlen);
	for (i = hlen; i < prog.end; i += 2) {
		memcpy(&h, prog.img + i, 2);
		printf("%s%04x", (i - hlen) % 32 ? " " : "\n", h);
	}
	printf("\nfuzz-guest: run %u: op kinds:", k);
	for (i = 0; i < prog.nops; i++)
		printf(" %u@%#x", prog.op[i].kind, prog.op[i].start);
	printf("\n");
}

/*
 * A small known program after all runs: the device still works. It loads
 * from MMIO (checked), sleeps in WFI until a timer it set 200 us ahead,
 * and reports, without a single trap of its own.
 */
static void known_guest(unsigned int reps)
{
	unsigned int i, good = 0;
	unsigned long traps = 0;
	struct gvm g;
	struct op *op;
	int out = -1;

	cur_run = -1U;
	memset(&prog, 0, sizeof(prog));
	memcpy(prog.img, harness, hlen);
	prog.pos = hlen;
	prog.magic = 0x600dcafe;
	op = &prog.op[0];
	op->kind = K_MEM;
	op->chk = CHK_LOAD;
	op->target = T_MMIO;
	op->base_reg = T0;
	op->len = 4;
	op->sign = true;
	op->base = op->addr = MMIO_GPA + 0x40;
	op->sentinel = 0x5e5e5e5e5e5e5e5fULL;
	emit_li(T0, op->base);
	emit_li(A0, op->sentinel);
	op->pc = prog.pos;
	emit32(i_type(0x03, 2, A0, T0, 0));
	emit_check(0);
	prog.nops = 1;
	emit_csr(2, T0, 0xc01, ZERO);		/* csrr t0, time */
	emit_li(T1, 2000);
	emit32(r_type(0x33, 0, 0, A0, T0, T1));
	emit_li(A6, 0);
	emit_li(A7, EXT_TIME);
	emit32(0x73);
	emit_li(T1, 0x20);
	emit_csr(2, ZERO, 0x104, T1);		/* sie.STIE */
	emit32(0x10500073);			/* wfi */
	emit_li(T0, RAM_GPA);
	emit32(i_type(0x03, 3, A1, T0, LOG_COUNT));
	emit_li(A0, prog.magic);
	emit_report(FN_DONE);
	emit_jal_x0(off_lost);
	prog.end = prog.pos;

	for (i = 0; i < reps; i++) {
		if (!gvm_open(&g, false, true))
			return;
		if (!gvm_reset(&g)) {
			gvm_close(&g);
			return;
		}
		n_checked = 0;
		out = run_prog(&g, 2000000);
		traps = g.run->riscv_sbi.args[1];
		if (out == O_REPORTED && n_checked == 1 && !traps)
			good++;
		gvm_close(&g);
	}
	kt_check(good == reps, "fuzz-guest/device-works",
		 "%u of %u runs right; last: %s, %lu checked loads, %lu traps",
		 good, reps, out >= 0 && out < O_NR ? outcome_name[out] : "?",
		 n_checked, traps);
}

static void bad_args(void)
{
	fprintf(stderr, "usage: fuzz-guest DEV [--seed N] [--runs N] [--from K] [--intree] [--dump]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned int runs = DEFAULT_RUNS, from = 0, known = 1, k, i;
	const char *seed_arg = NULL;
	struct timespec t0, t1;
	unsigned long checked;
	struct gvm g = { .vm = -1, .vcpu = -1, .vcpu1 = -1 };
	uint8_t first[256];
	int out;

	if (argc < 2)
		bad_args();
	dev = argv[1];
	harness = GUEST_SYM(guest_start);
	hlen = GUEST_SYM(guest_end) - harness;
	off_entry = GUEST_SYM(guest_entry) - harness;
	off_trap = GUEST_SYM(g_trap) - harness;
	off_lost = GUEST_SYM(g_lost) - harness;
	for (i = 2; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < (unsigned int)argc)
			seed_arg = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < (unsigned int)argc)
			runs = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--from") && i + 1 < (unsigned int)argc)
			from = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--known") && i + 1 < (unsigned int)argc)
			known = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--intree"))
			intree = true;
		else if (!strcmp(argv[i], "--dump"))
			dump = true;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else
			bad_args();
	}
	seed = fz_pick_seed("fuzz-guest", seed_arg);

	/* Same seed, same program. */
	gen_prog(from);
	memcpy(first, prog.img + hlen, sizeof(first));
	gen_prog(from);
	kt_check(!memcmp(first, prog.img + hlen,
			 sizeof(first)), "fuzz-guest/deterministic",
		 "run %u's program differs between two generations", from);

	if (!strcmp(dev, "none")) {
		for (k = from; k < from + runs; k++) {
			gen_prog(k);
			dump_prog(k);
		}
		return kt_exit_code();
	}
	kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		kt_check(false, "fuzz-guest/open", "%s: %s", dev,
			 strerrorname(errno));
		return kt_exit_code();
	}
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	have_ro = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	if (!have_ro)
		printf("fuzz-guest: no KVM_CAP_READONLY_MEM, code slot writable\n");
	/* No SA_RESTART: the alarm must end KVM_RUN. */
	sigaction(SIGALRM, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = from; k < from + runs; k++) {
		cur_run = k;
		cur_exit = 0;
		gen_prog(k);
		if (dump)
			dump_prog(k);
		if (g.vm < 0 || !g.runs_left--) {
			gvm_close(&g);
			if (!gvm_open(&g, fz_chance(50), fz_chance(10)))
				break;
			g.runs_left = fz_below(VM_MAX_RUNS);
		}
		if (!gvm_reset(&g)) {
			gvm_close(&g);
			outcomes[O_FAILED]++;
			continue;
		}
		out = run_prog(&g, RUN_BUDGET_US);
		outcomes[out]++;
		/* After an error the VM starts afresh. */
		if (out == O_FAILED || out == O_KVMERR)
			gvm_close(&g);
		/* The summary below covers the last run. */
		if ((k - from + 1) % PROGRESS_RUNS == 0 && k + 1 < from + runs)
			progress(k + 1 - from, &t0);
	}
	gvm_close(&g);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("fuzz-guest: %u runs in %.1f s (seed %llu, from %u, %lu VMs):",
	       k - from, (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9, (unsigned long long)seed,
	       from, n_fresh);
	print_outcomes();
	printf("\nfuzz-guest: exits: %lu mmio reads, %lu mmio writes, %lu sbi, %lu csr, %lu system events, %lu timer EINTR, %lu other EINTR; %lu interrupts injected\n",
	       n_mmio_r, n_mmio_w, n_sbi, n_csr, n_sysev, n_eintr,
	       n_spurious, n_irq);
	printf("fuzz-guest: checks: %lu exits matched to their instruction, %lu values checked, %lu not checkable\n",
	       n_oracle, n_checked, n_unchecked);
	if (intree)
		printf("fuzz-guest: kvm.ko KVM_RUN errors: %lu EFAULT, %lu EOPNOTSUPP, %lu EIO; %lu CSR exits for another instruction (stale stval)\n",
		       n_errno[0], n_errno[1], n_errno[2], n_stale);
	fflush(stdout);

	if (nfail) {
		printf("fuzz-guest: failures:");
		for (i = 0; i < ARRAY_SIZE(kinds) && kinds[i].what; i++)
			printf(" %lu %s", kinds[i].n, kinds[i].what);
		printf("\n");
	}
	checked = n_checked;
	kt_check(nfail == 0, "fuzz-guest/runs",
		 "%lu failures (the first ones above)", nfail);
	kt_check(intree || outcomes[O_REPORTED] > 0 || runs < 20,
		 "fuzz-guest/some-runs-report",
		 "no program ran to its report: the harness is broken");
	kt_check(checked > 0 || runs < 20, "fuzz-guest/some-checks",
		 "no value was checked");
	known_guest(known);
	close(kvm_fd);
	return kt_exit_code();
}
