// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: guest memory slots. Validation follows KVM's rules so VMMs see the
 * same errnos; slots are kept sorted by guest frame for the fault path.
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <rvkvm/rvkvm.h>

#define RVKVM_MEM_FLAGS		(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)
/* KVM caps a slot at what an int page count can address. */
#define RVKVM_MEM_MAX_PAGES	((1UL << 31) - 1)

static unsigned long dirty_bitmap_bytes(struct rvkvm_memslot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

/* Twice the size: the live bitmap, then the snapshot handed to userspace. */
static int alloc_dirty_bitmap(struct rvkvm_memslot *slot)
{
	slot->dirty_bitmap = kvzalloc(2 * dirty_bitmap_bytes(slot),
				      GFP_KERNEL_ACCOUNT);
	return slot->dirty_bitmap ? 0 : -ENOMEM;
}

static void free_dirty_bitmap(struct rvkvm_memslot *slot)
{
	kvfree(slot->dirty_bitmap);
	slot->dirty_bitmap = NULL;
}

static int sorted_index(struct rvkvm_memslots *s, struct rvkvm_memslot *slot)
{
	int i;

	for (i = 0; i < s->used; i++)
		if (s->sorted[i] == slot)
			return i;
	return -1;
}

static void sorted_remove(struct rvkvm_memslots *s, struct rvkvm_memslot *slot)
{
	int i = sorted_index(s, slot);

	if (i < 0)
		return;
	memmove(&s->sorted[i], &s->sorted[i + 1],
		(s->used - i - 1) * sizeof(s->sorted[0]));
	s->used--;
}

static void sorted_insert(struct rvkvm_memslots *s, struct rvkvm_memslot *slot)
{
	int i = 0;

	while (i < s->used && s->sorted[i]->base_gfn < slot->base_gfn)
		i++;
	memmove(&s->sorted[i + 1], &s->sorted[i],
		(s->used - i) * sizeof(s->sorted[0]));
	s->sorted[i] = slot;
	s->used++;
}

struct rvkvm_memslot *rvkvm_memslot_find(struct rvkvm_vm *vm, u64 gfn)
{
	struct rvkvm_memslots *s = &vm->slots;
	int lo = 0, hi = s->used - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		struct rvkvm_memslot *slot = s->sorted[mid];

		if (gfn < slot->base_gfn)
			hi = mid - 1;
		else if (gfn >= slot->base_gfn + slot->npages)
			lo = mid + 1;
		else
			return slot;
	}
	return NULL;
}

static bool overlaps(struct rvkvm_vm *vm, struct rvkvm_memslot *self,
		     u64 base, u64 npages)
{
	int i;

	for (i = 0; i < vm->slots.used; i++) {
		struct rvkvm_memslot *s = vm->slots.sorted[i];

		if (s != self && base < s->base_gfn + s->npages &&
		    s->base_gfn < base + npages)
			return true;
	}
	return false;
}

static void slot_delete(struct rvkvm_vm *vm, struct rvkvm_memslot *slot)
{
	/* MMU-notifier callbacks walk the arrays under mmu_lock. */
	spin_lock(&vm->arch.mmu_lock);
	sorted_remove(&vm->slots, slot);
	vm->slots.by_id[slot->id] = NULL;
	spin_unlock(&vm->arch.mmu_lock);
	rvkvm_gstage_unmap_slot(vm, slot);
	rvkvm_unpin_slot(vm, slot);
	xa_destroy(&slot->pinned);
	free_dirty_bitmap(slot);
	kfree(slot);
	rvkvm_count(RVKVM_CNT_MEMSLOTS, -1);
}

static int slot_create(struct rvkvm_vm *vm, u16 id,
		       const struct kvm_userspace_memory_region *mem)
{
	struct rvkvm_memslot *slot;
	int ret;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		return -ENOMEM;
	slot->id = id;
	slot->base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	slot->npages = mem->memory_size >> PAGE_SHIFT;
	slot->userspace_addr = mem->userspace_addr;
	slot->flags = mem->flags;
	xa_init(&slot->pinned);
	if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES) {
		ret = alloc_dirty_bitmap(slot);
		if (ret) {
			kfree(slot);
			return ret;
		}
	}
	spin_lock(&vm->arch.mmu_lock);
	vm->slots.by_id[id] = slot;
	sorted_insert(&vm->slots, slot);
	spin_unlock(&vm->arch.mmu_lock);
	rvkvm_count(RVKVM_CNT_MEMSLOTS, 1);
	return 0;
}

static int slot_change_flags(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			     u32 flags)
{
	bool was_logging = slot->flags & KVM_MEM_LOG_DIRTY_PAGES;
	bool logging = flags & KVM_MEM_LOG_DIRTY_PAGES;
	int ret;

	if (logging && !was_logging) {
		ret = alloc_dirty_bitmap(slot);
		if (ret)
			return ret;
		slot->flags = flags;
		/* Every write from now on must fault once to be logged. */
		rvkvm_gstage_wrprotect_slot(vm, slot);
	} else if (!logging && was_logging) {
		slot->flags = flags;
		free_dirty_bitmap(slot);
	}
	return 0;
}

