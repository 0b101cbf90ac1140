// SPDX-License-Identifier: GPL-2.0
/*
 * Binary statistics of a VM: stats DEV rvkvm|intree [TAG].
 * Checks the layout userspace relies on (header, id, descriptors, data),
 * reads at any offset, the file's lifetime (it holds the VM and the module
 * after the VM fd is closed) and its refusals. The same assertions run
 * against rvkvm and the in-tree kvm.ko.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/ktest.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *dev, *tag;
static bool intree;

/* What one stats fd says about itself, read once. */
struct stats {
	struct kvm_stats_header hdr;
	size_t desc_size;		/* one descriptor with its name */
	char *desc;			/* num_desc of them */
	size_t data_size;
	size_t end;			/* just past the last block */
};

/* rvkvm's VM statistics, in order, and whether each is a gauge. */
static const struct {
	const char *name;
	bool gauge;
} rvkvm_vm_stats[] = {
	{ "remote_tlb_flush", false },
	{ "gstage_pages_mapped", true },
	{ "pinned_pages", true },
	{ "memslot_updates", false },
};

static const char *tname(const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "stats[%s%s%s]/%s", dev, *tag ? " " : "",
		 tag, what);
	return buf;
}

static struct kvm_stats_desc *desc_at(const struct stats *st, unsigned int i)
{
	return (struct kvm_stats_desc *)(st->desc + i * st->desc_size);
}

static bool aligned8(uint64_t v)
{
	return !(v & 7);
}

/* [a, a + alen) and [b, b + blen) share no byte. */
static bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

static bool read_header(int fd, struct stats *st)
{
	struct kvm_stats_header *h = &st->hdr;
	ssize_t rc;

	memset(st, 0, sizeof(*st));
	rc = read(fd, h, sizeof(*h));
	if (!kt_check(rc == sizeof(*h), tname("header-read"),
		      "rc=%zd errno=%s", rc, strerrorname(errno)))
		return false;
	kt_check(h->flags == 0, tname("header-flags"), "flags %#x", h->flags);
	/* A multiple of 8 keeps every descriptor 8-byte aligned. */
	if (!kt_check(h->name_size >= 8 && aligned8(h->name_size),
		      tname("header-name-size"), "name_size %u", h->name_size))
		return false;
	if (!kt_check(h->num_desc > 0 && h->num_desc < 4096,
		      tname("header-num-desc"), "num_desc %u", h->num_desc))
		return false;
	kt_check(aligned8(h->id_offset) && aligned8(h->desc_offset) &&
		 aligned8(h->data_offset), tname("header-offsets-aligned"),
		 "id %u desc %u data %u", h->id_offset, h->desc_offset,
		 h->data_offset);
	kt_check(h->id_offset >= sizeof(*h) && h->desc_offset >= sizeof(*h) &&
		 h->data_offset >= sizeof(*h), tname("header-offsets-past-header"),
		 "id %u desc %u data %u", h->id_offset, h->desc_offset,
		 h->data_offset);
	st->desc_size = sizeof(struct kvm_stats_desc) + h->name_size;
	return true;
}

static void check_id(int fd, const struct stats *st)
{
	const struct kvm_stats_header *h = &st->hdr;
	char *id = calloc(1, h->name_size), *seq = calloc(1, h->name_size);
	char want[64];
	size_t len, i;
	bool pad = true;
	ssize_t rc;

	rc = read(fd, seq, h->name_size);
	kt_check(rc == h->name_size, tname("id-read-after-header"),
		 "rc=%zd errno=%s", rc, strerrorname(errno));
	rc = pread(fd, id, h->name_size, h->id_offset);
	if (!kt_check(rc == h->name_size, tname("id-pread"), "rc=%zd errno=%s",
		      rc, strerrorname(errno)))
		goto out;
	/* kvm_binary_stats_test reads the id right after the header. */
	kt_check(!memcmp(id, seq, h->name_size), tname("id-follows-header"),
		 "id_offset %u", h->id_offset);
	len = strnlen(id, h->name_size);
	if (!kt_check(len < h->name_size, tname("id-terminated"),
		      "no NUL in %u bytes", h->name_size))
		goto out;
	snprintf(want, sizeof(want), "kvm-%d", getpid());
	kt_check(!strcmp(id, want), tname("id-string"), "\"%s\", want \"%s\"",
		 id, want);
	for (i = len; i < h->name_size; i++)
		pad &= !id[i];
	kt_check(pad, tname("id-zero-padded"), "garbage after the NUL");
out:
	free(id);
	free(seq);
}

