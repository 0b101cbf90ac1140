/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the guest programs in run_guest.S. */
#ifndef RVKVM_RUN_GUEST_H
#define RVKVM_RUN_GUEST_H

extern const char guest_start[], guest_end[];
extern const char g_forward[], g_compressed[], g_base[], g_unknown[];
extern const char g_illegal[], g_srst[], g_ram[], g_wfi[], g_peek[];
extern const char g_envcfg_set[], g_envcfg_get[], g_spin[], g_wfi_timer[];
extern const char g_wfi_user[], g_stimecmp[];

#endif
