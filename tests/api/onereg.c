// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU registers through KVM_GET_ONE_REG, KVM_SET_ONE_REG and
 * KVM_GET_REG_LIST: onereg DEV [rvkvm|intree] [--after-run].
 *
 * rvkvm follows the newest in-tree ABI (Linux 6.6+). The in-tree module of
 * the test kernel is 6.1, which predates that ABI's errno rules: where 6.1
 * answers differently, the expectation names the change and accepts the
 * 6.1 answer only in intree mode. Where rvkvm is deliberately stricter than
 * every in-tree version, the comment says so.
 *
 * --after-run runs the vCPU once (a store to an unmapped address, which
 * exits to userspace as MMIO) and then checks that configuration registers
 * are frozen while the value they already hold may still be written.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/ktest.h"
#include "../../include/uapi/rvkvm/kvm_compat.h"

#define REG_ULONG(type, idx) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (idx))
#define REG_U32(type, idx)   (KVM_REG_RISCV | KVM_REG_SIZE_U32 | (type) | (idx))
#define CORE(name)	REG_ULONG(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(name))
#define CSR(name)	REG_ULONG(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_REG(name))
#define TIMER(name)	REG_ULONG(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(name))
#define CONFIG(idx)	REG_ULONG(KVM_REG_RISCV_CONFIG, idx)
#define ISA_EXT(idx)	REG_ULONG(KVM_REG_RISCV_ISA_EXT, idx)
#define FP_F(idx)	REG_U32(KVM_REG_RISCV_FP_F, idx)
#define FP_D(idx)	REG_ULONG(KVM_REG_RISCV_FP_D, idx)
#define FP_D_FCSR	REG_U32(KVM_REG_RISCV_FP_D, 32)
#define WITH_SIZE(id, size) (((id) & ~KVM_REG_SIZE_MASK) | (size))

#define ISA(letter)	(1UL << ((letter) - 'a'))
#define ISA_GUEST	(ISA('a') | ISA('c') | ISA('d') | ISA('f') | ISA('i') | \
			 ISA('m'))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define GUEST_BASE	0x80000000UL
#define GUEST_SIZE	0x200000UL
#define MMIO_ADDR	0x10000000UL

/*
 * Linux 6.6 answers ENOENT for a register the vCPU does not have (unknown
 * type or index, or an extension the vCPU lacks); 6.1 said EINVAL.
 */
#define E_NOREG		(intree ? EINVAL : ENOENT)
/*
 * Linux 6.6 refuses configuration changes after the first KVM_RUN with
 * EBUSY and accepts writing the value a register already holds; 6.1
 * refused both with EOPNOTSUPP.
 */
#define E_FROZEN	(intree ? EOPNOTSUPP : EBUSY)
/*
 * Newer kernels accept the current value of a read-only register (timer
 * frequency, block sizes) and refuse others with EINVAL; 6.1 refused every
 * write with EOPNOTSUPP.
 */
#define E_READONLY	(intree ? EOPNOTSUPP : EINVAL)
#define OK_READONLY	(intree ? EOPNOTSUPP : 0)

static const char *dev;
static bool intree, after_run;
static int kvm_fd, vm_fd, vcpu_fd;
static char host_isa[512];	/* the "isa" line of /proc/cpuinfo */
static unsigned long isa;	/* the vCPU's CONFIG isa at start */

static const char *tname(const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "onereg[%s%s]/%s", dev,
		 intree ? " intree" : "", what);
	return buf;
}

static const char *tname2(const char *what, const char *sub)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s/%s", what, sub);
	return tname(buf);
}

static long one_reg(unsigned long req, uint64_t id, void *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu_fd, req, &reg);
}

static long get_reg(uint64_t id, void *val)
{
	return one_reg(KVM_GET_ONE_REG, id, val);
}

static long set_reg(uint64_t id, const void *val)
{
	return one_reg(KVM_SET_ONE_REG, id, (void *)val);
}

static long set64(uint64_t id, uint64_t val)
{
	return set_reg(id, &val);
}

static long set32(uint64_t id, uint32_t val)
{
	return set_reg(id, &val);
}

static uint64_t get64(uint64_t id, long *rc)
{
	uint64_t val = 0;

	*rc = get_reg(id, &val);
	return val;
}

/* want 0: the call must succeed; else it must fail with errno want. */
static bool check_rc(const char *name, long rc, int want)
{
	if (!want)
		return kt_check(rc == 0, name, "want success, got %s",
				strerrorname(errno));
	return KT_ERRNO(rc, want, name);
}

/* Write a value and read it back: one assertion. */
static void roundtrip(const char *what, uint64_t id, uint64_t val)
{
	uint64_t got = ~val;
	long rc = set64(id, val), rc2;
	int err = errno;

	rc2 = get_reg(id, &got);
	kt_check(rc == 0 && rc2 == 0 && got == val, tname(what),
		 "set %s, get %s, read %#llx want %#llx",
		 rc ? strerrorname(err) : "ok",
		 rc2 ? strerrorname(errno) : "ok",
		 (unsigned long long)got, (unsigned long long)val);
}