static bool name_ok(const char *s, size_t max)
{
	size_t i, len = strnlen(s, max);

	if (!len || len >= max)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return false;
	for (i = len; i < max; i++)
		if (s[i])
			return false;
	return true;
}

/* Each property over all descriptors is one assertion; name the first bad. */
static bool check_descs(int fd, struct stats *st)
{
	const struct kvm_stats_header *h = &st->hdr;
	const char *bad_name = NULL, *bad_type = NULL, *bad_unit = NULL;
	const char *bad_base = NULL, *bad_exp = NULL, *bad_size = NULL;
	const char *bad_bucket = NULL, *bad_rsvd = NULL, *dup = NULL;
	unsigned int i, j;
	size_t total = h->num_desc * st->desc_size;
	ssize_t rc;

	st->desc = calloc(1, total);
	rc = pread(fd, st->desc, total, h->desc_offset);
	if (!kt_check(rc == (ssize_t)total, tname("desc-read"),
		      "rc=%zd of %zu errno=%s", rc, total, strerrorname(errno)))
		return false;

	for (i = 0; i < h->num_desc; i++) {
		struct kvm_stats_desc *d = desc_at(st, i);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;
		uint32_t base = d->flags & KVM_STATS_BASE_MASK;
		bool exp_ok = true;

		if (!name_ok(d->name, h->name_size)) {
			bad_name = bad_name ?: d->name;
			continue;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(desc_at(st, j)->name, d->name))
				dup = dup ?: d->name;
		if (type > KVM_STATS_TYPE_MAX)
			bad_type = bad_type ?: d->name;
		if (unit > KVM_STATS_UNIT_MAX)
			bad_unit = bad_unit ?: d->name;
		if (base > KVM_STATS_BASE_MAX)
			bad_base = bad_base ?: d->name;
		if (d->flags & ~(KVM_STATS_TYPE_MASK | KVM_STATS_UNIT_MASK |
				 KVM_STATS_BASE_MASK))
			bad_rsvd = bad_rsvd ?: d->name;
		switch (unit) {
		case KVM_STATS_UNIT_NONE:
		case KVM_STATS_UNIT_BYTES:
		case KVM_STATS_UNIT_CYCLES:
			exp_ok = d->exponent >= 0;
			break;
		case KVM_STATS_UNIT_SECONDS:
			exp_ok = d->exponent <= 0;
			break;
		case KVM_STATS_UNIT_BOOLEAN:
			exp_ok = d->exponent == 0;
			break;
		}
		if (!exp_ok)
			bad_exp = bad_exp ?: d->name;
		/* Histograms have buckets; everything else is one value. */
		if (!d->size || (type < KVM_STATS_TYPE_LINEAR_HIST && d->size != 1))
			bad_size = bad_size ?: d->name;
		if ((type == KVM_STATS_TYPE_LINEAR_HIST) != !!d->bucket_size)
			bad_bucket = bad_bucket ?: d->name;
		st->data_size += d->size * sizeof(uint64_t);
	}
	kt_check(!bad_name, tname("desc-names"), "bad name \"%.*s\"",
		 (int)h->name_size, bad_name);
	kt_check(!dup, tname("desc-names-unique"), "\"%s\" twice", dup);
	kt_check(!bad_type, tname("desc-type"), "%s", bad_type);
	kt_check(!bad_unit, tname("desc-unit"), "%s", bad_unit);
	kt_check(!bad_base, tname("desc-base"), "%s", bad_base);
	kt_check(!bad_rsvd, tname("desc-flags-reserved"), "%s", bad_rsvd);
	kt_check(!bad_exp, tname("desc-exponent"), "%s", bad_exp);
	kt_check(!bad_size, tname("desc-size"), "%s", bad_size);
	kt_check(!bad_bucket, tname("desc-bucket-size"), "%s", bad_bucket);
	return !bad_name;
}

