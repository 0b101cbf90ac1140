// SPDX-License-Identifier: GPL-2.0
/*
 * ktrun NAME TIMEOUT_S BINARY [ARGS...]
 *
 * Runs one kernel selftest for a test plan and turns it into exactly one
 * result line for the runner: "rvtest: PASS selftest/NAME", "rvtest: SKIP
 * selftest/NAME: <reason>" (exit 4, KSFT_SKIP) or "rvtest: FAIL
 * selftest/NAME: <what>, <last output line>". The test's output is echoed
 * with a "  | " prefix as it comes, so none of it can pass for a result line.
 * It runs in its own process group on a pseudo terminal when one can be had
 * (stdio then flushes by line, so a test killed at the timeout still shows
 * how far it got), else on a pipe. Exits 0 on PASS or SKIP, 1 on FAIL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PREFIX		"  | "
#define LINE_LEN	512
#define KSFT_SKIP	4
#define POLL_MS		100
#define REAP_S		10

struct output {
	char cur[LINE_LEN];	/* line being assembled */
	size_t len;
	char last[LINE_LEN];	/* last non-blank line */
	char skip[LINE_LEN];	/* last line that gave a reason to skip */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void copy_line(char *dst, const char *src)
{
	snprintf(dst, LINE_LEN, "%s", src);
}

/* Selftests say why they skip as "..., skipping test" or "# SKIP ...". */
static void note_skip(struct output *o, const char *line)
{
	const char *p = strstr(line, "# SKIP ");
	char *end;

	if (p) {
		/* kselftest's "1..0 # SKIP - Requirement not met: ..." */
		p += strlen("# SKIP ");
		p += strspn(p, "- ");
		copy_line(o->skip, p);
		return;
	}
	if (!strstr(line, "skipping test") && !strstr(line, "SKIP"))
		return;
	copy_line(o->skip, line);
	end = strstr(o->skip, ", skipping test");
	if (end)
		*end = '\0';
}

static void end_line(struct output *o)
{
	char *line = o->cur;

	o->cur[o->len] = '\0';
	while (o->len && (line[o->len - 1] == '\r' || line[o->len - 1] == ' '))
		line[--o->len] = '\0';
	printf(PREFIX "%s\n", line);
	fflush(stdout);
	if (line[strspn(line, " \t")]) {
		copy_line(o->last, line + strspn(line, " \t"));
		note_skip(o, o->last);
	}
	o->len = 0;
}

static void feed(struct output *o, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			end_line(o);
			continue;
		}
		o->cur[o->len++] = buf[i];
		if (o->len == LINE_LEN - 1)
			end_line(o);
	}
}

/* Read what is there; returns 0 at end of output (EOF, or EIO on a pty). */
static int drain(int fd, struct output *o)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			feed(o, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		return 0;
	}
}

/* A pty gives the child line-buffered stdio; fall back to a pipe. */
static int open_output(int *rd, int *wr)
{
	struct termios t;
	int fds[2], m, s;

	m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m >= 0 && !unlockpt(m)) {
		s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (s >= 0) {
			/* No echo, no "\r\n" for "\n". */
			if (!tcgetattr(s, &t)) {
				cfmakeraw(&t);
				tcsetattr(s, TCSANOW, &t);
			}
			*rd = m;
			*wr = s;
			return 0;
		}
	}
	if (m >= 0)
		close(m);
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	*rd = fds[0];
	*wr = fds[1];
	return 0;
}

static pid_t start(char **argv, int wr)
{
	pid_t pid = fork();
	int null;

	if (pid)
		return pid;
	setpgid(0, 0);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(wr, 1);
	dup2(wr, 2);
	execv(argv[0], argv);
	printf("exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Wait up to REAP_S for a killed child; a test stuck in the kernel may not die. */
static int reap(pid_t pid, int *status)
{
	double end = now() + REAP_S;

	while (now() < end) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		usleep(POLL_MS * 1000);
	}
	return -1;
}

static int report(const char *name, const char *what, const char *why,
		  const char *last)
{
	printf("rvtest: %s selftest/%s", what, name);
	if (why)
		printf(": %s%s%s", why, last && *last ? ", " : "",
		       last ? last : "");
	printf("\n");
	fflush(stdout);
	return strcmp(what, "FAIL") ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct output o = { .len = 0 };
	int rd, wr, status = 0, open_out = 1, timed_out = 0;
	double t0, deadline;
	struct pollfd pfd;
	const char *name;
	char why[128];
	long timeout;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: ktrun NAME TIMEOUT_S BINARY [ARGS...]\n");
		return 2;
	}
	name = argv[1];
	timeout = strtol(argv[2], NULL, 10);
	if (timeout <= 0)
		return report(name, "FAIL", "bad timeout", argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (open_output(&rd, &wr))
		return report(name, "FAIL", "no pty or pipe", strerror(errno));

	t0 = now();
	deadline = t0 + timeout;
	pid = start(argv + 3, wr);
	if (pid < 0)
		return report(name, "FAIL", "fork", strerror(errno));
	close(wr);
	fcntl(rd, F_SETFL, O_NONBLOCK);
	pfd.fd = rd;
	pfd.events = POLLIN;

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (now() >= deadline) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			if (reap(pid, &status)) {
				drain(rd, &o);
				return report(name, "FAIL",
					      "timeout, and the test would not die",
					      o.last);
			}
			break;
		}
		if (open_out) {
			if (poll(&pfd, 1, POLL_MS) > 0)
				open_out = drain(rd, &o);
		} else {
			usleep(POLL_MS * 1000);
		}
	}
	/* What the test wrote before it ended; stragglers in its group go. */
	drain(rd, &o);
	kill(-pid, SIGKILL);
	if (o.len)
		end_line(&o);
	close(rd);
	printf("ktrun: selftest/%s took %.2f s\n", name, now() - t0);

	if (timed_out) {
		snprintf(why, sizeof(why), "timeout after %ld s", timeout);
		return report(name, "FAIL", why, o.last);
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		return report(name, "FAIL", why, o.last);
	}
	if (WEXITSTATUS(status) == 0)
		return report(name, "PASS", NULL, NULL);
	if (WEXITSTATUS(status) == KSFT_SKIP)
		return report(name, "SKIP", o.skip[0] ? o.skip :
			      o.last[0] ? o.last : "exit 4 (KSFT_SKIP)", NULL);
	snprintf(why, sizeof(why), "exit %d", WEXITSTATUS(status));
	return report(name, "FAIL", why, o.last);
}