static void roundtrip32(const char *what, uint64_t id, uint32_t val)
{
	uint32_t got = ~val;
	long rc = set32(id, val), rc2;
	int err = errno;

	rc2 = get_reg(id, &got);
	kt_check(rc == 0 && rc2 == 0 && got == val, tname(what),
		 "set %s, get %s, read %#x want %#x",
		 rc ? strerrorname(err) : "ok",
		 rc2 ? strerrorname(errno) : "ok", got, val);
}

static void read_host_isa(void)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "isa", 3) && strchr(line, ':')) {
			snprintf(host_isa, sizeof(host_isa), "%s",
				 strchr(line, ':') + 2);
			host_isa[strcspn(host_isa, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
}

/* A single letter in the host's "rv64..." prefix. */
static bool host_has_letter(char x)
{
	size_t n = strcspn(host_isa, "_");

	return n > 4 && memchr(host_isa + 4, x, n - 4);
}

/* A multi-letter extension in the host's isa string. */
static bool host_has_ext(const char *name)
{
	char key[64];

	snprintf(key, sizeof(key), "_%s", name);
	for (const char *p = strstr(host_isa, key); p; p = strstr(p + 1, key))
		if (p[strlen(key)] == '_' || !p[strlen(key)])
			return true;
	return false;
}

static void test_core(void)
{
	uint32_t v32 = 0;
	uint64_t v;
	long rc;

	roundtrip("core/pc", CORE(regs.pc), GUEST_BASE + 0x1000);
	roundtrip("core/a0", CORE(regs.a0), 0x0123456789abcdefULL);
	roundtrip("core/t6", CORE(regs.t6), 0xfedcba9876543210ULL);
	roundtrip("core/mode-u", CORE(mode), KVM_RISCV_MODE_U);
	roundtrip("core/mode-s", CORE(mode), KVM_RISCV_MODE_S);

	/*
	 * rvkvm refuses modes other than S and U. Every in-tree version
	 * takes any value but S as U: rvkvm is stricter on purpose.
	 */
	rc = set64(CORE(mode), 3);
	if (intree) {
		v = get64(CORE(mode), &rc);
		kt_check(rc == 0 && v == KVM_RISCV_MODE_U,
			 tname("core/mode-bad"), "in-tree: mode %llu, %s",
			 (unsigned long long)v, strerrorname(errno));
		set64(CORE(mode), KVM_RISCV_MODE_S);
	} else {
		KT_ERRNO(rc, EINVAL, tname("core/mode-bad"));
	}
	v = get64(CORE(mode), &rc);
	kt_check(rc == 0 && v == KVM_RISCV_MODE_S, tname("core/mode-kept"),
		 "mode %llu after the refused write", (unsigned long long)v);

	rc = get_reg(WITH_SIZE(CORE(regs.pc), KVM_REG_SIZE_U32), &v32);
	KT_ERRNO(rc, EINVAL, tname("core/size-u32"));
}

static void test_csr(void)
{
	uint64_t buf[4] = { 0 }, v;
	long rc;

	roundtrip("csr/sscratch", CSR(sscratch), 0x5a5a5a5a12345678ULL);
	roundtrip("csr/sepc", CSR(sepc), 0xffffffff80001000ULL);
	roundtrip("csr/stvec", CSR(stvec), 0xffffffff80000100ULL);
	roundtrip("csr/satp", CSR(satp), (8ULL << 60) | 0x80123);
	roundtrip("csr/scounteren", CSR(scounteren), 0x7);
	/*
	 * WARL: rvkvm keeps only sstatus's S-level fields (M-level bits such
	 * as TSR and MPRV would reach QEMU 7.2's host mstatus) and ignores a
	 * satp of an unknown MODE (QEMU aborts on it). 6.1 stores either, so
	 * kvm.ko is not given them: they would oops or abort this host.
	 */
	if (intree) {
		kt_skip(tname("csr/sstatus-warl"), "kvm.ko 6.1 stores any value");
		kt_skip(tname("csr/satp-bad-mode-ignored"),
			"kvm.ko 6.1 stores any value");
	} else {
		rc = set64(CSR(sstatus), ~0ULL);
		v = get64(CSR(sstatus), &rc);
		kt_check(rc == 0 && v == 0x80000003000de762ULL,
			 tname("csr/sstatus-warl"),
			 "sstatus %#llx after all ones", (unsigned long long)v);
		set64(CSR(sstatus), 0);
		rc = set64(CSR(satp), 15ULL << 60);
		v = get64(CSR(satp), &rc);
		kt_check(rc == 0 && v == ((8ULL << 60) | 0x80123),
			 tname("csr/satp-bad-mode-ignored"), "satp %#llx",
			 (unsigned long long)v);
		set64(CSR(satp), 0);
	}
	/* sip carries SSIP, STIP and SEIP only. */
	roundtrip("csr/sip", CSR(sip), 0x222);
	rc = set64(CSR(sip), ~0ULL);
	v = get64(CSR(sip), &rc);
	kt_check(rc == 0 && v == 0x222, tname("csr/sip-masked"),
		 "sip %#llx after writing all ones", (unsigned long long)v);
	roundtrip("csr/sip-clear", CSR(sip), 0);

	rc = get_reg(WITH_SIZE(CSR(sstatus), KVM_REG_SIZE_U128), buf);
	KT_ERRNO(rc, EINVAL, tname("csr/size-u128"));
}

static void test_timer(void)
{
	uint64_t freq, v, t, cmp;
	uint32_t v32;
	long rc;

	freq = get64(TIMER(frequency), &rc);
	kt_check(rc == 0 && freq > 0, tname("timer/frequency"),
		 "rc %ld, %llu Hz", rc, (unsigned long long)freq);
	check_rc(tname("timer/frequency-same"), set64(TIMER(frequency), freq),
		 OK_READONLY);
	check_rc(tname("timer/frequency-other"),
		 set64(TIMER(frequency), freq + 1), E_READONLY);

	/* Time keeps running from the value written. */
	rc = set64(TIMER(time), 1000000000ULL);
	t = get64(TIMER(time), &rc);
	kt_check(rc == 0 && t >= 1000000000ULL &&
		 t - 1000000000ULL < 60 * freq, tname("timer/time"),
		 "read %llu after writing 1000000000", (unsigned long long)t);

	cmp = t + 1000 * freq;
	roundtrip("timer/compare", TIMER(compare), cmp);

	/*
	 * rvkvm arms the timer when compare is written, as Sstc hardware
	 * would. Every in-tree version only stores compare and leaves the
	 * timer off until state is written.
	 */
	v = get64(TIMER(state), &rc);
	kt_check(rc == 0 && v == (intree ? KVM_RISCV_TIMER_STATE_OFF :
					    KVM_RISCV_TIMER_STATE_ON),
		 tname("timer/compare-arms"), "state %llu",
		 (unsigned long long)v);

	/*
	 * In-tree (every version) fails to stop a timer that is not armed
	 * with EINVAL; QEMU skips that write because of it. rvkvm's timer
	 * is armed here, so it must stop.
	 */
	rc = set64(TIMER(state), KVM_RISCV_TIMER_STATE_OFF);
	if (intree) {
		KT_ERRNO(rc, EINVAL, tname("timer/state-off"));
	} else {
		v = get64(TIMER(state), &rc);
		kt_check(rc == 0 && v == KVM_RISCV_TIMER_STATE_OFF,
			 tname("timer/state-off"), "state %llu",
			 (unsigned long long)v);
	}
	/* Unknown states: in-tree takes them as OFF, failing as above. */
	KT_ERRNO(set64(TIMER(state), 2), EINVAL, tname("timer/state-bad"));

	rc = set64(TIMER(state), KVM_RISCV_TIMER_STATE_ON);
	if (intree) {
		/*
		 * In-tree arms at the state value (1) instead of compare and,
		 * with Sstc, does not report the timer on afterwards; only
		 * the return value is comparable.
		 */
		check_rc(tname("timer/state-on"), rc, 0);
	} else {
		v = get64(TIMER(state), &rc);
		t = get64(TIMER(compare), &rc);
		kt_check(rc == 0 && v == KVM_RISCV_TIMER_STATE_ON && t == cmp,
			 tname("timer/state-on"), "state %llu compare %#llx",
			 (unsigned long long)v, (unsigned long long)t);
		set64(TIMER(state), KVM_RISCV_TIMER_STATE_OFF);
	}

	rc = get_reg(WITH_SIZE(TIMER(compare), KVM_REG_SIZE_U32), &v32);
	KT_ERRNO(rc, EINVAL, tname("timer/size-u32"));
}

static void test_fp(void)
{
	uint64_t v, buf[2] = { 0 };
	uint32_t v32;
	long rc;

	if (isa & ISA('d')) {
		roundtrip("fp-d/f5", FP_D(5), 0x400921fb54442d18ULL);
		roundtrip("fp-d/f31", FP_D(31), 0xc000000000000001ULL);
		roundtrip32("fp-d/fcsr", FP_D_FCSR, 0x41);
		rc = get_reg(WITH_SIZE(FP_D(0), KVM_REG_SIZE_U32), &v32);
		KT_ERRNO(rc, EINVAL, tname("fp-d/size-f-u32"));
		rc = get_reg(WITH_SIZE(FP_D_FCSR, KVM_REG_SIZE_U64), buf);
		KT_ERRNO(rc, EINVAL, tname("fp-d/size-fcsr-u64"));
	} else {
		kt_skip(tname("fp-d"), "the vCPU has no D");
	}
	if (isa & ISA('f')) {
		roundtrip32("fp-f/f7", FP_F(7), 0x40490fdb);
		roundtrip32("fp-f/fcsr", FP_F(32), 0x21);
		rc = get_reg(WITH_SIZE(FP_F(0), KVM_REG_SIZE_U64), buf);
		KT_ERRNO(rc, EINVAL, tname("fp-f/size-u64"));
	} else {
		kt_skip(tname("fp-f"), "the vCPU has no F");
	}
	if (!(isa & ISA('f')) || !(isa & ISA('d')))
		return;
	if (intree) {
		/*
		 * In-tree FP_F indexes the F-only layout, which shares its
		 * memory with the D state: with D present, FP_F f[n] is not
		 * the low half of f[n]. rvkvm gives the architectural view.
		 */
		kt_skip(tname("fp-f/views-d"), "in-tree FP_F aliases the D layout");
		return;
	}
	set64(FP_D(3), 0x1122334455667788ULL);
	rc = get_reg(FP_F(3), &v32);
	kt_check(rc == 0 && v32 == 0x55667788, tname("fp-f/views-d"),
		 "FP_F f3 %#x", v32);
	/* A single written through FP_F is NaN-boxed in the D register. */
	set32(FP_F(4), 0x3f800000);
	v = get64(FP_D(4), &rc);
	kt_check(rc == 0 && v == 0xffffffff3f800000ULL, tname("fp-f/nan-boxed"),
		 "FP_D f4 %#llx", (unsigned long long)v);
	v32 = 0;
	rc = get_reg(FP_D_FCSR, &v32);
	kt_check(rc == 0 && v32 == 0x21, tname("fp-f/fcsr-shared"),
		 "FP_D fcsr %#x after FP_F fcsr 0x21", v32);
}

static void test_config(void)
{
	static const struct {
		const char *name;
		unsigned int idx;
	} ids[] = {
		{ "mvendorid", RVKVM_RISCV_CONFIG_MVENDORID },
		{ "marchid", RVKVM_RISCV_CONFIG_MARCHID },
		{ "mimpid", RVKVM_RISCV_CONFIG_MIMPID },
	};
	static const struct {
		const char *ext;
		unsigned int idx;
	} cbo[] = {
		{ "zicbom", RVKVM_RISCV_CONFIG_ZICBOM_BLOCK_SIZE },
		{ "zicboz", RVKVM_RISCV_CONFIG_ZICBOZ_BLOCK_SIZE },
	};
	unsigned long letters = 0, v;
	const char *x;
	char what[64];
	long rc;
	size_t i;

	for (x = "acdfim"; *x; x++)
		if (host_has_letter(*x))
			letters |= ISA(*x);
	kt_check((isa & ISA('i')) && !(isa & ~ISA_GUEST), tname("config/isa"),
		 "isa %#lx", isa);
	kt_check(isa == letters, tname("config/isa-host"),
		 "isa %#lx, host \"%s\"", isa, host_isa);
	check_rc(tname("config/isa-same"),
		 set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa), 0);

	/*
	 * rvkvm refuses an isa it cannot give: letters the host lacks or
	 * rvkvm does not virtualise (H), clearing letters the hardware
	 * cannot hide (A, C, I, M), D without F. Every in-tree version
	 * silently adjusts such a value instead: rvkvm is stricter on purpose.
	 */
	rc = set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa | ISA('q'));
	check_rc(tname("config/isa-missing-letter"), rc, intree ? 0 : EINVAL);
	rc = set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa | ISA('h'));
	check_rc(tname("config/isa-h"), rc, intree ? 0 : EINVAL);
	rc = set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa & ~ISA('a'));
	check_rc(tname("config/isa-clear-a"), rc, intree ? 0 : EINVAL);
	v = get64(CONFIG(RVKVM_RISCV_CONFIG_ISA), &rc);
	kt_check(rc == 0 && v == isa, tname("config/isa-unchanged"),
		 "isa %#lx after the refused writes, was %#lx", v, isa);
	if ((isa & ISA('d')) && (isa & ISA('f'))) {
		rc = set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa & ~ISA('f'));
		check_rc(tname("config/isa-d-without-f"), rc,
			 intree ? 0 : EINVAL);
		set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa);
	}

	/* The machine IDs arrived in Linux 6.2. */
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		uint64_t id = CONFIG(ids[i].idx);

		v = get64(id, &rc);
		if (intree) {
			KT_ERRNO(rc, EINVAL, tname2("config", ids[i].name));
			continue;
		}
		check_rc(tname2("config", ids[i].name), rc, 0);
		check_rc(tname2("config/same", ids[i].name), set64(id, v), 0);
		snprintf(what, sizeof(what), "config/set/%s", ids[i].name);
		roundtrip(what, id, v + 0x100);
		set64(id, v);
	}

	/* satp_mode (Linux 6.6): the host's paging mode, read-only. */
	v = get64(CONFIG(RVKVM_RISCV_CONFIG_SATP_MODE), &rc);
	if (intree) {
		KT_ERRNO(rc, EINVAL, tname("config/satp-mode"));
	} else {
		kt_check(rc == 0 && v >= 8 && v <= 10,
			 tname("config/satp-mode"), "rc %ld mode %lu", rc, v);
		check_rc(tname("config/satp-mode-same"),
			 set64(CONFIG(RVKVM_RISCV_CONFIG_SATP_MODE), v), 0);
		KT_ERRNO(set64(CONFIG(RVKVM_RISCV_CONFIG_SATP_MODE), v + 1),
			 EINVAL, tname("config/satp-mode-other"));
	}

	/*
	 * Block sizes exist when the host has the extension. 6.1 knows
	 * zicbom_block_size only (zicboz's came in 6.4) and answers EINVAL
	 * for a register it does not have.
	 */
	for (i = 0; i < ARRAY_SIZE(cbo); i++) {
		uint64_t id = CONFIG(cbo[i].idx);
		bool have = host_has_ext(cbo[i].ext);

		if (intree && cbo[i].idx != RVKVM_RISCV_CONFIG_ZICBOM_BLOCK_SIZE)
			have = false;
		v = get64(id, &rc);
		if (!have) {
			KT_ERRNO(rc, E_NOREG, tname2("config/block-size",
						     cbo[i].ext));
			continue;
		}
		kt_check(rc == 0 && v && !(v & (v - 1)),
			 tname2("config/block-size", cbo[i].ext),
			 "rc %ld size %lu", rc, v);
		check_rc(tname2("config/block-size-same", cbo[i].ext),
			 set64(id, v), OK_READONLY);
		check_rc(tname2("config/block-size-other", cbo[i].ext),
			 set64(id, v * 2), E_READONLY);
	}
}

