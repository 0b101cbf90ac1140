/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm: module-wide object counters. Every one returns to zero when the
 * last VM is gone; debugfs shows them so tests can prove that.
 */
#ifndef RVKVM_COUNTERS_H
#define RVKVM_COUNTERS_H

#include <linux/atomic.h>

enum rvkvm_counter {
	RVKVM_CNT_VMS,
	RVKVM_CNT_VCPUS,
	RVKVM_CNT_MEMSLOTS,
	RVKVM_CNT_GSTAGE_TABLES,	/* G-stage table pages, root included */
	RVKVM_CNT_PINNED_PAGES,
	RVKVM_NR_COUNTERS
};

extern atomic_long_t rvkvm_counters[RVKVM_NR_COUNTERS];

static inline void rvkvm_count(enum rvkvm_counter c, long n)
{
	atomic_long_add(n, &rvkvm_counters[c]);
}

void rvkvm_counters_init(void);
void rvkvm_counters_exit(void);

#endif
