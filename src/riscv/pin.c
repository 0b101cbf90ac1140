// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: guest page pinning. Every page the G-stage maps is pinned and
 * recorded per slot. Without an MMU notifier the host cannot tell rvkvm
 * when a page moves, so the pin is long-term (FOLL_LONGTERM), charged to
 * the VM owner's locked memory, and dropped only when its memslot or the
 * VM goes; with one, notifier.c drops pins when the host invalidates.
 */

#include <linux/mm.h>
#include <linux/sched/mm.h>

#include <rvkvm/rvkvm.h>

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

/*
 * The page backing gfn, pinned. An existing pin is reused (*fresh false);
 * a new one (*fresh true) must be stored with rvkvm_pin_store() under
 * mmu_lock, or given back with rvkvm_pin_drop(). With an MMU notifier the
 * pin lasts until the host invalidates the page, so it is an ordinary pin,
 * not charged as locked memory.
 */
struct page *rvkvm_pin_get(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			   u64 gfn, bool write, bool *fresh, int *err)
{
	unsigned long idx = gfn - slot->base_gfn, hva;
	struct page *page;
	long n;

	page = xa_load(&slot->pinned, idx);
	*fresh = !page;
	if (page)
		return page;

	hva = slot->userspace_addr + idx * PAGE_SIZE;
	if (IS_ENABLED(CONFIG_MMU_NOTIFIER)) {
		n = pin_user_pages_unlocked(hva, 1, &page,
					    write ? FOLL_WRITE : 0);
	} else {
		*err = account_locked_vm(vm->mm, 1, true);
		if (*err)
			return NULL;
		if (!write && private_writable(hva)) {
			n = pin_page(hva, true, &page);
			/* The mapping may have changed since: a read pin will do. */
			if (n != 1)
				n = pin_page(hva, false, &page);
		} else {
			n = pin_page(hva, write, &page);
		}
		if (n != 1)
			account_locked_vm(vm->mm, 1, false);
	}
	if (n != 1) {
		/* VM_IO/VM_PFNMAP ranges cannot be pinned: not guest RAM. */
		*err = n < 0 ? (int)n : -EFAULT;
		return NULL;
	}
	return page;
}

/* Give back a fresh pin that was never stored (so never mapped). */
void rvkvm_pin_drop(struct rvkvm_vm *vm, struct page *page, bool write)
{
	unpin_user_page(page);
	if (!IS_ENABLED(CONFIG_MMU_NOTIFIER))
		account_locked_vm(vm->mm, 1, false);
}

/*
 * Record a fresh pin, mmu_lock held. Returns the page now recorded for gfn,
 * NULL on error; *stored says whether that record is ours. Another vCPU
 * may have pinned the very same page first: its pin is then the record and
 * ours must be dropped, though the two pointers are equal.
 */
struct page *rvkvm_pin_store(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			     u64 gfn, struct page *page, bool *stored, int *err)
{
	struct page *old;

	*stored = false;
	old = xa_cmpxchg(&slot->pinned, gfn - slot->base_gfn, NULL, page,
			 GFP_ATOMIC | __GFP_ACCOUNT);
	if (xa_is_err(old)) {
		*err = xa_err(old);
		return NULL;
	}
	if (old)
		return old;
	*stored = true;
	slot->nr_pinned++;
	vm->stats.pinned_pages++;
	rvkvm_count(RVKVM_CNT_PINNED_PAGES, 1);
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
		/* A large slot holds millions of pins. */
		if (!(++n % 512))
			cond_resched();
	}
	if (n) {
		if (!IS_ENABLED(CONFIG_MMU_NOTIFIER))
			account_locked_vm(vm->mm, n, false);
		/* The MMU notifier counts other slots' pages under it. */
		spin_lock(&vm->arch.mmu_lock);
		vm->stats.pinned_pages -= n;
		spin_unlock(&vm->arch.mmu_lock);
		rvkvm_count(RVKVM_CNT_PINNED_PAGES, -n);
	}
	slot->nr_pinned = 0;
}
