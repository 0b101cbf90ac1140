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

/*
 * Whether a read-only slot's page at hva is best pinned for write: in a
 * private mapping the process can write, a read-only pin would take the
 * page the mapping still shares (the zero page of untouched memory, a
 * file's page cache page), and the host's next write would move the
 * process to a copy the guest never sees. A write pin makes the page the
 * process's own first; the guest's mapping stays read-only.
 */
static bool private_writable(unsigned long hva)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ret;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, hva);
	ret = vma && (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
	mmap_read_unlock(mm);
	return ret;
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
	if (!write && private_writable(hva)) {
		n = pin_page(hva, true, &page);
		/* The mapping may have changed since: a read pin will do. */
		if (n != 1)
			n = pin_page(hva, false, &page);
	} else {
		n = pin_page(hva, write, &page);
	}
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
	slot->nr_pinned++;
	vm->stats.pinned_pages++;
	atomic_long_inc(&rvkvm_pinned_pages);
	return page;
}

void rvkvm_unpin_slot(struct rvkvm_vm *vm, struct rvkvm_memslot *slot)
{
	bool dirty = !(slot->flags & KVM_MEM_READONLY);
	struct page *page;
	unsigned long idx;

	xa_for_each(&slot->pinned, idx, page) {
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		xa_erase(&slot->pinned, idx);
	}
	if (slot->nr_pinned) {
		account_locked_vm(vm->mm, slot->nr_pinned, false);
		vm->stats.pinned_pages -= slot->nr_pinned;
		atomic_long_sub(slot->nr_pinned, &rvkvm_pinned_pages);
		slot->nr_pinned = 0;
	}
}