/* Values lie inside the data block, 8-byte aligned, and do not overlap. */
static void check_layout(struct stats *st)
{
	const struct kvm_stats_header *h = &st->hdr;
	uint64_t dlen = h->num_desc * st->desc_size;
	const char *bad = NULL;
	unsigned int i, j;

	for (i = 0; i < h->num_desc && !bad; i++) {
		struct kvm_stats_desc *a = desc_at(st, i);

		if (!aligned8(a->offset) ||
		    a->offset + a->size * 8ull > st->data_size)
			bad = a->name;
		for (j = 0; j < i && !bad; j++) {
			struct kvm_stats_desc *b = desc_at(st, j);

			if (!disjoint(a->offset, a->size * 8ull, b->offset,
				      b->size * 8ull))
				bad = a->name;
		}
	}
	kt_check(!bad, tname("desc-offsets"), "%s", bad);

	kt_check(disjoint(0, sizeof(*h), h->id_offset, h->name_size) &&
		 disjoint(0, sizeof(*h), h->desc_offset, dlen) &&
		 disjoint(0, sizeof(*h), h->data_offset, st->data_size) &&
		 disjoint(h->id_offset, h->name_size, h->desc_offset, dlen) &&
		 disjoint(h->id_offset, h->name_size, h->data_offset,
			  st->data_size) &&
		 disjoint(h->desc_offset, dlen, h->data_offset, st->data_size),
		 tname("blocks-disjoint"), "id %u+%u desc %u+%lu data %u+%zu",
		 h->id_offset, h->name_size, h->desc_offset,
		 (unsigned long)dlen, h->data_offset, st->data_size);
	st->end = h->data_offset + st->data_size;
	if (h->desc_offset + dlen > st->end)
		st->end = h->desc_offset + dlen;
	if (h->id_offset + h->name_size > st->end)
		st->end = h->id_offset + h->name_size;
}

static struct kvm_stats_desc *find(const struct stats *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->hdr.num_desc; i++)
		if (!strcmp(desc_at(st, i)->name, name))
			return desc_at(st, i);
	return NULL;
}

static void check_expected(const struct stats *st)
{
	struct kvm_stats_desc *d = find(st, "remote_tlb_flush");
	unsigned int i, n = ARRAY_SIZE(rvkvm_vm_stats);
	const char *bad = NULL;

	/* Both modules count remote TLB flushes, as KVM's generic stats do. */
	kt_check(d && (d->flags & KVM_STATS_TYPE_MASK) ==
		 KVM_STATS_TYPE_CUMULATIVE, tname("desc-remote-tlb-flush"),
		 d ? "not cumulative" : "missing");
	if (intree)
		return;

	for (i = 0; i < n && i < st->hdr.num_desc && !bad; i++) {
		d = desc_at(st, i);
		if (strcmp(d->name, rvkvm_vm_stats[i].name) ||
		    d->flags != ((rvkvm_vm_stats[i].gauge ?
				  KVM_STATS_TYPE_INSTANT :
				  KVM_STATS_TYPE_CUMULATIVE) |
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10) ||
		    d->exponent || d->size != 1 || d->offset != i * 8)
			bad = rvkvm_vm_stats[i].name;
	}
	kt_check(!bad && st->hdr.num_desc == n, tname("desc-rvkvm-set"),
		 "%u descriptors, first different: %s", st->hdr.num_desc,
		 bad ?: "none");
}

static void check_data(int fd, const struct stats *st)
{
	const struct kvm_stats_header *h = &st->hdr;
	uint64_t *a = calloc(1, st->data_size), *b = calloc(1, st->data_size);
	uint64_t one[64];
	const char *bad = NULL;
	unsigned int i;
	ssize_t rc, rc2;

	rc = pread(fd, a, st->data_size, h->data_offset);
	kt_check(rc == (ssize_t)st->data_size, tname("data-read"),
		 "rc=%zd of %zu errno=%s", rc, st->data_size,
		 strerrorname(errno));
	rc2 = pread(fd, b, st->data_size, h->data_offset);
	/* An idle VM: nothing may change between two reads. */
	kt_check(rc2 == rc && !memcmp(a, b, st->data_size),
		 tname("data-stable"), "second read differs");

	for (i = 0; i < h->num_desc && !bad; i++) {
		struct kvm_stats_desc *d = desc_at(st, i);
		size_t n = d->size < 64 ? d->size : 64;

		rc = pread(fd, one, n * 8, h->data_offset + d->offset);
		if (rc != (ssize_t)(n * 8) ||
		    memcmp(one, (char *)a + d->offset, n * 8))
			bad = d->name;
	}
	kt_check(!bad, tname("data-read-each"), "%s", bad);
	free(a);
	free(b);
}

