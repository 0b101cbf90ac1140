// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: module-wide object counters, shown in debugfs as
 * <debugfs>/rvkvm/counters, one "name value" line each. Tests read them
 * after every VM is gone: anything not back at zero is a leak that
 * kmemleak cannot see (a pin, a page still referenced from a list).
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include <rvkvm/counters.h>

atomic_long_t rvkvm_counters[RVKVM_NR_COUNTERS];

static const char * const counter_names[RVKVM_NR_COUNTERS] = {
	[RVKVM_CNT_VMS]			= "vms",
	[RVKVM_CNT_VCPUS]		= "vcpus",
	[RVKVM_CNT_MEMSLOTS]		= "memslots",
	[RVKVM_CNT_GSTAGE_TABLES]	= "gstage_table_pages",
	[RVKVM_CNT_PINNED_PAGES]	= "pinned_pages",
};

static struct dentry *counters_dir;

static int counters_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < RVKVM_NR_COUNTERS; i++)
		seq_printf(m, "%s %ld\n", counter_names[i],
			   atomic_long_read(&rvkvm_counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

/* Without debugfs the counters still count; nobody can read them. */
void rvkvm_counters_init(void)
{
	counters_dir = debugfs_create_dir("rvkvm", NULL);
	debugfs_create_file("counters", 0444, counters_dir, NULL,
			    &counters_fops);
}

void rvkvm_counters_exit(void)
{
	debugfs_remove_recursive(counters_dir);
}
