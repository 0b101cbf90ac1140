// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: guest page pinning. Without an MMU notifier the host cannot tell
 * rvkvm when a page moves, so every page the G-stage maps is pinned
 * (FOLL_LONGTERM), charged to the VM owner's locked memory, and unpinned
 * only when its memslot or the VM goes.
 */

#include <linux/mm.h>
#include <linux/sched/mm.h>

#include <rvkvm/rvkvm.h>

atomic_long_t rvkvm_pinned_pages = ATOMIC_LONG_INIT(0);

/*
 * Writable slots pin for write, so the page is the process's own. The
 * long-term pin path cannot wait for userfaultfd, so when it fails the
 * page is first faulted in through the path that can, then pinned.
 */
static long pin_page(unsigned long hva, bool write, struct page **page)
{
	unsigned int flags = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	struct page *tmp;
	long n;

	n = pin_user_pages_fast(hva, 1, flags, page);
	if (n == 1)
		return n;
	n = get_user_pages_unlocked(hva, 1, &tmp, write ? FOLL_WRITE : 0);
	if (n != 1)
		return n;
	put_page(tmp);
	return pin_user_pages_fast(hva, 1, flags, page);
}

struct page *rvkvm_pin_page(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			    u64 gfn, bool write, int *err)
{
	unsigned long idx = gfn - slot->base_gfn, hva;
	struct page *page, *old;
	long n;

	page = xa_load(&slot->pinned, idx);
	if (page)
		return page;

	*err = account_locked_vm(vm->mm, 1, true);
	if (*err)
		return NULL;
	hva = slot->userspace_addr + idx * PAGE_SIZE;
	n = pin_page(hva, write, &page);
	if (n != 1) {
		account_locked_vm(vm->mm, 1, false);
		/* VM_IO/VM_PFNMAP ranges cannot be pinned: not guest RAM. */
		*err = n < 0 ? (int)n : -EFAULT;
		return NULL;
	}

	/* Another vCPU may have pinned the same page meanwhile. */
	old = xa_cmpxchg(&slot->pinned, idx, NULL, page, GFP_KERNEL_ACCOUNT);
	if (old) {
		unpin_user_page(page);
		account_locked_vm(vm->mm, 1, false);
		if (xa_is_err(old)) {
			*err = xa_err(old);
			return NULL;
		}
		return old;
	}
	/* Several vCPUs fault in at once under the read side of slots_lock. */
	spin_lock(&vm->arch.mmu_lock);
	slot->nr_pinned++;
	vm->stats.pinned_pages++;
	spin_unlock(&vm->arch.mmu_lock);
	atomic_long_inc(&rvkvm_pinned_pages);
	return page;
}

void rvkvm_unpin_slot(struct rvkvm_vm *vm, struct rvkvm_memslot *slot)
{
	bool dirty = !(slot->flags & KVM_MEM_READONLY);
	unsigned long idx, n = 0;
	struct page *page;

	/* Called with slots_lock held for write: no fault-in runs. */
	xa_for_each(&slot->pinned, idx, page) {
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		xa_erase(&slot->pinned, idx);
		n++;
	}
	if (n) {
		account_locked_vm(vm->mm, n, false);
		vm->stats.pinned_pages -= n;
		atomic_long_sub(n, &rvkvm_pinned_pages);
	}
	slot->nr_pinned = 0;
}
