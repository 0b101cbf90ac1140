/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the guest programs in smp_guest.S. */
#ifndef RVKVM_SMP_GUEST_H
#define RVKVM_SMP_GUEST_H

extern const char smp_start[], smp_end[];
extern const char g_hsm_boot[], g_hsm_secondary[], g_irq_wait[];
extern const char g_ipi_send[], g_timer[], g_count[], g_pattern[];
extern const char g_timer_stop[], g_hsm_suspend[], g_hsm_watch[];

#endif