/*
 * Sstc has a register exactly when the host has it, and is on by default.
 * rvkvm lets a VMM turn it off before the first run (the guest then uses
 * SBI set_timer); 6.1 refuses to.
 */
static void test_isa_ext_sstc(void)
{
	uint64_t v;
	long rc, rc2;

	v = get64(ISA_EXT(KVM_RISCV_ISA_EXT_SSTC), &rc);
	if (!host_has_ext("sstc")) {
		/* 6.1 answers 0 for an extension the host lacks. */
		if (intree)
			kt_check(rc == 0 && v == 0, tname("isa-ext/sstc-absent"),
				 "rc %ld value %llu", rc, (unsigned long long)v);
		else
			KT_ERRNO(rc, ENOENT, tname("isa-ext/sstc-absent"));
		return;
	}
	kt_check(rc == 0 && v == 1, tname("isa-ext/sstc"), "rc %ld value %llu",
		 rc, (unsigned long long)v);
	rc = set64(ISA_EXT(KVM_RISCV_ISA_EXT_SSTC), 0);
	if (intree) {
		KT_ERRNO(rc, EINVAL, tname("isa-ext/sstc-disable"));
		return;
	}
	v = get64(ISA_EXT(KVM_RISCV_ISA_EXT_SSTC), &rc2);
	kt_check(rc == 0 && rc2 == 0 && v == 0, tname("isa-ext/sstc-disable"),
		 "rc %ld/%ld value %llu", rc, rc2, (unsigned long long)v);
	check_rc(tname("isa-ext/sstc-enable"),
		 set64(ISA_EXT(KVM_RISCV_ISA_EXT_SSTC), 1), 0);
}

