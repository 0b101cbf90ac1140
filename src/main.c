// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm: a KVM-compatible hypervisor module for RISC-V hosts with the H
 * extension whose kernel was built without KVM.
 *
 * Load order: probe the hardware, enable it on every CPU (and on CPUs that
 * come online later, or return from a power-down), then open /dev/kvm.
 */

#include <asm/barrier.h>
#include <linux/cpu.h>
#include <linux/cpu_pm.h>
#include <linux/cpuhotplug.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>

#include <rvkvm/arch.h>
#include <rvkvm/rvkvm.h>

static enum cpuhp_state rvkvm_cpuhp_state;
static DEFINE_PER_CPU(bool, rvkvm_cpu_enabled);

/*
 * Whether another hypervisor shares the CPUs. Decided before the device is
 * registered: the in-tree kvm.ko owning /dev/kvm is that case.
 */
static bool rvkvm_shared;

/*
 * Set once every CPU is enabled. The device is registered before that, and
 * an init that fails after registering does not wait for module references,
 * so opens are refused until then.
 */
static bool rvkvm_ready;

bool rvkvm_is_ready(void)
{
	/* Pairs with init's release: the CPUs' state is seen once ready is. */
	return smp_load_acquire(&rvkvm_ready);
}

static int rvkvm_cpu_online(unsigned int cpu)
{
	if (!rvkvm_shared)
		rvkvm_arch_cpu_check_clean();
	rvkvm_arch_cpu_enable(rvkvm_shared);
	this_cpu_write(rvkvm_cpu_enabled, true);
	return 0;
}

static int rvkvm_cpu_offline(unsigned int cpu)
{
	this_cpu_write(rvkvm_cpu_enabled, false);
	rvkvm_arch_cpu_disable(rvkvm_shared);
	return 0;
}

/* A non-retentive idle state loses the hypervisor CSRs: put them back. */
static int rvkvm_cpu_pm_notify(struct notifier_block *nb, unsigned long cmd,
			       void *v)
{
	if (!this_cpu_read(rvkvm_cpu_enabled))
		return NOTIFY_DONE;
	if (cmd == CPU_PM_EXIT || cmd == CPU_PM_ENTER_FAILED)
		rvkvm_arch_cpu_enable(rvkvm_shared);
	return NOTIFY_OK;
}

static struct notifier_block rvkvm_cpu_pm_nb = {
	.notifier_call = rvkvm_cpu_pm_notify,
};

static int __init rvkvm_init(void)
{
	int ret;

	ret = rvkvm_arch_probe();
	if (ret)
		return ret;
	rvkvm_arch_report();
	rvkvm_counters_init();

	/*
	 * Take the device first: only then is it known whether kvm.ko is
	 * here. Opens fail until the CPUs are enabled.
	 */
	ret = rvkvm_dev_register();
	if (ret)
		goto out;
	rvkvm_shared = rvkvm_dev_is_fallback();

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "rvkvm:online",
				rvkvm_cpu_online, rvkvm_cpu_offline);
	if (ret < 0)
		goto err_dev;
	rvkvm_cpuhp_state = ret;

	ret = cpu_pm_register_notifier(&rvkvm_cpu_pm_nb);
	if (ret)
		goto err_cpuhp;
	/* Publishes rvkvm_shared and the enabled CPUs to openers. */
	smp_store_release(&rvkvm_ready, true);
	return 0;

err_cpuhp:
	cpuhp_remove_state(rvkvm_cpuhp_state);
err_dev:
	rvkvm_dev_unregister();
out:
	rvkvm_counters_exit();
	return ret;
}

static void __exit rvkvm_exit(void)
{
	rvkvm_dev_unregister();
	cpu_pm_unregister_notifier(&rvkvm_cpu_pm_nb);
	cpuhp_remove_state(rvkvm_cpuhp_state);
	rvkvm_counters_exit();
	pr_info("unloaded\n");
}

module_init(rvkvm_init);
module_exit(rvkvm_exit);

MODULE_DESCRIPTION("KVM-compatible hypervisor for RISC-V H-extension hosts");
MODULE_LICENSE("GPL");
MODULE_ALIAS_MISCDEV(KVM_MINOR);
MODULE_ALIAS("devname:kvm");
