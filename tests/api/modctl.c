// SPDX-License-Identifier: GPL-2.0
/*
 * Module and kernel-log checks for the test plans:
 *   modctl load PATH                 finit_module must succeed
 *   modctl load-fail PATH ERRNO TEXT must fail with ERRNO and log TEXT
 *   modctl unload NAME               delete_module must succeed
 *   modctl dmesg-has TEXT | dmesg-lacks TEXT
 *   modctl node PATH MAJOR MINOR|dyn  a char device with that number
 *   modctl absent PATH
 *   modctl kmemleak-baseline         forget leaks from before the tests
 *   modctl kmemleak                  a kmemleak scan must report nothing
 *   modctl counters                  rvkvm's object counters all read 0
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/ktest.h"
#include "../lib/kmsg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct { const char *name; int e; } errnames[] = {
	{ "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "EBUSY", EBUSY },
	{ "EEXIST", EEXIST }, { "ENOENT", ENOENT },
};

static int errno_by_name(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (!strcmp(errnames[i].name, s))
			return errnames[i].e;
	return -1;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return rc;
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define COUNTERS "/sys/kernel/debug/rvkvm/counters"

static bool kmemleak_cmd(const char *cmd, const char *name)
{
	int fd = open(KMEMLEAK, O_WRONLY);
	bool ok = fd >= 0 && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);

	if (!ok)
		kt_check(false, name, "cannot write '%s' to %s: %s", cmd,
			 KMEMLEAK, strerrorname(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * kmemleak lists unreferenced objects only once they are 5 s old, so wait
 * that long before a scan (one takes a minute or more on the debug kernel
 * under TCG). The baseline then forgets ("clear") what the kernel itself
 * leaked before rvkvm was loaded. The check scans once more after a pause,
 * so that an object freed late (RCU) has gone, and reads what is left.
 */
static void kmemleak_scan(bool baseline)
{
	const char *name = baseline ? "modctl/kmemleak-baseline" :
				      "modctl/kmemleak-clean";
	char buf[4096];
	ssize_t n = -1;
	int fd;

	sleep(6);
	if (!kmemleak_cmd("scan", name))
		return;
	if (baseline) {
		if (kmemleak_cmd("clear", name))
			kt_check(true, name, NULL);
		return;
	}
	sleep(6);
	if (!kmemleak_cmd("scan", name))
		return;
	fd = open(KMEMLEAK, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0)
		buf[n] = '\0';
	kt_check(n == 0, name, "%s", n > 0 ? buf : "cannot read " KMEMLEAK);
}

/*
 * With every VM gone, each of rvkvm's counters (VMs, vCPUs, memslots,
 * G-stage table pages, pinned pages) must be back at zero: one check each.
 */
static void counters_zero(void)
{
	char line[128], cname[64], name[128];
	FILE *f = fopen(COUNTERS, "r");
	int n = 0;
	long v;

	if (!f) {
		kt_check(false, "modctl/counters", "cannot open %s: %s",
			 COUNTERS, strerrorname(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", cname, &v) != 2)
			continue;
		snprintf(name, sizeof(name), "modctl/counters/%s-zero", cname);
		kt_check(v == 0, name, "%s is %ld with no VM left", cname, v);
		n++;
	}
	fclose(f);
	kt_check(n == 5, "modctl/counters/all-read", "%d counters in %s",
		 n, COUNTERS);
}

int main(int argc, char **argv)
{
	char name[256];
	struct stat st;
	int rc, e;

	if (argc < 2) {
		kt_check(false, "modctl/usage", "bad arguments");
		return kt_exit_code();
	}
	/* The commands without an argument come first. */
	if (!strcmp(argv[1], "kmemleak-baseline")) {
		kmemleak_scan(true);
		return kt_exit_code();
	} else if (!strcmp(argv[1], "kmemleak")) {
		kmemleak_scan(false);
		return kt_exit_code();
	} else if (!strcmp(argv[1], "counters")) {
		counters_zero();
		return kt_exit_code();
	} else if (argc < 3) {
		kt_check(false, "modctl/usage", "%s needs an argument", argv[1]);
		return kt_exit_code();
	}
	snprintf(name, sizeof(name), "modctl/%s/%s", argv[1], base(argv[2]));

	if (!strcmp(argv[1], "load")) {
		rc = load(argv[2]);
		kt_check(rc == 0, name, "finit_module: %s", strerrorname(errno));
	} else if (!strcmp(argv[1], "load-fail") && argc == 5) {
		e = errno_by_name(argv[3]);
		rc = load(argv[2]);
		KT_ERRNO(rc, e, name);
		snprintf(name, sizeof(name), "modctl/load-fail-says/%s",
			 base(argv[2]));
		kt_check(kt_kmsg_count(argv[4]) > 0, name,
			 "no \"%s\" in the kernel log", argv[4]);
	} else if (!strcmp(argv[1], "unload")) {
		rc = syscall(SYS_delete_module, argv[2], O_NONBLOCK);
		kt_check(rc == 0, name, "delete_module: %s", strerrorname(errno));
	} else if (!strcmp(argv[1], "dmesg-has")) {
		snprintf(name, sizeof(name), "modctl/dmesg-has \"%s\"", argv[2]);
		kt_check(kt_kmsg_count(argv[2]) > 0, name,
			 "not in the kernel log");
	} else if (!strcmp(argv[1], "dmesg-lacks")) {
		snprintf(name, sizeof(name), "modctl/dmesg-lacks \"%s\"", argv[2]);
		kt_check(kt_kmsg_count(argv[2]) == 0, name,
			 "found in the kernel log");
	} else if (!strcmp(argv[1], "node") && argc == 5) {
		rc = stat(argv[2], &st);
		kt_check(rc == 0 && S_ISCHR(st.st_mode) &&
			 major(st.st_rdev) == (unsigned int)atoi(argv[3]) &&
			 (!strcmp(argv[4], "dyn") ||
			  minor(st.st_rdev) == (unsigned int)atoi(argv[4])),
			 name, "stat rc=%d, dev %u:%u", rc,
			 rc ? 0 : major(st.st_rdev), rc ? 0 : minor(st.st_rdev));
	} else if (!strcmp(argv[1], "absent")) {
		rc = stat(argv[2], &st);
		KT_ERRNO(rc, ENOENT, name);
	} else {
		kt_check(false, "modctl/usage", "unknown command %s", argv[1]);
	}
	return kt_exit_code();
}
