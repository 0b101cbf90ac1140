// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: G-stage (guest physical -> host physical) page tables. 4 KiB
 * leaves only; tables live until the VM goes, so an unmap never frees a
 * table a CPU might still walk.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include <rvkvm/rvkvm.h>
#include <rvkvm/riscv_csr.h>
#include <rvkvm/riscv_hw.h>

#define GS_V		BIT(0)
#define GS_R		BIT(1)
#define GS_W		BIT(2)
#define GS_X		BIT(3)
#define GS_U		BIT(4)
#define GS_A		BIT(6)
#define GS_D		BIT(7)
#define GS_PPN_SHIFT	10
/* The root table is four pages: its index has two more bits. */
#define GS_ROOT_ORDER	2
#define GS_TABLES_MAX	8	/* enough new tables for one 4 KiB mapping */

static unsigned int gs_index(u64 gpa, unsigned int level)
{
	unsigned int bits = level == rvkvm_hw.gstage_levels - 1 ? 11 : 9;

	return (gpa >> (PAGE_SHIFT + 9 * level)) & ((1U << bits) - 1);
}

static unsigned long *gs_table(unsigned long pte)
{
	return pfn_to_virt(pte >> GS_PPN_SHIFT);
}

static unsigned long gs_pte(unsigned long pfn, unsigned long prot)
{
	return (pfn << GS_PPN_SHIFT) | prot;
}

unsigned long rvkvm_hgatp(struct rvkvm_vm *vm)
{
	return (rvkvm_hw.gstage_mode << HGATP_MODE_SHIFT) |
	       ((READ_ONCE(vm->arch.vmid.vmid) << HGATP_VMID_SHIFT) &
		HGATP_VMID_MASK) |
	       (vm->arch.pgd_phys >> PAGE_SHIFT);
}

int rvkvm_gstage_init(struct rvkvm_vm *vm)
{
	struct page *root;

	spin_lock_init(&vm->arch.mmu_lock);
	/* Naturally aligned: the root must sit on a 16 KiB boundary. */
	root = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, GS_ROOT_ORDER);
	if (!root)
		return -ENOMEM;
	rvkvm_count(RVKVM_CNT_GSTAGE_TABLES, 1 << GS_ROOT_ORDER);
	vm->arch.pgd = page_address(root);
	vm->arch.pgd_phys = page_to_phys(root);
	return 0;
}

static void free_table(unsigned long *table, unsigned int level)
{
	unsigned int i, n = level == rvkvm_hw.gstage_levels - 1 ? 2048 : 512;

	if (level == 0)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned long pte = table[i];

		if ((pte & GS_V) && !(pte & (GS_R | GS_W | GS_X)))
			free_table(gs_table(pte), level - 1);
	}
out:
	if (level == rvkvm_hw.gstage_levels - 1) {
		free_pages((unsigned long)table, GS_ROOT_ORDER);
		rvkvm_count(RVKVM_CNT_GSTAGE_TABLES, -(1 << GS_ROOT_ORDER));
	} else {
		free_page((unsigned long)table);
		rvkvm_count(RVKVM_CNT_GSTAGE_TABLES, -1);
	}
}

void rvkvm_gstage_free(struct rvkvm_vm *vm)
{
	if (!vm->arch.pgd)
		return;
	free_table(vm->arch.pgd, rvkvm_hw.gstage_levels - 1);
	vm->arch.pgd = NULL;
}

/*
 * Find the leaf PTE for gpa. With a page cache, missing tables are taken
 * from it; without one, NULL is returned where a table is missing.
 */
static unsigned long *walk(struct rvkvm_vm *vm, u64 gpa, void **cache,
			   int *ncache)
{
	unsigned long *table = vm->arch.pgd;
	int level;

	for (level = rvkvm_hw.gstage_levels - 1; level > 0; level--) {
		unsigned long *pte = &table[gs_index(gpa, level)];
		unsigned long entry = READ_ONCE(*pte);

		if (!(entry & GS_V)) {
			if (!cache || !*ncache)
				return NULL;
			table = cache[--(*ncache)];
			rvkvm_count(RVKVM_CNT_GSTAGE_TABLES, 1);
			/* Publish the zeroed table before linking it. */
			smp_wmb();
			WRITE_ONCE(*pte, gs_pte(virt_to_pfn(table), GS_V));
			continue;
		}
		table = gs_table(entry);
	}
	return &table[gs_index(gpa, 0)];
}

