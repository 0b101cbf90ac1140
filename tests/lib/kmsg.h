/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-log helpers for tests: read the whole ring buffer, find text. */
#ifndef RVKVM_KMSG_H
#define RVKVM_KMSG_H

#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#define KT_SYSLOG_READ_ALL	3
#define KT_SYSLOG_SIZE_BUFFER	10

/* Returns a malloc'd copy of the kernel log, or NULL. */
static inline char *kt_kmsg_read(void)
{
	int size = klogctl(KT_SYSLOG_SIZE_BUFFER, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = klogctl(KT_SYSLOG_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* How often text occurs in the kernel log (-1 if it cannot be read). */
static inline int kt_kmsg_count(const char *text)
{
	char *log = kt_kmsg_read(), *p;
	int n = 0;

	if (!log)
		return -1;
	for (p = log; (p = strstr(p, text)); p += strlen(text))
		n++;
	free(log);
	return n;
}

#endif