static int validate(const struct kvm_userspace_memory_region *mem)
{
	u64 size = mem->memory_size, gpa = mem->guest_phys_addr;

	if (mem->flags & ~RVKVM_MEM_FLAGS)
		return -EINVAL;
	/* Address space in bits 16+, slot id below: one address space. */
	if ((mem->slot >> 16) || (u16)mem->slot >= RVKVM_USER_MEM_SLOTS)
		return -EINVAL;
	if ((size | gpa | mem->userspace_addr) & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr, size))
		return -EINVAL;
	if (gpa + size < gpa || (size >> PAGE_SHIFT) > RVKVM_MEM_MAX_PAGES)
		return -EINVAL;
	return 0;
}

/* Move a slot: its old range is unmapped, its pins stay (same memory). */
static void slot_move(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
		      u64 base)
{
	rvkvm_gstage_unmap_slot(vm, slot);
	/* MMU-notifier callbacks walk the arrays under mmu_lock. */
	spin_lock(&vm->arch.mmu_lock);
	sorted_remove(&vm->slots, slot);
	slot->base_gfn = base;
	sorted_insert(&vm->slots, slot);
	spin_unlock(&vm->arch.mmu_lock);
}

/*
 * The checks come in KVM's order (kvm_main.c __kvm_set_memory_region, then
 * the architecture's prepare step), so a request that is wrong in several
 * ways gets the same errno as from KVM.
 */
int rvkvm_memslot_set(struct rvkvm_vm *vm,
		      const struct kvm_userspace_memory_region *mem)
{
	u64 base = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	struct rvkvm_memslot *old;
	unsigned int id;
	int ret;

	ret = validate(mem);
	if (ret)
		return ret;
	/* A user-chosen index: no speculative read past the array. */
	id = array_index_nospec((u16)mem->slot, RVKVM_USER_MEM_SLOTS);

	down_write(&vm->slots_lock);
	old = vm->slots.by_id[id];
	if (!npages) {
		if (old)
			slot_delete(vm, old);
		else
			ret = -EINVAL;
		goto out;
	}
	if (old) {
		/* An existing slot may only move or change its logging flag. */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY)) {
			ret = -EINVAL;
			goto out;
		}
		if (base == old->base_gfn && mem->flags == old->flags)
			goto unlock;	/* nothing to change */
	}
	if ((!old || base != old->base_gfn) &&
	    overlaps(vm, old, base, npages)) {
		ret = -EEXIST;
		goto out;
	}
	ret = rvkvm_gstage_prepare_slot(base, npages, mem->userspace_addr,
					mem->flags);
	if (ret)
		goto out;
	if (!old) {
		ret = slot_create(vm, id, mem);
		goto out;
	}
	/* The flag change first: it is the step that can fail. */
	ret = slot_change_flags(vm, old, mem->flags);
	if (!ret && base != old->base_gfn)
		slot_move(vm, old, base);
out:
	if (!ret)
		vm->stats.memslot_updates++;
unlock:
	up_write(&vm->slots_lock);
	return ret;
}

void rvkvm_memslots_free(struct rvkvm_vm *vm)
{
	while (vm->slots.used)
		slot_delete(vm, vm->slots.sorted[0]);
}

void rvkvm_memslot_mark_dirty(struct rvkvm_memslot *slot, u64 gfn)
{
	if (slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

int rvkvm_memslot_get_dirty_log(struct rvkvm_vm *vm, struct kvm_dirty_log *log)
{
	struct rvkvm_memslot *slot;
	unsigned long n, i, *snap, any = 0;
	unsigned int id;
	int ret = 0;

	if ((log->slot >> 16) || (u16)log->slot >= RVKVM_USER_MEM_SLOTS)
		return -EINVAL;
	id = array_index_nospec((u16)log->slot, RVKVM_USER_MEM_SLOTS);

	/* One collector at a time: they share the snapshot half. */
	mutex_lock(&vm->dirty_log_lock);
	down_read(&vm->slots_lock);
	slot = vm->slots.by_id[id];
	if (!slot || !slot->dirty_bitmap) {
		ret = -ENOENT;
		goto out;
	}
	n = dirty_bitmap_bytes(slot);
	snap = slot->dirty_bitmap + n / sizeof(long);
	for (i = 0; i < n / sizeof(long); i++) {
		snap[i] = 0;
		if (READ_ONCE(slot->dirty_bitmap[i]))
			snap[i] = rvkvm_gstage_collect_dirty(vm, slot, i);
		any |= snap[i];
	}
	/* Re-armed write faults only work once stale TLB entries are gone. */
	if (any)
		rvkvm_tlb_flush_vm(vm);
	if (copy_to_user(log->dirty_bitmap, snap, n))
		ret = -EFAULT;
out:
	up_read(&vm->slots_lock);
	mutex_unlock(&vm->dirty_log_lock);
	return ret;
}
