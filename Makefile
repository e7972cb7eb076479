# SPDX-License-Identifier: GPL-2.0
# make              build the module (against KDIR) and the reader
# make check        every test: host unit tests, then the test VM
# make check-debug  the guest suite and stress on debug kernels of both lines
# make demo         the blog post's experiments in the test VM
# make lint         checkpatch --strict and sparse on the module
# make install      the reader and its man page under PREFIX (/usr/local)
# make modules_install   the module into /lib/modules/KERNELRELEASE/extra
# make dkms-install / dkms-uninstall   the module through DKMS
# make deb          ephport-dkms and ephport packages under build/
# make bench        tracing cost in the test VM: tables, results/bench*.csv and .svg
#                    (PART=tcg, icount, latency or profile: that part alone)
#                   (BASELINE=REV: also read through the module of git revision REV)
KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
DKMS_SRC := $(DESTDIR)/usr/src/ephport-$(VERSION)
# what DKMS needs to build the module
DKMS_FILES := Kbuild Makefile VERSION dkms.conf $(wildcard module/*.[ch])

.PHONY: all have-kdir module reader clean check check-debug demo lint install modules_install \
	dkms-source dkms-install dkms-uninstall deb bench

all: module reader

# Checked before anything is built or installed.
have-kdir:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) is not a kernel build tree: install linux-headers-$(KERNELRELEASE) or pass KDIR=" >&2; exit 2; }

module: have-kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

reader:
	$(MAKE) -C userspace

check:
	tests/run-all.sh

check-debug:
	tests/debug/run.sh 6.1 6.12

demo:
	tests/vm/vm.sh run demo

lint:
	tests/lint.sh

install: reader
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install

# The source tree DKMS builds from, with its version filled in.
dkms-source:
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	cp --parents $(DKMS_FILES) $(DKMS_SRC)/
	sed -i 's/#MODULE_VERSION#/$(VERSION)/' $(DKMS_SRC)/dkms.conf

# Idempotent: the source is refreshed, and added to DKMS only once.
dkms-install: have-kdir dkms-source
	dkms status -m ephport -v $(VERSION) | grep -q . || dkms add -m ephport -v $(VERSION)
	dkms build -m ephport -v $(VERSION) -k $(KERNELRELEASE)
	dkms install -m ephport -v $(VERSION) -k $(KERNELRELEASE)

dkms-uninstall:
	-dkms remove -m ephport -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

deb:
	tests/dkms/make-deb.sh

bench:
	BASELINE="$(BASELINE)" PART="$(PART)" tests/bench/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace clean
	-$(MAKE) -C tests/host clean
