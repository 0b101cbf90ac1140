/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between the generic half of rvkvm and the architecture half:
 * generic code reaches hardware only through these functions.
 */
#ifndef RVKVM_ARCH_H
#define RVKVM_ARCH_H

#include <linux/types.h>

struct rvkvm_vm;

/* Probe every online CPU; fails with -ENODEV and one dmesg line. */
int rvkvm_arch_probe(void);
/* Print what the probe found, once. */
void rvkvm_arch_report(void);

/*
 * Per-CPU hypervisor state, called on the CPU itself. @shared is true when
 * another hypervisor (the in-tree kvm.ko) drives the same CSRs: then
 * disabling leaves the delegation CSRs alone.
 */
void rvkvm_arch_cpu_enable(bool shared);
/* Say so when a CPU comes to us with hypervisor state already set. */
void rvkvm_arch_cpu_check_clean(void);
void rvkvm_arch_cpu_disable(bool shared);

/* Architecture answer to KVM_CHECK_EXTENSION, 0 when unknown. */
long rvkvm_arch_check_extension(struct rvkvm_vm *vm, long cap);

#endif
