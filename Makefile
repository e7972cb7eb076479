# SPDX-License-Identifier: GPL-2.0
# make            build the module and the reader
# make check      every test: host unit tests, then the test VM
# make demo       the blog post's experiment in the test VM
KDIR ?= /lib/modules/$(shell uname -r)/build

.PHONY: all module reader clean check demo lint

all: module reader

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

reader:
	$(MAKE) -C userspace

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
