/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the guest programs in memslot_guest.S. */
#ifndef RVKVM_MEMSLOT_GUEST_H
#define RVKVM_MEMSLOT_GUEST_H

extern const char guest_start[], guest_end[];
extern const char g_cmd[], g_spin[];

#endif
