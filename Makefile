# SPDX-License-Identifier: GPL-2.0
# Out-of-tree build of rvkvm.ko:
#   make KDIR=<kernel build dir> ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
# KDIR defaults to the running kernel's build directory.

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(shell pwd)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	rm -rf generated

# The long fuzz and stress run on the debug host kernel (SEED=n replays).
fuzz:
	./tests/fuzz/run.sh

# Benchmarks against the in-tree kvm.ko in QEMU (table on stdout).
bench:
	./tests/bench/run.sh

.PHONY: all modules clean fuzz bench
