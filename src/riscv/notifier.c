// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: following the host mm when the kernel has MMU notifiers. Guest
 * pages are then pinned only until the host invalidates their range: the
 * G-stage entries go, the TLBs are flushed, the pins are dropped, and the
 * next guest access faults the new page in. Fault-in checks mmu_seq and
 * mmu_inv_count under mmu_lock, so it never maps a page an invalidation
 * has already passed over. Slots are walked under mmu_lock only: taking
 * slots_lock here would invert fault-in's slots_lock -> mmap_lock order.
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include <rvkvm/rvkvm.h>

#ifdef CONFIG_MMU_NOTIFIER

#define BATCH	64

struct unpin_batch {
	struct page *page[BATCH];
	bool dirty[BATCH];
	int n;
};

/*
 * Under mmu_lock: unmap and take out of the pin table up to BATCH pinned
 * pages in [start, end). Returns with the batch filled.
 */
static void collect(struct rvkvm_vm *vm, unsigned long start,
		    unsigned long end, struct unpin_batch *b)
{
	int i;

	for (i = 0; i < vm->slots.used && b->n < BATCH; i++) {
		struct rvkvm_memslot *s = vm->slots.sorted[i];
		unsigned long s_end = s->userspace_addr +
				      (s->npages << PAGE_SHIFT);
		unsigned long first, last, idx;
		struct page *page;

		if (start >= s_end || end <= s->userspace_addr)
			continue;
		first = (max(start, s->userspace_addr) - s->userspace_addr) >>
			PAGE_SHIFT;
		last = ((min(end, s_end) - s->userspace_addr - 1) >>
			PAGE_SHIFT);
		xa_for_each_range(&s->pinned, idx, page, first, last) {
			rvkvm_gstage_unmap_gfn(vm, s->base_gfn + idx);
			xa_erase(&s->pinned, idx);
			s->nr_pinned--;
			vm->stats.pinned_pages--;
			b->dirty[b->n] = !(s->flags & KVM_MEM_READONLY);
			b->page[b->n++] = page;
			if (b->n == BATCH)
				break;
		}
	}
}

/*
 * Never takes a page lock: core mm calls the notifier with the page locked
 * (KSM merging, migration, reclaim), so unpin_user_pages_dirty_lock() here
 * would wait on its own caller. The pin keeps the page alive meanwhile.
 */
static void release_batch(struct rvkvm_vm *vm, struct unpin_batch *b)
{
	int i;

	/* No CPU may use the old translations once the pins are gone. */
	rvkvm_tlb_flush_vm(vm);
	for (i = 0; i < b->n; i++) {
		if (b->dirty[i])
			set_page_dirty(b->page[i]);
		unpin_user_page(b->page[i]);
	}
	rvkvm_count(RVKVM_CNT_PINNED_PAGES, -b->n);
	b->n = 0;
}

static void invalidate(struct rvkvm_vm *vm, unsigned long start,
		       unsigned long end, bool blockable)
{
	struct unpin_batch b = { .n = 0 };

	do {
		spin_lock(&vm->arch.mmu_lock);
		collect(vm, start, end, &b);
		spin_unlock(&vm->arch.mmu_lock);
		if (!b.n)
			break;
		release_batch(vm, &b);
		if (blockable)
			cond_resched();
	} while (true);
}

static int rvkvm_mn_start(struct mmu_notifier *mn,
			  const struct mmu_notifier_range *range)
{
	struct rvkvm_vm *vm = container_of(mn, struct rvkvm_vm, arch.mn);

	spin_lock(&vm->arch.mmu_lock);
	vm->arch.mmu_inv_count++;
	spin_unlock(&vm->arch.mmu_lock);
	invalidate(vm, range->start, range->end,
		   mmu_notifier_range_blockable(range));
	/* Failing is not allowed with an end callback: always 0. */
	return 0;
}

static void rvkvm_mn_end(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	struct rvkvm_vm *vm = container_of(mn, struct rvkvm_vm, arch.mn);

	spin_lock(&vm->arch.mmu_lock);
	vm->arch.mmu_seq++;
	vm->arch.mmu_inv_count--;
	spin_unlock(&vm->arch.mmu_lock);
}

/* The address space is going away: nothing of it may stay mapped. */
static void rvkvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rvkvm_vm *vm = container_of(mn, struct rvkvm_vm, arch.mn);

	spin_lock(&vm->arch.mmu_lock);
	vm->arch.mmu_seq++;
	spin_unlock(&vm->arch.mmu_lock);
	invalidate(vm, 0, ULONG_MAX, true);
}

static const struct mmu_notifier_ops rvkvm_mn_ops = {
	.invalidate_range_start	= rvkvm_mn_start,
	.invalidate_range_end	= rvkvm_mn_end,
	.release		= rvkvm_mn_release,
};

int rvkvm_notifier_register(struct rvkvm_vm *vm)
{
	int ret;

	vm->arch.mn.ops = &rvkvm_mn_ops;
	ret = mmu_notifier_register(&vm->arch.mn, vm->mm);
	/*
	 * A signal makes registration fail with -EINTR. Unregistering what
	 * never registered would drop a reference to the mm it never took.
	 */
	if (ret)
		vm->arch.mn.ops = NULL;
	return ret;
}

void rvkvm_notifier_unregister(struct rvkvm_vm *vm)
{
	if (vm->arch.mn.ops)
		mmu_notifier_unregister(&vm->arch.mn, vm->mm);
}

#else

int rvkvm_notifier_register(struct rvkvm_vm *vm)
{
	return 0;
}

void rvkvm_notifier_unregister(struct rvkvm_vm *vm)
{
}

#endif