/*
 * What RISC-V KVM checks before a slot is created, moved or changes its
 * flags: the slot must end below the G-stage's reach (KVM compares the end
 * with ">=", so it refuses a slot holding the very last page too; rvkvm
 * answers the same), and a writable slot must not cover a mapping the
 * process itself cannot write (holes are allowed).
 */
int rvkvm_gstage_prepare_slot(u64 base_gfn, u64 npages, unsigned long uaddr,
			      u32 flags)
{
	unsigned long end = uaddr + (npages << PAGE_SHIFT);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = 0;

	if (base_gfn + npages >= 1ULL << (rvkvm_gpa_bits() - PAGE_SHIFT))
		return -EFAULT;
	if (flags & KVM_MEM_READONLY)
		return 0;
	mmap_read_lock(mm);
	for (vma = find_vma(mm, uaddr); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (!(vma->vm_flags & VM_WRITE)) {
			ret = -EPERM;
			break;
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Install gpa -> page. A write fault on a logged slot also sets the page's
 * dirty bit, under mmu_lock, so collecting the log (which clears bits and
 * write-protects under the same lock) can never miss a writable mapping.
 * Nothing is mapped if an MMU-notifier invalidation ran since seq was
 * read: the guest then simply faults again. Returns 0 or -errno.
 */
static int map_page(struct rvkvm_vm *vm, struct rvkvm_memslot *slot, u64 gpa,
		    struct page *page, bool fresh, unsigned long seq,
		    bool writable, bool write)
{
	unsigned long prot = GS_V | GS_R | GS_X | GS_U | GS_A | GS_D;
	struct page *mine = fresh ? page : NULL;
	void *cache[GS_TABLES_MAX];
	int i, ncache = 0, err = 0;
	unsigned long *ptep = NULL, old = 0;
	bool need_tables, stored;

	if (writable)
		prot |= GS_W;
	/*
	 * Tables live until the VM goes, so once gpa's leaf table exists (as
	 * after the first fault in a 2 MiB region, and for every dirty-log
	 * fault) none is needed. Otherwise they are allocated outside the
	 * lock; unused ones go back.
	 */
	need_tables = !walk(vm, gpa, NULL, NULL);
	for (i = 0; need_tables && i < rvkvm_hw.gstage_levels - 1; i++) {
		cache[ncache] = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!cache[ncache])
			break;
		ncache++;
	}

	spin_lock(&vm->arch.mmu_lock);
	if (vm->arch.mmu_inv_count || vm->arch.mmu_seq != seq)
		goto unlock;
	if (fresh) {
		page = rvkvm_pin_store(vm, slot, gpa >> PAGE_SHIFT, page,
				       &stored, &err);
		if (!page)
			goto unlock;
		if (stored)
			mine = NULL;
	}
	ptep = walk(vm, gpa, cache, &ncache);
	if (!ptep) {
		err = -ENOMEM;
		goto unlock;
	}
	old = *ptep;
	WRITE_ONCE(*ptep, gs_pte(page_to_pfn(page), prot));
	if (!(old & GS_V))
		vm->stats.gstage_pages_mapped++;
	if (write)
		rvkvm_memslot_mark_dirty(slot, gpa >> PAGE_SHIFT);
unlock:
	spin_unlock(&vm->arch.mmu_lock);

	/* An upgraded entry may still sit in this CPU's TLB as read-only. */
	if (ptep && (old & GS_V))
		rvkvm_hfence_gvma_gpa(gpa, READ_ONCE(vm->arch.vmid.vmid));
	if (mine)
		rvkvm_pin_drop(vm, mine, writable);
	while (ncache)
		free_page((unsigned long)cache[--ncache]);
	return err;
}

/*
 * Handle a guest page fault at gpa. Returns 0 when mapped (or to be
 * retried), 1 when the address is not guest RAM for this access (the
 * caller emulates MMIO), or a negative errno.
 */
int rvkvm_gstage_fault(struct rvkvm_vcpu *vcpu, u64 gpa, bool write,
		       bool exec)
{
	struct rvkvm_vm *vm = vcpu->vm;
	struct rvkvm_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	unsigned long seq;
	struct page *page;
	bool readonly, writable, fresh;
	int err = 0;

	vcpu->stats.gstage_faults++;
	seq = READ_ONCE(vm->arch.mmu_seq);
	/* Read seq before the pin table: pairs with the notifier's lock. */
	smp_rmb();

	down_read(&vm->slots_lock);
	slot = rvkvm_memslot_find(vm, gfn);
	readonly = slot && (slot->flags & KVM_MEM_READONLY);
	if (!slot || (write && readonly)) {
		up_read(&vm->slots_lock);
		return 1;
	}
	page = rvkvm_pin_get(vm, slot, gfn, !readonly, &fresh, &err);
	if (!page) {
		up_read(&vm->slots_lock);
		return err;
	}
	/* With dirty logging, a page becomes writable at its first write. */
	writable = !readonly && (write || !slot->dirty_bitmap);
	err = map_page(vm, slot, gpa & PAGE_MASK, page, fresh, seq, writable,
		       write);
	up_read(&vm->slots_lock);
	return err;
}

/* Clear bits in the leaf of gfn, if present. mmu_lock held. */
static void leaf_clear(struct rvkvm_vm *vm, u64 gfn, unsigned long clear)
{
	unsigned long *ptep = walk(vm, gfn << PAGE_SHIFT, NULL, NULL);

	if (!ptep || !(*ptep & GS_V))
		return;
	WRITE_ONCE(*ptep, *ptep & ~clear);
	if (clear & GS_V)
		vm->stats.gstage_pages_mapped--;
}

/* mmu_lock held; the caller flushes before the page is released. */
void rvkvm_gstage_unmap_gfn(struct rvkvm_vm *vm, u64 gfn)
{
	leaf_clear(vm, gfn, ~0UL);
}

/*
 * Clear bits in every leaf of the slot. Only pinned pages are ever
 * mapped, so walking the pins bounds the work by what the guest touched,
 * however large the slot.
 */
static void slot_clear(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
		       unsigned long clear)
{
	unsigned long idx, n = 0;
	struct page *page;

	spin_lock(&vm->arch.mmu_lock);
	xa_for_each(&slot->pinned, idx, page) {
		leaf_clear(vm, slot->base_gfn + idx, clear);
		if (++n % 512 == 0) {
			spin_unlock(&vm->arch.mmu_lock);
			cond_resched();
			spin_lock(&vm->arch.mmu_lock);
		}
	}
	spin_unlock(&vm->arch.mmu_lock);
}

void rvkvm_gstage_unmap_slot(struct rvkvm_vm *vm, struct rvkvm_memslot *slot)
{
	slot_clear(vm, slot, ~0UL);
	rvkvm_tlb_flush_vm(vm);
}

void rvkvm_gstage_wrprotect_slot(struct rvkvm_vm *vm,
				 struct rvkvm_memslot *slot)
{
	slot_clear(vm, slot, GS_W);
	rvkvm_tlb_flush_vm(vm);
}

/*
 * Take the dirty bits of one bitmap word and write-protect their pages, in
 * one step under mmu_lock. The caller flushes the TLB afterwards.
 */
unsigned long rvkvm_gstage_collect_dirty(struct rvkvm_vm *vm,
					 struct rvkvm_memslot *slot,
					 unsigned long word)
{
	unsigned long mask, bits;

	spin_lock(&vm->arch.mmu_lock);
	mask = xchg(&slot->dirty_bitmap[word], 0);
	for (bits = mask; bits; bits &= bits - 1)
		leaf_clear(vm, slot->base_gfn + word * BITS_PER_LONG +
			   __ffs(bits), GS_W);
	spin_unlock(&vm->arch.mmu_lock);
	return mask;
}