/* The file is one byte string: every read of it agrees with one pread. */
static void check_offsets(int fd, const struct stats *st)
{
	const struct kvm_stats_header *h = &st->hdr;
	size_t end = st->end, i, lens[] = { 1, 3, 8, 17, 61 };
	uint64_t offs[] = { 1, 3, 7, 23, 25, h->id_offset + 5,
			    h->desc_offset + 13, h->data_offset - 3,
			    h->data_offset + 1, end - 9, end - 1 };
	char *all = calloc(1, end + 64), *buf = calloc(1, end + 64);
	const char *why = NULL;
	long page = sysconf(_SC_PAGESIZE);
	char *none = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t j, want;
	ssize_t rc;

	rc = pread(fd, all, end + 64, 0);
	kt_check(rc == (ssize_t)end, tname("read-whole"), "rc=%zd of %zu", rc,
		 end);
	kt_check(!memcmp(all, &st->hdr, sizeof(st->hdr)) &&
		 !memcmp(all + h->desc_offset, st->desc,
			 h->num_desc * st->desc_size), tname("whole-consistent"),
		 "header or descriptors differ from the block reads");

	for (i = 0; i < ARRAY_SIZE(offs) && !why; i++) {
		for (j = 0; j < ARRAY_SIZE(lens) && !why; j++) {
			want = end - offs[i] < lens[j] ? end - offs[i] : lens[j];
			rc = pread(fd, buf, lens[j], offs[i]);
			if (rc != (ssize_t)want || memcmp(buf, all + offs[i], want))
				why = "mismatch";
		}
	}
	kt_check(!why, tname("pread-odd-offsets"), "offset %lu length %zu: %s",
		 (unsigned long)offs[i - 1], lens[j - 1], why);

	/* One byte at a time gives the same bytes. */
	memset(buf, 0, end);
	for (i = 0; i < end; i++)
		if (pread(fd, buf + i, 1, i) != 1)
			break;
	kt_check(i == end && !memcmp(buf, all, end), tname("pread-bytewise"),
		 "stopped at %zu of %zu", i, end);

	rc = pread(fd, buf, 16, end);
	kt_check(rc == 0, tname("pread-at-end"), "rc=%zd", rc);
	rc = pread(fd, buf, 16, end + 1000);
	kt_check(rc == 0, tname("pread-past-end"), "rc=%zd", rc);
	rc = pread(fd, buf, 16, end - 4);
	kt_check(rc == 4, tname("pread-straddles-end"), "rc=%zd", rc);
	rc = pread(fd, buf, 16, LLONG_MAX - 4096);
	kt_check(rc == 0, tname("pread-huge-offset"), "rc=%zd errno=%s", rc,
		 strerrorname(errno));
	rc = pread(fd, buf, 16, -8);
	KT_ERRNO(rc, EINVAL, tname("pread-negative-offset"));
	rc = pread(fd, buf, 0, 0);
	kt_check(rc == 0, tname("pread-zero-length"), "rc=%zd", rc);
	if (none != MAP_FAILED) {
		/* A writable page, then one that is not. */
		mprotect(none + page, page, PROT_NONE);
		rc = pread(fd, none + page, 16, 0);
		KT_ERRNO(rc, EFAULT, tname("pread-bad-buffer"));
		/* Both modules fail the whole read, also when part fits. */
		rc = pread(fd, none + page - 8, 16, 0);
		KT_ERRNO(rc, EFAULT, tname("pread-partly-bad-buffer"));
		munmap(none, 2 * page);
	}
	free(all);
	free(buf);
}

/* A fresh fd read sequentially to the end yields the whole file. */
static void check_sequential(int vm, const struct stats *st)
{
	char *buf = calloc(1, st->end + 64), *all = calloc(1, st->end);
	int fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	size_t got = 0;
	ssize_t rc;

	if (!kt_check(fd >= 0, tname("read-sequential-fd"), "%s",
		      strerrorname(errno)))
		goto out;
	pread(fd, all, st->end, 0);
	do {
		rc = read(fd, buf + got, 7);
		if (rc > 0)
			got += rc;
	} while (rc > 0 && got < st->end + 64 - 7);
	kt_check(rc == 0 && got == st->end && !memcmp(buf, all, got),
		 tname("read-sequential"), "got %zu of %zu, last rc=%zd", got,
		 st->end, rc);
	close(fd);
out:
	free(buf);
	free(all);
}