static void test_isa_ext(void)
{
	uint64_t v;
	long rc, rc2;

	v = get64(ISA_EXT(KVM_RISCV_ISA_EXT_I), &rc);
	kt_check(rc == 0 && v == 1, tname("isa-ext/i"), "rc %ld value %llu",
		 rc, (unsigned long long)v);
	v = get64(ISA_EXT(KVM_RISCV_ISA_EXT_H), &rc);
	kt_check(rc == 0 && v == 0, tname("isa-ext/h"), "rc %ld value %llu",
		 rc, (unsigned long long)v);
	KT_ERRNO(set64(ISA_EXT(KVM_RISCV_ISA_EXT_H), 1), EINVAL,
		 tname("isa-ext/h-enable"));
	check_rc(tname("isa-ext/i-same"), set64(ISA_EXT(KVM_RISCV_ISA_EXT_I), 1),
		 0);
	KT_ERRNO(set64(ISA_EXT(KVM_RISCV_ISA_EXT_I), 0), EINVAL,
		 tname("isa-ext/i-disable"));
	KT_ERRNO(set64(ISA_EXT(KVM_RISCV_ISA_EXT_I), 2), EINVAL,
		 tname("isa-ext/value-2"));

	test_isa_ext_sstc();
	if (!(isa & ISA('d')))
		return;
	rc = set64(ISA_EXT(KVM_RISCV_ISA_EXT_D), 0);
	v = get64(CONFIG(RVKVM_RISCV_CONFIG_ISA), &rc2);
	kt_check(rc == 0 && rc2 == 0 && v == (isa & ~ISA('d')),
		 tname("isa-ext/d-disable"), "rc %ld isa %#llx", rc,
		 (unsigned long long)v);
	KT_ERRNO(get_reg(FP_D(0), &v), E_NOREG, tname("isa-ext/d-disable-fp"));
	rc = set64(ISA_EXT(KVM_RISCV_ISA_EXT_D), 1);
	v = get64(CONFIG(RVKVM_RISCV_CONFIG_ISA), &rc2);
	kt_check(rc == 0 && rc2 == 0 && v == isa, tname("isa-ext/d-enable"),
		 "rc %ld isa %#llx", rc, (unsigned long long)v);
}

