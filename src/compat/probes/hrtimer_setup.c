// SPDX-License-Identifier: GPL-2.0
/* hrtimer_setup() replaced hrtimer_init() plus a .function store (6.13). */
#include <linux/hrtimer.h>

static enum hrtimer_restart fn(struct hrtimer *t)
{
	return HRTIMER_NORESTART;
}

void rvkvm_probe(struct hrtimer *t)
{
	hrtimer_setup(t, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}