static void check_refusals(int kvm, int vm, int fd)
{
	char c = 0;
	long rc;
	int status, fd2;
	pid_t pid;

	rc = write(fd, &c, 1);
	KT_ERRNO(rc, EBADF, tname("write-refused"));
	/* Only pread is enabled on the file, as in KVM: pwrite cannot seek. */
	rc = pwrite(fd, &c, 1, 0);
	KT_ERRNO(rc, ESPIPE, tname("pwrite-refused"));
	kt_check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY,
		 tname("fd-read-only"), "flags %#x", fcntl(fd, F_GETFL));
	kt_check(fcntl(fd, F_GETFD) & FD_CLOEXEC, tname("fd-cloexec"),
		 "FD_CLOEXEC not set");
	rc = ioctl(fd, KVM_GET_STATS_FD, 0);
	KT_ERRNO(rc, ENOTTY, tname("ioctl-on-stats-fd"));
	/* In-tree 6.1 sends unknown system ioctls to the arch: EINVAL. */
	rc = ioctl(kvm, KVM_GET_STATS_FD, 0);
	KT_ERRNO(rc, intree ? EINVAL : ENOTTY, tname("system-fd-refuses"));

	/* KVM_GET_STATS_FD takes no argument, and KVM ignores what it gets. */
	fd2 = ioctl(vm, KVM_GET_STATS_FD, 0x1234);
	kt_check(fd2 >= 0, tname("ioctl-arg-ignored"), "%s",
		 strerrorname(errno));
	if (fd2 >= 0)
		close(fd2);

	pid = fork();
	if (pid == 0) {
		struct kvm_stats_header h;

		/* The VM is not the child's, but its stats fd can be read. */
		if (ioctl(vm, KVM_GET_STATS_FD, 0) != -1 || errno != EIO)
			_exit(1);
		_exit(pread(fd, &h, sizeof(h), 0) == sizeof(h) ? 0 : 2);
	}
	waitpid(pid, &status, 0);
	kt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 tname("other-mm"), "child: %s",
		 !WIFEXITED(status) ? "crashed" : WEXITSTATUS(status) == 1 ?
		 "ioctl did not fail with EIO" : "pread failed");
}

/* With only the stats fd left, it still works and pins the module. */
static void check_lifetime(int kvm, int vm, int fd, const struct stats *st)
{
	const char *mod = intree ? "kvm" : "rvkvm";
	struct kvm_stats_header h;
	uint64_t *data = calloc(1, st->data_size);
	int fd2, rc;

	fd2 = ioctl(vm, KVM_GET_STATS_FD, 0);
	kt_check(fd2 >= 0, tname("second-fd"), "%s", strerrorname(errno));
	close(vm);
	close(kvm);

	rc = pread(fd, &h, sizeof(h), 0);
	kt_check(rc == sizeof(h) && !memcmp(&h, &st->hdr, sizeof(h)),
		 tname("after-vm-close-header"), "rc=%d errno=%s", rc,
		 strerrorname(errno));
	rc = pread(fd, data, st->data_size, st->hdr.data_offset);
	kt_check(rc == (int)st->data_size, tname("after-vm-close-data"),
		 "rc=%d errno=%s", rc, strerrorname(errno));
	/* 6.1's riscv kvm.ko has no exit function: it never unloads. */
	rc = syscall(SYS_delete_module, mod, O_NONBLOCK);
	KT_ERRNO(rc, intree ? EBUSY : EAGAIN, tname("module-held"));

	/* Close the second fd first, then the last holder of the VM. */
	if (fd2 >= 0)
		close(fd2);
	rc = pread(fd, &h, sizeof(h), 0);
	kt_check(rc == sizeof(h), tname("after-second-close"), "rc=%d", rc);
	close(fd);
	rc = fcntl(fd, F_GETFD);
	KT_ERRNO(rc, EBADF, tname("fd-freed"));
	free(data);
}

int main(int argc, char **argv)
{
	struct stats st;
	int kvm, vm, fd;
	long rc;

	if (argc < 3 || argc > 4) {
		kt_check(false, "stats/usage", "stats DEV rvkvm|intree [TAG]");
		return kt_exit_code();
	}
	dev = argv[1];
	tag = argc == 4 ? argv[3] : "";
	intree = !strcmp(argv[2], "intree");

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (!kt_check(kvm >= 0, tname("open"), "%s", strerrorname(errno)))
		return kt_exit_code();
	rc = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD);
	kt_check(rc == 1, tname("cap"), "KVM_CAP_BINARY_STATS_FD = %ld", rc);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (!kt_check(vm >= 0, tname("create-vm"), "%s", strerrorname(errno)))
		return kt_exit_code();
	fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	if (!kt_check(fd >= 0, tname("get-stats-fd"), "%s",
		      strerrorname(errno)))
		return kt_exit_code();

	if (read_header(fd, &st)) {
		check_id(fd, &st);
		if (check_descs(fd, &st)) {
			check_layout(&st);
			check_expected(&st);
			check_data(fd, &st);
			check_offsets(fd, &st);
			check_sequential(vm, &st);
		}
	}
	check_refusals(kvm, vm, fd);
	check_lifetime(kvm, vm, fd, &st);
	free(st.desc);
	return kt_exit_code();
}
