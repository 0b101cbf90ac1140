/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the guest programs in bench_guest.S. */
#ifndef RVKVM_BENCH_GUEST_H
#define RVKVM_BENCH_GUEST_H

extern const char guest_start[], guest_end[];
extern const char g_sbi[], g_mmio[], g_touch[], g_timer_irq[];

#endif
