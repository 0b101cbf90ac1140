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
	if (level == rvkvm_hw.gstage_levels - 1)
		free_pages((unsigned long)table, GS_ROOT_ORDER);
	else
		free_page((unsigned long)table);
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

		if (!(*pte & GS_V)) {
			if (!cache || !*ncache)
				return NULL;
			table = cache[--(*ncache)];
			/* Publish the zeroed table before linking it. */
			smp_wmb();
			WRITE_ONCE(*pte, gs_pte(virt_to_pfn(table), GS_V));
			continue;
		}
		table = gs_table(*pte);
	}
	return &table[gs_index(gpa, 0)];
}

static void map_page(struct rvkvm_vm *vm, u64 gpa, unsigned long pfn,
		     bool writable)
{
	unsigned long prot = GS_V | GS_R | GS_X | GS_U | GS_A | GS_D;
	void *cache[GS_TABLES_MAX];
	int i, ncache = 0;
	unsigned long *ptep, old;

	if (writable)
		prot |= GS_W;
	/* Tables are allocated outside the lock; unused ones go back. */
	for (i = 0; i < rvkvm_hw.gstage_levels - 1; i++) {
		cache[ncache] = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!cache[ncache])
			break;
		ncache++;
	}

	spin_lock(&vm->arch.mmu_lock);
	ptep = walk(vm, gpa, cache, &ncache);
	if (ptep) {
		old = *ptep;
		WRITE_ONCE(*ptep, gs_pte(pfn, prot));
		if (!(old & GS_V))
			vm->stats.gstage_pages_mapped++;
	}
	spin_unlock(&vm->arch.mmu_lock);

	/* An upgraded entry may still sit in this CPU's TLB as read-only. */
	if (ptep && (old & GS_V))
		rvkvm_hfence_gvma_gpa(gpa, READ_ONCE(vm->arch.vmid.vmid));
	while (ncache)
		free_page((unsigned long)cache[--ncache]);
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
 * Handle a guest page fault at gpa. Returns 0 when mapped, 1 when the
 * address is not guest RAM for this access (the caller emulates MMIO), or
 * a negative errno.
 */
int rvkvm_gstage_fault(struct rvkvm_vcpu *vcpu, u64 gpa, bool write,
		       bool exec)
{
	struct rvkvm_vm *vm = vcpu->vm;
	struct rvkvm_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	bool readonly, writable;
	int err = 0;

	vcpu->stats.gstage_faults++;
	down_read(&vm->slots_lock);
	slot = rvkvm_memslot_find(vm, gfn);
	readonly = slot && (slot->flags & KVM_MEM_READONLY);
	if (!slot || (write && readonly)) {
		up_read(&vm->slots_lock);
		return 1;
	}
	page = rvkvm_pin_page(vm, slot, gfn, !readonly, &err);
	if (!page) {
		up_read(&vm->slots_lock);
		return err;
	}
	/* With dirty logging, a page becomes writable at its first write. */
	writable = !readonly && (write || !slot->dirty_bitmap);
	map_page(vm, gpa & PAGE_MASK, page_to_pfn(page), writable);
	/*
	 * Mark only once the writable mapping is in: a KVM_GET_DIRTY_LOG
	 * that takes the bit write-protects what it took, so a bit set
	 * before the mapping could be taken in between and leave the page
	 * writable with no bit, its later writes never logged.
	 */
	if (write)
		rvkvm_memslot_mark_dirty(slot, gfn);
	up_read(&vm->slots_lock);
	return 0;
}

/* Clear bits in every present leaf of [gfn, gfn + npages). */
static void clear_leaf_bits(struct rvkvm_vm *vm, u64 gfn, u64 npages,
			    unsigned long clear)
{
	u64 end = gfn + npages;

	spin_lock(&vm->arch.mmu_lock);
	for (; gfn < end; gfn++) {
		unsigned long *ptep = walk(vm, gfn << PAGE_SHIFT, NULL, NULL);

		if (ptep && (*ptep & GS_V)) {
			WRITE_ONCE(*ptep, *ptep & ~clear);
			if (clear & GS_V)
				vm->stats.gstage_pages_mapped--;
		}
		if (!(gfn & 1023) && spin_needbreak(&vm->arch.mmu_lock)) {
			spin_unlock(&vm->arch.mmu_lock);
			cond_resched();
			spin_lock(&vm->arch.mmu_lock);
		}
	}
	spin_unlock(&vm->arch.mmu_lock);
}

void rvkvm_gstage_unmap_slot(struct rvkvm_vm *vm, struct rvkvm_memslot *slot)
{
	clear_leaf_bits(vm, slot->base_gfn, slot->npages, ~0UL);
	rvkvm_tlb_flush_vm(vm);
}

void rvkvm_gstage_wrprotect_slot(struct rvkvm_vm *vm,
				 struct rvkvm_memslot *slot)
{
	clear_leaf_bits(vm, slot->base_gfn, slot->npages, GS_W);
	rvkvm_tlb_flush_vm(vm);
}

/* Write-protect the pages of mask, bit i being slot page first + i. */
void rvkvm_gstage_wrprotect(struct rvkvm_vm *vm, struct rvkvm_memslot *slot,
			    u64 first, unsigned long mask)
{
	while (mask) {
		unsigned int bit = __ffs(mask);

		clear_leaf_bits(vm, slot->base_gfn + first + bit, 1, GS_W);
		mask &= mask - 1;
	}
}
