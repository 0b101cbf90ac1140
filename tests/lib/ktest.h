/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal test reporting for the in-VM tests. Every result is one line on
 * stdout, "rvtest: PASS|FAIL|SKIP <name>[: why]"; the PID-1 runner counts
 * them and the host side parses the serial log.
 */
#ifndef RVKVM_KTEST_H
#define RVKVM_KTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int kt_failed;

static inline void kt_vresult(const char *what, const char *name,
			      const char *fmt, va_list ap)
{
	printf("rvtest: %s %s", what, name);
	if (fmt && *fmt) {
		printf(": ");
		vprintf(fmt, ap);
	}
	printf("\n");
	fflush(stdout);
}

/* One assertion: PASS when ok, else FAIL with the formatted reason. */
static inline bool kt_check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kt_vresult(ok ? "PASS" : "FAIL", name, ok ? NULL : fmt, ap);
	va_end(ap);
	if (!ok)
		kt_failed++;
	return ok;
}

static inline void kt_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kt_vresult("SKIP", name, fmt, ap);
	va_end(ap);
}

/* Expect a call to fail with a given errno: rc must be -1 and errno e. */
#define KT_ERRNO(rc, e, name) \
	kt_check((rc) == -1 && errno == (e), name, \
		 "want errno %s, got rc=%ld errno=%s", strerrorname(e), \
		 (long)(rc), (rc) == -1 ? strerrorname(errno) : "none")

static inline const char *strerrorname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EIO: return "EIO";
	case EFAULT: return "EFAULT";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EINTR: return "EINTR";
	case ENOSPC: return "ENOSPC";
	case EBADF: return "EBADF";
	}
	return strerror(e);
}

static inline int kt_exit_code(void)
{
	return kt_failed ? 1 : 0;
}

#endif