/* Ids no vCPU has. */
static const struct {
	const char *name;
	uint64_t id;
} bad_ids[] = {
	{ "type-0", REG_ULONG(0, 0) },
	{ "type-15", REG_ULONG(0x0fULL << KVM_REG_RISCV_TYPE_SHIFT, 0) },
	{ "type-255", REG_ULONG(0xffULL << KVM_REG_RISCV_TYPE_SHIFT, 0) },
	{ "config-past-end", CONFIG(0x100) },
	{ "core-past-end", CORE(mode) + 1 },
	{ "csr-past-end", CSR(scounteren) + 1 },
	/* hypervisor CSRs, by their CSR numbers and by sub-type */
	{ "csr-hstatus", REG_ULONG(KVM_REG_RISCV_CSR, 0x600) },
	{ "csr-hedeleg", REG_ULONG(KVM_REG_RISCV_CSR, 0x602) },
	{ "csr-hideleg", REG_ULONG(KVM_REG_RISCV_CSR, 0x603) },
	{ "csr-hcounteren", REG_ULONG(KVM_REG_RISCV_CSR, 0x606) },
	{ "csr-henvcfg", REG_ULONG(KVM_REG_RISCV_CSR, 0x60a) },
	{ "csr-hgatp", REG_ULONG(KVM_REG_RISCV_CSR, 0x680) },
	{ "csr-aia", REG_ULONG(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_AIA) },
	{ "timer-past-end", TIMER(state) + 1 },
	{ "fp-f-past-end", FP_F(33) },
	{ "fp-d-past-end", FP_D(33) },
	{ "isa-ext-past-end", ISA_EXT(0xfff) },
	{ "isa-ext-multi", ISA_EXT(KVM_REG_RISCV_ISA_MULTI_EN) },
	{ "index-high-bits", CORE(regs.pc) | (1ULL << 40) },
};

