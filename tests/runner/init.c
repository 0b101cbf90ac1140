// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the test host's initramfs. Mounts the pseudo filesystems, runs
 * the plan named by "rvtest.plan=NAME" on the kernel command line (the file
 * /plans/NAME, one command per line), echoes and counts the result lines of
 * every command, prints "rvtest: SUMMARY N passed, N failed, N skipped" and
 * powers the machine off.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS	32

static int passed, failed, skipped;
/* Per command; "rvtest.timeout=S" raises it for the long fuzz runs. */
static unsigned int cmd_timeout_s = 600;

static void result(const char *what, const char *name, const char *why)
{
	printf("rvtest: %s %s%s%s\n", what, name, why ? ": " : "",
	       why ? why : "");
	fflush(stdout);
}

static void count_line(const char *line)
{
	if (!strncmp(line, "rvtest: PASS ", 13))
		passed++;
	else if (!strncmp(line, "rvtest: FAIL ", 13))
		failed++;
	else if (!strncmp(line, "rvtest: SKIP ", 13))
		skipped++;
}

static void setup_mounts(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* Pseudo terminals, for ktrun's line-buffered selftest output. */
	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

/* The plan's name from the command line; also takes rvtest.timeout. */
static const char *plan_name(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cmdline", "r");
	char *p, *end;

	if (!f || !fgets(buf, len, f)) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	p = strstr(buf, "rvtest.timeout=");
	if (p && atoi(p + strlen("rvtest.timeout=")) > 0)
		cmd_timeout_s = atoi(p + strlen("rvtest.timeout="));
	p = strstr(buf, "rvtest.plan=");
	if (!p)
		return NULL;
	p += strlen("rvtest.plan=");
	end = p + strcspn(p, "\t\n ");
	*end = '\0';
	return p;
}

/* Split a plan line into argv, honouring "double quotes". */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *p = line;

	while (*p && argc < MAX_ARGS - 1) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			break;
		if (*p == '"') {
			argv[argc++] = ++p;
			p += strcspn(p, "\"");
		} else {
			argv[argc++] = p;
			p += strcspn(p, " \t\n");
		}
		if (*p)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

/* Run one command, echo and count its result lines, judge its exit. */
static void run_command(char **argv)
{
	int pipefd[2], status, fails_before = failed, lines = 0;
	char line[1024], name[256];
	FILE *out;
	pid_t pid;

	snprintf(name, sizeof(name), "run/%s", strrchr(argv[0], '/') ?
		 strrchr(argv[0], '/') + 1 : argv[0]);
	if (pipe(pipefd)) {
		failed++;
		result("FAIL", name, "pipe failed");
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		alarm(cmd_timeout_s);
		execv(argv[0], argv);
		printf("rvtest: FAIL %s: exec: %s\n", name, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		fputs(line, stdout);
		fflush(stdout);
		count_line(line);
		lines++;
	}
	if (out)
		fclose(out);
	waitpid(pid, &status, 0);

	if (WIFSIGNALED(status)) {
		snprintf(line, sizeof(line), "killed by signal %d%s",
			 WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
			 " (timeout)" : "");
		failed++;
		result("FAIL", name, line);
	} else if (WEXITSTATUS(status) && failed == fails_before) {
		snprintf(line, sizeof(line), "exit status %d without a FAIL line",
			 WEXITSTATUS(status));
		failed++;
		result("FAIL", name, line);
	} else if (!WEXITSTATUS(status) && failed != fails_before) {
		failed++;
		result("FAIL", name, "reported failures but exited 0");
	} else if (!lines) {
		failed++;
		result("FAIL", name, "printed no result");
	}
}

int main(void)
{
	char cmdline[4096], path[300], line[1024], *argv[MAX_ARGS];
	const char *plan;
	FILE *f;

	setup_mounts();
	setvbuf(stdout, NULL, _IOLBF, 0);
	plan = plan_name(cmdline, sizeof(cmdline));
	printf("rvtest: runner starts, plan %s\n", plan ? plan : "(none)");

	snprintf(path, sizeof(path), "/plans/%s", plan ? plan : "none");
	f = fopen(path, "r");
	if (!f) {
		failed++;
		result("FAIL", "runner/plan", "no such plan");
	}
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		printf("rvtest: + %s", line);
		if (split(line, argv) > 0)
			run_command(argv);
	}
	if (f)
		fclose(f);

	printf("rvtest: SUMMARY %d passed, %d failed, %d skipped\n",
	       passed, failed, skipped);
	printf("rvtest: DONE\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
