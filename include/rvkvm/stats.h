/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: statistics counters, exported through KVM_GET_STATS_FD. Every
 * field is a u64; a new one must also go into the list in stats.c, in the
 * same order (the build checks). All count events, except the gauges.
 */
#ifndef RVKVM_STATS_H
#define RVKVM_STATS_H

#include <linux/types.h>

struct rvkvm_vm_stats {
	u64 remote_tlb_flush;
	u64 gstage_pages_mapped;	/* gauge: leaf entries valid now */
	u64 pinned_pages;		/* gauge: pages pinned now */
	u64 memslot_updates;
};

struct rvkvm_vcpu_stats {
	u64 exits;
	u64 mmio_exits;
	u64 sbi_calls;
	u64 sbi_exits;
	u64 csr_exits;
	u64 gstage_faults;
	u64 wfi_exits;
	u64 halts;
	u64 signal_exits;
	u64 irq_exits;
	u64 fast_reentries;
	u64 redirected_traps;
};

struct rvkvm_vm;
struct rvkvm_vcpu;

/* stats.c */
int rvkvm_stats_vm_fd(struct rvkvm_vm *vm);
int rvkvm_stats_vcpu_fd(struct rvkvm_vcpu *vcpu);
/* Record the creating thread for the stats id: call when creating each. */
void rvkvm_stats_vm_init(struct rvkvm_vm *vm);
void rvkvm_stats_vcpu_init(struct rvkvm_vcpu *vcpu);

#endif
