// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: binary statistics file descriptors (KVM_GET_STATS_FD).
 *
 * A stats file is four contiguous blocks: the header, the id string, one
 * descriptor per statistic, then one u64 per statistic. All but the last
 * block are constant; the data block is sampled from the VM or vCPU on
 * every read. The file holds a VM reference, which keeps vCPUs alive too.
 */
#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include <rvkvm/rvkvm.h>

/* Bytes for the id string and for each descriptor's name: KVM's value. */
#define STATS_NAME_SIZE		48

/* struct kvm_stats_desc with its name storage, as userspace reads it. */
struct stats_desc {
	u32 flags;
	s16 exponent;
	u16 size;
	u32 offset;
	u32 bucket_size;
	char name[STATS_NAME_SIZE];
};

static_assert(offsetof(struct stats_desc, flags) ==
	      offsetof(struct kvm_stats_desc, flags));
static_assert(offsetof(struct stats_desc, exponent) ==
	      offsetof(struct kvm_stats_desc, exponent));
static_assert(offsetof(struct stats_desc, size) ==
	      offsetof(struct kvm_stats_desc, size));
static_assert(offsetof(struct stats_desc, offset) ==
	      offsetof(struct kvm_stats_desc, offset));
static_assert(offsetof(struct stats_desc, bucket_size) ==
	      offsetof(struct kvm_stats_desc, bucket_size));
static_assert(offsetof(struct stats_desc, name) ==
	      sizeof(struct kvm_stats_desc));
/* No padding, and each block starts 8-byte aligned as the ABI promises. */
static_assert(sizeof(struct stats_desc) ==
	      sizeof(struct kvm_stats_desc) + STATS_NAME_SIZE);
static_assert(sizeof(struct stats_desc) % sizeof(u64) == 0);
static_assert(sizeof(struct kvm_stats_header) % sizeof(u64) == 0);
static_assert(STATS_NAME_SIZE % sizeof(u64) == 0);

/*
 * One list per object, in the field order of its struct. STAT() is
 * defined around each use: once to number the statistics, once to
 * describe them. COUNTER counts events and only grows; GAUGE is a level
 * that goes up and down.
 */
#define VM_STATS {					\
	STAT(vm, COUNTER, remote_tlb_flush),		\
	STAT(vm, GAUGE, gstage_pages_mapped),		\
	STAT(vm, GAUGE, pinned_pages),			\
	STAT(vm, COUNTER, memslot_updates),		\
}

#define VCPU_STATS {					\
	STAT(vcpu, COUNTER, exits),			\
	STAT(vcpu, COUNTER, mmio_exits),		\
	STAT(vcpu, COUNTER, sbi_calls),			\
	STAT(vcpu, COUNTER, sbi_exits),			\
	STAT(vcpu, COUNTER, csr_exits),			\
	STAT(vcpu, COUNTER, gstage_faults),		\
	STAT(vcpu, COUNTER, wfi_exits),			\
	STAT(vcpu, COUNTER, halts),			\
	STAT(vcpu, COUNTER, signal_exits),		\
	STAT(vcpu, COUNTER, irq_exits),			\
	STAT(vcpu, COUNTER, fast_reentries),		\
	STAT(vcpu, COUNTER, redirected_traps),		\
}

/* The position of each statistic; a name listed twice fails to compile. */
#define STAT(obj, kind, field)	obj##_stat_##field
enum vm_stat VM_STATS;
enum vcpu_stat VCPU_STATS;
#undef STAT

#define STAT_TYPE_COUNTER	KVM_STATS_TYPE_CUMULATIVE
#define STAT_TYPE_GAUGE		KVM_STATS_TYPE_INSTANT
#define STAT_END(obj, field)	offsetofend(struct rvkvm_##obj##_stats, field)

/*
 * A plain u64, no unit, scale 10^0. The field must end where the list
 * position says: the fields are then u64s in list order, and the data
 * block is the struct itself.
 */
