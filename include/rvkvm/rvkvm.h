/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: generic (architecture-independent) declarations shared by the
 * /dev/kvm device, VM and vCPU code.
 */
#ifndef RVKVM_RVKVM_H
#define RVKVM_RVKVM_H

#include <linux/kref.h>
#include <linux/types.h>

#define RVKVM_API_VERSION	12

struct rvkvm_vm {
	struct kref ref;
	struct mm_struct *mm;
};

/* main.c */
void rvkvm_wait_ready(void);

/* dev.c */
int rvkvm_dev_register(void);
void rvkvm_dev_unregister(void);
bool rvkvm_dev_is_fallback(void);
long rvkvm_check_extension(struct rvkvm_vm *vm, long cap);

/* vm.c */
int rvkvm_vm_create(unsigned long type);

#endif
