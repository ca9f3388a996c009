# Build and install the qcos C library, its header, the C++ wrapper and a
# pkg-config file.
#
#   make                       # release build: target/release/libqcos.{a,so}
#   make install PREFIX=/opt/qcos [DESTDIR=/staging]
#   make uninstall PREFIX=/opt/qcos
#
# Installs:
#   $(LIBDIR)/libqcos.a
#   $(LIBDIR)/libqcos.so.$(VERSION)   (SONAME $(SONAME))
#   $(LIBDIR)/$(SONAME) -> libqcos.so.$(VERSION), $(LIBDIR)/libqcos.so -> $(SONAME)
#   $(INCLUDEDIR)/qcos.h, $(INCLUDEDIR)/qcos.hpp
#   $(PKGCONFIGDIR)/qcos.pc
#
# The soname follows semver as cargo-c does: libqcos.so.MAJOR, or libqcos.so.0.MINOR
# while the major version is 0 (0.x minor releases may break the ABI; see abi/qcos.abi).
# It is given to the linker here (cargo rustc ... -C link-arg=-Wl,-soname,...), so
# plain `cargo build` outputs stay soname-less for the in-tree tests.

PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
CARGO        ?= cargo
PROFILE      ?= release
INSTALL      ?= install

CARGO_TARGET_DIR ?= target
PROFILE_DIR := $(if $(filter dev,$(PROFILE)),debug,$(PROFILE))
OUT         := $(CARGO_TARGET_DIR)/$(PROFILE_DIR)

VERSION := $(shell sed -n 's/^version = "\([^"]*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR   := $(word 1,$(subst ., ,$(VERSION)))
MINOR   := $(word 2,$(subst ., ,$(VERSION)))
SONAME  := $(if $(filter 0,$(MAJOR)),libqcos.so.0.$(MINOR),libqcos.so.$(MAJOR))

.PHONY: all build install uninstall print-soname

all: build

build:
	$(CARGO) rustc --lib -p qcos --profile $(PROFILE) --crate-type cdylib,staticlib \
		-- -C link-arg=-Wl,-soname,$(SONAME)

install: build
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(OUT)/libqcos.a $(DESTDIR)$(LIBDIR)/libqcos.a
	$(INSTALL) -m 755 $(OUT)/libqcos.so $(DESTDIR)$(LIBDIR)/libqcos.so.$(VERSION)
	ln -sf libqcos.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libqcos.so
	$(INSTALL) -m 644 include/qcos.h $(DESTDIR)$(INCLUDEDIR)/qcos.h
	$(INSTALL) -m 644 bindings/cpp/qcos.hpp $(DESTDIR)$(INCLUDEDIR)/qcos.hpp
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		qcos.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/qcos.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/qcos.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libqcos.a $(DESTDIR)$(LIBDIR)/libqcos.so \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libqcos.so.$(VERSION) \
		$(DESTDIR)$(INCLUDEDIR)/qcos.h $(DESTDIR)$(INCLUDEDIR)/qcos.hpp \
		$(DESTDIR)$(PKGCONFIGDIR)/qcos.pc

print-soname:
	@echo $(SONAME)