#define STAT(obj, kind, field)						\
	{								\
		.flags = STAT_TYPE_##kind | KVM_STATS_UNIT_NONE |	\
			 KVM_STATS_BASE_POW10,				\
		.size = 1 + BUILD_BUG_ON_ZERO(sizeof(#field) >		\
					      STATS_NAME_SIZE),		\
		.offset = obj##_stat_##field * sizeof(u64) +		\
			  BUILD_BUG_ON_ZERO(STAT_END(obj, field) !=	\
					    (obj##_stat_##field + 1) *	\
					    sizeof(u64)),		\
		.name = #field,						\
	}

static const struct stats_desc vm_stats_desc[] = VM_STATS;
static const struct stats_desc vcpu_stats_desc[] = VCPU_STATS;
#undef STAT

/* Every field is described: nothing is left out of the data block. */
static_assert(ARRAY_SIZE(vm_stats_desc) * sizeof(u64) ==
	      sizeof(struct rvkvm_vm_stats));
static_assert(ARRAY_SIZE(vcpu_stats_desc) * sizeof(u64) ==
	      sizeof(struct rvkvm_vcpu_stats));

#define STATS_ID_OFFSET		sizeof(struct kvm_stats_header)
#define STATS_DESC_OFFSET	(STATS_ID_OFFSET + STATS_NAME_SIZE)

static const struct kvm_stats_header vm_stats_header = {
	.name_size	= STATS_NAME_SIZE,
	.num_desc	= ARRAY_SIZE(vm_stats_desc),
	.id_offset	= STATS_ID_OFFSET,
	.desc_offset	= STATS_DESC_OFFSET,
	.data_offset	= STATS_DESC_OFFSET + sizeof(vm_stats_desc),
};

static const struct kvm_stats_header vcpu_stats_header = {
	.name_size	= STATS_NAME_SIZE,
	.num_desc	= ARRAY_SIZE(vcpu_stats_desc),
	.id_offset	= STATS_ID_OFFSET,
	.desc_offset	= STATS_DESC_OFFSET,
	.data_offset	= STATS_DESC_OFFSET + sizeof(vcpu_stats_desc),
};

struct stats_block {
	const void *src;
	size_t size;
};

/*
 * Copy [*ppos, *ppos + len) of the file made of @blk laid end to end.
 * Reads at or past the end return 0. A bad buffer fails the whole read
 * with -EFAULT and leaves *ppos alone, as KVM does.
 */
static ssize_t stats_copy(const struct stats_block *blk, int nr,
			  char __user *buf, size_t len, loff_t *ppos)
{
	loff_t pos = *ppos, start = 0;
	size_t done = 0;
	int i;

	if (pos < 0)
		return -EINVAL;
	for (i = 0; i < nr && done < len; start += blk[i].size, i++) {
		size_t off, n;

		if (pos >= start + (loff_t)blk[i].size)
			continue;
		off = pos - start;
		n = min(blk[i].size - off, len - done);
		if (copy_to_user(buf + done, blk[i].src + off, n))
			return -EFAULT;
		done += n;
		pos += n;
	}
	*ppos = pos;
	return done;
}

static ssize_t stats_read(const struct kvm_stats_header *hdr,
			  const struct stats_desc *desc, const char *id,
			  const u64 *live, char __user *buf, size_t len,
			  loff_t *ppos)
{
	union {
		struct rvkvm_vm_stats vm;
		struct rvkvm_vcpu_stats vcpu;
	} data;
	u64 *snap = (u64 *)&data;
	const struct stats_block blk[] = {
		{ hdr, sizeof(*hdr) },
		{ id, STATS_NAME_SIZE },
		{ desc, hdr->num_desc * sizeof(*desc) },
		{ snap, hdr->num_desc * sizeof(u64) },
	};
	u32 i;

	/* Counters change under us: take each one whole, once. */
	for (i = 0; i < hdr->num_desc; i++)
		snap[i] = READ_ONCE(live[i]);
	return stats_copy(blk, ARRAY_SIZE(blk), buf, len, ppos);
}

static ssize_t vm_stats_read(struct file *file, char __user *buf, size_t len,
			     loff_t *ppos)
{
	struct rvkvm_vm *vm = file->private_data;
	char id[STATS_NAME_SIZE] = {};

	snprintf(id, sizeof(id), "kvm-%d", vm->stats_pid);
	return stats_read(&vm_stats_header, vm_stats_desc, id,
			  (const u64 *)&vm->stats, buf, len, ppos);
}

static ssize_t vcpu_stats_read(struct file *file, char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct rvkvm_vcpu *vcpu = file->private_data;
	char id[STATS_NAME_SIZE] = {};

	snprintf(id, sizeof(id), "kvm-%d/vcpu-%u", vcpu->stats_pid,
		 vcpu->vcpu_id);
	return stats_read(&vcpu_stats_header, vcpu_stats_desc, id,
			  (const u64 *)&vcpu->stats, buf, len, ppos);
}

static int vm_stats_release(struct inode *inode, struct file *file)
{
	struct rvkvm_vm *vm = file->private_data;

	rvkvm_vm_put(vm);
	return 0;
}

static int vcpu_stats_release(struct inode *inode, struct file *file)
{
	struct rvkvm_vcpu *vcpu = file->private_data;

	rvkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= vm_stats_read,
	.release	= vm_stats_release,
	.llseek		= noop_llseek,
};

static const struct file_operations vcpu_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= vcpu_stats_read,
	.release	= vcpu_stats_release,
	.llseek		= noop_llseek,
};

static int stats_fd(struct rvkvm_vm *vm, const char *name,
		    const struct file_operations *fops, void *priv)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	/* The file's reference, dropped by its release or right here. */
	rvkvm_vm_get(vm);
	file = anon_inode_getfile(name, fops, priv, O_RDONLY);
	if (IS_ERR(file)) {
		rvkvm_vm_put(vm);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

int rvkvm_stats_vm_fd(struct rvkvm_vm *vm)
{
	return stats_fd(vm, "rvkvm-vm-stats", &vm_stats_fops, vm);
}

int rvkvm_stats_vcpu_fd(struct rvkvm_vcpu *vcpu)
{
	char name[32];

	snprintf(name, sizeof(name), "rvkvm-vcpu-stats:%u", vcpu->vcpu_id);
	return stats_fd(vcpu->vm, name, &vcpu_stats_fops, vcpu);
}

/* KVM names a stats file after the thread that created the object. */
void rvkvm_stats_vm_init(struct rvkvm_vm *vm)
{
	vm->stats_pid = task_pid_nr(current);
}

void rvkvm_stats_vcpu_init(struct rvkvm_vcpu *vcpu)
{
	vcpu->stats_pid = task_pid_nr(current);
}
