# SPDX-License-Identifier: GPL-2.0
# make              build the module (against KDIR) and the reader
# make check        every test: host unit tests, then the test VM
# make demo         the blog post's experiments in the test VM
# make lint         checkpatch --strict and sparse on the module
KDIR ?= /lib/modules/$(shell uname -r)/build
VERSION := $(shell cat VERSION)

.PHONY: all module reader clean check demo lint

all: module reader

module:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) is not a kernel build tree: install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 2; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

reader:
	$(MAKE) -C userspace

check:
	tests/run-all.sh

demo:
	tests/vm/vm.sh run demo

lint:
	tests/lint.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	$(MAKE) -C tests/host clean