static void test_bad_ids(void)
{
	uint64_t buf[4] = { 0 };
	size_t i;
	long rc;

	for (i = 0; i < ARRAY_SIZE(bad_ids); i++) {
		KT_ERRNO(get_reg(bad_ids[i].id, buf), E_NOREG,
			 tname2("bad-id/get", bad_ids[i].name));
		KT_ERRNO(set_reg(bad_ids[i].id, buf), E_NOREG,
			 tname2("bad-id/set", bad_ids[i].name));
	}

	/*
	 * rvkvm refuses ids of another architecture. Every in-tree version
	 * ignores the architecture field: rvkvm is stricter on purpose.
	 */
	rc = get_reg((CORE(regs.pc) & ~KVM_REG_ARCH_MASK) | KVM_REG_ARM64, buf);
	check_rc(tname("bad-id/arch"), rc, intree ? 0 : ENOENT);

	KT_ERRNO(get_reg(CORE(regs.pc), NULL), EFAULT, tname("efault/get"));
	KT_ERRNO(set_reg(CORE(regs.pc), (void *)8), EFAULT,
		 tname("efault/set"));
}

static struct kvm_reg_list *list_get(uint64_t *count, const char *what)
{
	struct kvm_reg_list hdr = { .n = 0 }, *l;
	long rc;

	rc = ioctl(vcpu_fd, KVM_GET_REG_LIST, &hdr);
	if (!kt_check(rc == -1 && errno == E2BIG && hdr.n > 0,
		      tname2(what, "e2big"), "rc %ld %s n %llu", rc,
		      strerrorname(errno), (unsigned long long)hdr.n))
		return NULL;
	l = calloc(1, sizeof(*l) + hdr.n * sizeof(l->reg[0]));
	l->n = hdr.n;
	rc = ioctl(vcpu_fd, KVM_GET_REG_LIST, l);
	if (!kt_check(rc == 0 && l->n == hdr.n, tname2(what, "get"),
		      "rc %ld %s n %llu", rc, strerrorname(errno),
		      (unsigned long long)l->n)) {
		free(l);
		return NULL;
	}
	*count = l->n;
	return l;
}

static bool list_has(const struct kvm_reg_list *l, uint64_t id)
{
	for (uint64_t i = 0; i < l->n; i++)
		if (l->reg[i] == id)
			return true;
	return false;
}

static uint64_t expected_count(unsigned long vcpu_isa)
{
	uint64_t n = 33 + 10 + 4;	/* CORE, CSR, TIMER */
	const char *x;

	n += 5;		/* isa, machine IDs, satp_mode */
	n += host_has_ext("zicbom") + host_has_ext("zicboz");
	n += vcpu_isa & ISA('f') ? 33 : 0;
	n += vcpu_isa & ISA('d') ? 33 : 0;
	for (x = "acdfhim"; *x; x++)
		n += host_has_letter(*x);
	n += host_has_ext("sstc");
	return n;
}

