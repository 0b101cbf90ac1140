// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: modcycle MODULE_PATH MODULE_NAME DEV COUNT
 * rmmod is refused while a VM exists; COUNT unload/load cycles each remove
 * and restore the device node and the CPU-hotplug state; no CPU reports
 * stale hypervisor state; a VM made after the last load works; a CPU taken
 * offline and back keeps working. Expects the module loaded on entry.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/ktest.h"
#include "../lib/kmsg.h"

#define HP_STATES	"/sys/devices/system/cpu/hotplug/states"

static const char *mod_path, *mod_name, *dev;

static int load(void)
{
	int fd = open(mod_path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return rc;
}

static int unload(void)
{
	return syscall(SYS_delete_module, mod_name, O_NONBLOCK);
}

/* How many CPU-hotplug states the module has registered. */
static int hp_states(void)
{
	char line[256];
	FILE *f = fopen(HP_STATES, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " rvkvm:online") != NULL;
	fclose(f);
	return n;
}

static bool node_present(void)
{
	struct stat st;

	return stat(dev, &st) == 0 && S_ISCHR(st.st_mode);
}

/* Create a VM and use it; true when that works. */
static bool vm_works(void)
{
	int kvm = open(dev, O_RDWR | O_CLOEXEC), vm;
	bool ok;

	if (kvm < 0)
		return false;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ok = vm >= 0 && ioctl(vm, KVM_CHECK_EXTENSION, 0) == 0;
	if (vm >= 0)
		close(vm);
	close(kvm);
	return ok;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return rc;
}

static void test_rmmod_refused(void)
{
	int kvm = open(dev, O_RDWR | O_CLOEXEC), vm = -1, rc;

	if (kvm >= 0)
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (kvm >= 0)
		close(kvm);
	if (!kt_check(vm >= 0, "cycle/vm-for-rmmod", "no VM: %s",
		      strerrorname(errno)))
		return;
	rc = unload();
	KT_ERRNO(rc, EAGAIN, "cycle/rmmod-refused-with-vm");
	close(vm);
}

static void test_cycles(int count)
{
	int i, bad_unload = 0, bad_load = 0, bad_node = 0, bad_hp = 0;

	for (i = 0; i < count; i++) {
		if (unload()) {
			bad_unload++;
			break;
		}
		bad_node += node_present();
		bad_hp += hp_states() != 0;
		if (load()) {
			bad_load++;
			break;
		}
		bad_node += !node_present();
		bad_hp += hp_states() != 1;
	}
	kt_check(!bad_unload && !bad_load, "cycle/unload-load",
		 "cycle %d: %s failed: %s", i, bad_unload ? "unload" : "load",
		 strerrorname(errno));
	kt_check(!bad_node, "cycle/device-node-follows-module",
		 "%d wrong states of %s", bad_node, dev);
	kt_check(!bad_hp, "cycle/cpuhp-state-follows-module",
		 "%d wrong counts in " HP_STATES, bad_hp);
	kt_check(vm_works(), "cycle/vm-after-reload", "VM creation failed");
}

static void test_cpu_offline(void)
{
	const char *online = "/sys/devices/system/cpu/cpu1/online";

	if (access(online, W_OK)) {
		kt_skip("cycle/cpu-offline-online", "no second CPU to offline");
		return;
	}
	kt_check(!write_file(online, "0") && !write_file(online, "1") &&
		 vm_works(), "cycle/cpu-offline-online", "%s",
		 strerrorname(errno));
}

int main(int argc, char **argv)
{
	int count;

	if (argc != 5) {
		kt_check(false, "modcycle/usage", "PATH NAME DEV COUNT");
		return kt_exit_code();
	}
	mod_path = argv[1];
	mod_name = argv[2];
	dev = argv[3];
	count = atoi(argv[4]);

	kt_check(hp_states() == 1, "cycle/cpuhp-state-registered",
		 "%d rvkvm:online states", hp_states());
	test_rmmod_refused();
	test_cycles(count);
	test_cpu_offline();
	kt_check(kt_kmsg_count("found stale hedeleg") == 0,
		 "cycle/no-stale-cpu-state", "a CPU reported stale state");
	return kt_exit_code();
}
