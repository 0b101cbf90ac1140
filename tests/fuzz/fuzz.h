/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the fuzzers and the stress test: a small seeded PRNG
 * (xorshift64*) and the seed's origin. The seed comes from --seed N, else
 * from "rvtest.seed=N" on the kernel command line (make fuzz SEED=n), else
 * from the clock; it is always printed so a run can be replayed.
 */
#ifndef RVKVM_FUZZ_H
#define RVKVM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t fz_state;

static inline uint64_t fz_next(void)
{
	fz_state ^= fz_state >> 12;
	fz_state ^= fz_state << 25;
	fz_state ^= fz_state >> 27;
	return fz_state * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t fz_below(uint64_t n)
{
	return fz_next() % n;
}

static inline int fz_chance(unsigned int percent)
{
	return fz_below(100) < percent;
}

static inline void fz_seed(uint64_t seed)
{
	fz_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* "rvtest.seed=N" from /proc/cmdline, or 0 when absent. */
static inline uint64_t fz_cmdline_seed(void)
{
	char buf[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");
	uint64_t seed = 0;

	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strstr(buf, "rvtest.seed=");
		if (p)
			seed = strtoull(p + strlen("rvtest.seed="), NULL, 0);
	}
	fclose(f);
	return seed;
}

/*
 * The run's seed: the --seed argument when given (arg may be NULL), else
 * the command line's, else the clock. Prints it as "<who>: seed N".
 */
static inline uint64_t fz_pick_seed(const char *who, const char *arg)
{
	struct timespec ts;
	uint64_t seed = arg ? strtoull(arg, NULL, 0) : fz_cmdline_seed();

	if (!seed) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ULL + ts.tv_nsec;
	}
	printf("%s: seed %llu (replay with SEED=%llu)\n", who,
	       (unsigned long long)seed, (unsigned long long)seed);
	fflush(stdout);
	fz_seed(seed);
	return seed;
}

#endif