static void test_list(void)
{
	struct kvm_reg_list hdr = { .n = 0 }, *l, *big;
	uint64_t count, i, j, bad = 0, val[4];
	long rc;

	rc = ioctl(vcpu_fd, KVM_GET_REG_LIST, &hdr);
	if (intree) {
		/* KVM_GET_REG_LIST for RISC-V arrived in Linux 6.6. */
		KT_ERRNO(rc, EINVAL, tname("list/absent-before-6.6"));
		return;
	}
	l = list_get(&count, "list");
	if (!l)
		return;

	hdr.n = count - 1;
	rc = ioctl(vcpu_fd, KVM_GET_REG_LIST, &hdr);
	kt_check(rc == -1 && errno == E2BIG && hdr.n == count,
		 tname("list/e2big-short"), "rc %ld %s n %llu", rc,
		 strerrorname(errno), (unsigned long long)hdr.n);

	big = calloc(1, sizeof(*big) + (count + 4) * sizeof(big->reg[0]));
	big->n = count + 4;
	for (i = 0; i < count + 4; i++)
		big->reg[i] = 0xdeadbeef;
	rc = ioctl(vcpu_fd, KVM_GET_REG_LIST, big);
	kt_check(rc == 0 && big->n == count &&
		 !memcmp(big->reg, l->reg, count * sizeof(l->reg[0])) &&
		 big->reg[count] == 0xdeadbeef && big->reg[count + 3] == 0xdeadbeef,
		 tname("list/larger-buffer"), "rc %ld n %llu", rc,
		 (unsigned long long)big->n);
	free(big);

	kt_check(count == expected_count(isa), tname("list/count"),
		 "%llu registers, expected %llu", (unsigned long long)count,
		 (unsigned long long)expected_count(isa));

	for (i = 0; i < count && !bad; i++)
		for (j = i + 1; j < count; j++)
			if (l->reg[i] == l->reg[j])
				bad = l->reg[i];
	kt_check(!bad, tname("list/unique"), "%#llx twice",
		 (unsigned long long)bad);

	for (i = 0; i < count && !bad; i++) {
		uint64_t type = l->reg[i] & KVM_REG_RISCV_TYPE_MASK;

		if ((l->reg[i] & KVM_REG_ARCH_MASK) != KVM_REG_RISCV ||
		    type < KVM_REG_RISCV_CONFIG || type > KVM_REG_RISCV_ISA_EXT)
			bad = l->reg[i];
	}
	kt_check(!bad, tname("list/well-formed"), "id %#llx",
		 (unsigned long long)bad);

	kt_check(list_has(l, CORE(regs.pc)) && list_has(l, CORE(mode)) &&
		 list_has(l, CSR(sstatus)) && list_has(l, CSR(sip)) &&
		 list_has(l, TIMER(state)) &&
		 list_has(l, CONFIG(RVKVM_RISCV_CONFIG_ISA)) &&
		 list_has(l, CONFIG(RVKVM_RISCV_CONFIG_SATP_MODE)) &&
		 list_has(l, ISA_EXT(KVM_RISCV_ISA_EXT_I)),
		 tname("list/members"), "a basic register is missing");
	kt_check(list_has(l, FP_D_FCSR) == !!(isa & ISA('d')) &&
		 list_has(l, FP_F(32)) == !!(isa & ISA('f')),
		 tname("list/fp-members"), "FP registers do not follow isa %#lx",
		 isa);

	for (i = 0; i < ARRAY_SIZE(bad_ids) && !bad; i++)
		if (list_has(l, bad_ids[i].id))
			bad = bad_ids[i].id;
	kt_check(!bad, tname("list/no-unknown-ids"), "%#llx listed",
		 (unsigned long long)bad);

	/* Every listed register can be read, and written back as read. */
	for (i = 0; i < count && !bad; i++)
		if (get_reg(l->reg[i], val))
			bad = l->reg[i];
	kt_check(!bad, tname("list/all-readable"), "%#llx: %s",
		 (unsigned long long)bad, strerrorname(errno));
	for (i = 0; i < count && !bad; i++)
		if (get_reg(l->reg[i], val) || set_reg(l->reg[i], val))
			bad = l->reg[i];
	kt_check(!bad, tname("list/all-write-back"), "%#llx: %s",
		 (unsigned long long)bad, strerrorname(errno));

	KT_ERRNO(ioctl(vcpu_fd, KVM_GET_REG_LIST, NULL), EFAULT,
		 tname("list/efault"));
	free(l);
}

/* Without F and D in isa, no FP register exists and none is listed. */
static void test_fp_absent(void)
{
	unsigned long no_fp = isa & ~(ISA('f') | ISA('d'));
	struct kvm_reg_list *l;
	uint64_t v = 0, count, i, bad = 0;
	long rc;

	if (!(isa & (ISA('f') | ISA('d')))) {
		kt_skip(tname("fp-absent"), "the vCPU has no F or D");
		return;
	}
	if (!check_rc(tname("fp-absent/clear-fd"),
		      set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), no_fp), 0))
		return;
	KT_ERRNO(get_reg(FP_F(0), &v), E_NOREG, tname("fp-absent/get-f"));
	KT_ERRNO(set_reg(FP_F(32), &v), E_NOREG, tname("fp-absent/set-f"));
	KT_ERRNO(get_reg(FP_D(0), &v), E_NOREG, tname("fp-absent/get-d"));
	KT_ERRNO(set_reg(FP_D_FCSR, &v), E_NOREG, tname("fp-absent/set-d"));
	if (!intree) {
		l = list_get(&count, "fp-absent/list");
		for (i = 0; l && i < count; i++) {
			uint64_t type = l->reg[i] & KVM_REG_RISCV_TYPE_MASK;

			if (type == KVM_REG_RISCV_FP_F ||
			    type == KVM_REG_RISCV_FP_D)
				bad = l->reg[i];
		}
		if (l)
			kt_check(!bad && count == expected_count(no_fp),
				 tname("fp-absent/list-no-fp"),
				 "%llu registers, %#llx listed",
				 (unsigned long long)count,
				 (unsigned long long)bad);
		free(l);
	}
	rc = set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa);
	kt_check(rc == 0 && get_reg(FP_D_FCSR, &v) == 0,
		 tname("fp-absent/restored"), "FP_D fcsr unreadable after isa %#lx",
		 isa);
}

/* Run the vCPU once: a store to an unmapped address exits as MMIO. */
static bool run_once(void)
{
	static const uint32_t code[] = {
		0x00053023,	/* sd zero, 0(a0) */
		0x0000006f,	/* j . */
	};
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = GUEST_BASE,
		.memory_size = GUEST_SIZE,
	};
	struct kvm_run *run;
	void *mem;
	long size, rc;

	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (!kt_check(mem != MAP_FAILED && run != MAP_FAILED,
		      tname("after-run/setup"), "mmap: %s", strerror(errno)))
		return false;
	memcpy(mem, code, sizeof(code));
	region.userspace_addr = (uintptr_t)mem;
	rc = ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	rc = rc ?: set64(CORE(regs.pc), GUEST_BASE);
	rc = rc ?: set64(CORE(regs.a0), MMIO_ADDR);
	rc = rc ?: ioctl(vcpu_fd, KVM_RUN, 0);
	return kt_check(rc == 0 && run->exit_reason == KVM_EXIT_MMIO &&
			run->mmio.phys_addr == MMIO_ADDR && run->mmio.is_write,
			tname("after-run/run"), "rc %ld %s exit %u",
			rc, rc ? strerrorname(errno) : "ok", run->exit_reason);
}

/*
 * On a VM of its own: the first vCPU's registers were left with values no
 * guest could run with (satp, stvec).
 */
static void test_after_run(void)
{
	uint64_t v;
	long rc;

	close(vcpu_fd);
	close(vm_fd);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	vcpu_fd = vm_fd >= 0 ? ioctl(vm_fd, KVM_CREATE_VCPU, 0) : -1;
	if (!kt_check(vcpu_fd >= 0, tname("after-run/create-vcpu"), "%s",
		      strerrorname(errno)))
		return;
	if (!run_once())
		return;
	/* Linux 6.6 let the current value through; 6.1 refused it too. */
	check_rc(tname("after-run/isa-same"),
		 set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa),
		 intree ? EOPNOTSUPP : 0);
	KT_ERRNO(set64(CONFIG(RVKVM_RISCV_CONFIG_ISA), isa & ~ISA('d')),
		 E_FROZEN, tname("after-run/isa-change"));
	v = get64(ISA_EXT(KVM_RISCV_ISA_EXT_D), &rc);
	KT_ERRNO(set64(ISA_EXT(KVM_RISCV_ISA_EXT_D), !v), E_FROZEN,
		 tname("after-run/isa-ext-change"));
	check_rc(tname("after-run/isa-ext-same"),
		 set64(ISA_EXT(KVM_RISCV_ISA_EXT_D), v),
		 intree ? EOPNOTSUPP : 0);
	/* The machine IDs arrived in Linux 6.2. */
	v = get64(CONFIG(RVKVM_RISCV_CONFIG_MVENDORID), &rc);
	check_rc(tname("after-run/mvendorid-same"),
		 set64(CONFIG(RVKVM_RISCV_CONFIG_MVENDORID), v),
		 intree ? EINVAL : 0);
	KT_ERRNO(set64(CONFIG(RVKVM_RISCV_CONFIG_MVENDORID), v + 1),
		 intree ? EINVAL : EBUSY, tname("after-run/mvendorid-change"));
	/* Registers that are not configuration stay writable. */
	roundtrip("after-run/pc", CORE(regs.pc), GUEST_BASE + 4);
}

int main(int argc, char **argv)
{
	uint64_t v;
	long rc;
	int i;

	if (argc < 2) {
		kt_check(false, "onereg/usage",
			 "onereg DEV [rvkvm|intree] [--after-run]");
		return kt_exit_code();
	}
	dev = argv[1];
	for (i = 2; i < argc; i++) {
		intree |= !strcmp(argv[i], "intree");
		after_run |= !strcmp(argv[i], "--after-run");
	}
	read_host_isa();
	printf("onereg: host isa \"%s\"\n", host_isa);

	kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (!kt_check(kvm_fd >= 0, tname("open"), "%s", strerrorname(errno)))
		return kt_exit_code();
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (!kt_check(vm_fd >= 0, tname("create-vm"), "%s",
		      strerrorname(errno)))
		return kt_exit_code();
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (!kt_check(vcpu_fd >= 0, tname("create-vcpu"), "%s",
		      strerrorname(errno)))
		return kt_exit_code();
	v = get64(CONFIG(RVKVM_RISCV_CONFIG_ISA), &rc);
	if (!kt_check(rc == 0, tname("config/isa-read"), "%s",
		      strerrorname(errno)))
		return kt_exit_code();
	isa = v;

	test_core();
	test_csr();
	test_timer();
	test_fp();
	test_config();
	test_isa_ext();
	test_bad_ids();
	test_list();
	test_fp_absent();
	if (after_run)
		test_after_run();

	close(vcpu_fd);
	close(vm_fd);
	close(kvm_fd);
	return kt_exit_code();
}
