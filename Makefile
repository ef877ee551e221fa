# SPDX-License-Identifier: MIT
# shopq -- one Makefile: programs into build/bin, test builds (crash points on)
# into build/test-bin, unit and integration tests, demo, sanitizers, install.

PKGS      := librabbitmq libpq hiredis jansson libcurl libconfig libsystemd libmicrohttpd libcrypto
CC        ?= cc
OPT       ?= -O2 -g
WARN      := -Wall -Wextra -Werror
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) $(PKG_CFLAGS) -Ishared -Ibuild/gen $(EXTRA_CFLAGS)
# --as-needed: a daemon loads only the libraries it calls (less memory mapped)
LDLIBS_ALL = -Wl,--as-needed $(PKG_LIBS) -lm -lpthread $(EXTRA_LDFLAGS)
PREFIX    ?= /usr/local
DESTDIR   ?=
B         := build
Q         := $(if $(V),,@)

SHARED_SRC := $(wildcard shared/*.c)
DAEMONS    := orders inventory payments notify scheduler paysim
PROGRAMS   := $(foreach d,$(DAEMONS),$(if $(wildcard daemons/$(d)/main.c),shopq-$(d))) shopqctl
JOBS_SRC   := $(wildcard jobs/*.c)
MIGRATIONS := $(sort $(wildcard shared/migrations/*.sql))
SAMPLES    := $(sort $(wildcard shared/sample/*.sql))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))

.PHONY: all deps test unit integration demo check-asan clean install uninstall devenv-up fuzz check-valgrind chaos
all: $(addprefix $(B)/bin/,$(PROGRAMS)) $(B)/test-bin/shopq-testd $(B)/test-bin/sq-testclient $(B)/test-bin/sq-rssfloor $(B)/test-bin/sq-pgplan \
     $(addprefix $(B)/test-bin/,$(PROGRAMS))

# ---- objects: normal (build/obj) and test-hook (build/tobj) flavours
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@
$(B)/tobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC(T)   $<")
	$(Q)$(CC) $(CFLAGS_ALL) -DSQ_TEST_HOOKS -MMD -MP -c $< -o $@

# the SQL the binaries carry (migrations and sample data), generated as C strings
$(B)/gen/sq_sql_files.c: $(MIGRATIONS) $(SAMPLES) scripts/embed-sql
	@mkdir -p $(dir $@)
	$(Q)scripts/embed-sql $(MIGRATIONS) $(SAMPLES) > $@.tmp && mv $@.tmp $@
$(B)/obj/gen/sq_sql_files.o: $(B)/gen/sq_sql_files.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

LIB_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(SHARED_SRC) $(JOBS_SRC)) $(B)/obj/gen/sq_sql_files.o
TLIB_OBJ := $(patsubst %.c,$(B)/tobj/%.o,$(SHARED_SRC) $(JOBS_SRC)) $(B)/obj/gen/sq_sql_files.o

$(B)/libshopq.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/libshopq-test.a: $(TLIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
# the daemons' handler objects (all but main.o), for unit tests of pure logic
DAEMON_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(filter-out %/main.c,$(wildcard $(addsuffix /*.c,$(addprefix daemons/,$(DAEMONS))))))
$(B)/libdaemons.a: $(DAEMON_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^ $(if $(DAEMON_OBJ),,&& ar rcs $@)

define program
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(2)/*.c)) $(B)/libshopq.a
	@mkdir -p $$(dir $$@)
	$$(if $$(Q),@echo "  LD      $$@")
	$$(Q)$$(CC) $$(OPT) $$(EXTRA_CFLAGS) -o $$@ $$^ $$(LDLIBS_ALL)
$(B)/test-bin/$(1): $(patsubst %.c,$(B)/tobj/%.o,$(wildcard $(2)/*.c)) $(B)/libshopq-test.a
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(OPT) $$(EXTRA_CFLAGS) -o $$@ $$^ $$(LDLIBS_ALL)
endef
$(foreach d,$(DAEMONS),$(eval $(call program,shopq-$(d),daemons/$(d))))
$(eval $(call program,shopqctl,daemons/shopqctl))
$(eval $(call program,shopq-testd,tests/testd))
$(eval $(call program,sq-testclient,tests/testclient))
$(eval $(call program,sq-rssfloor,tests/rssfloor))
$(eval $(call program,sq-pgplan,tests/pgplan))

# ---- unit tests (cmocka): each links the library, never a server
$(B)/unit/%: tests/unit/%.c $(B)/libdaemons.a $(B)/libshopq.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Idaemons -o $@ $< $(B)/libdaemons.a $(B)/libshopq.a $(LDLIBS_ALL) $(shell pkg-config --libs cmocka)

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

# ---- fuzzing (clang libFuzzer + ASan/UBSan): `make fuzz FUZZ_SECONDS=600` by hand
FUZZ_SECONDS ?= 10
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ishared $(PKG_CFLAGS)
# target:the sources it instruments (built with clang); the rest of what it
# calls comes uninstrumented from the libraries
FUZZ_TARGETS := envelope:shared/sq_envelope.c:shared/sq_uuid.c webhook:shared/sq_webhook.c \
                form:shared/sq_form.c:shared/sq_buf.c cron:shared/sq_cron.c \
                messages:shared/sq_envelope.c:shared/sq_uuid.c:daemons/orders/schema.c:daemons/inventory/schema.c:daemons/notify/entry.c:daemons/notify/templates.c \
                provider:daemons/payments/provider.c:daemons/payments/event.c:shared/sq_http.c
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(SHARED_SRC) $(B)/libdaemons.a $(B)/libshopq.a
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -Idaemons -o $@ $< $(subst :, ,$(patsubst $*:%,%,$(filter $*:%,$(FUZZ_TARGETS)))) \
	  $(B)/libdaemons.a $(B)/libshopq.a $(LDLIBS_ALL)
fuzz: $(foreach t,$(FUZZ_TARGETS),$(B)/fuzz/fuzz_$(firstword $(subst :, ,$(t))))
	@for t in $^; do n=$${t##*/fuzz_}; mkdir -p $(B)/fuzz/corpus-$$n; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus-$$n tests/fuzz/corpus/$$n \
	    > $(B)/fuzz/$$n.log 2>&1 || { tail -n 40 $(B)/fuzz/$$n.log; echo "fuzz: $$n found a crash"; exit 1; }; \
	  tail -n 1 $(B)/fuzz/$$n.log; done

deps:
	@scripts/deps

devenv-up: all
	@scripts/devenv up
	@$(B)/bin/shopqctl --config .run/shopq.conf migrate
	@$(B)/bin/shopqctl --config .run/shopq.conf sample

integration: devenv-up
	@tests/integration/run

# faults injected under a stream of orders, then the invariants (shopqctl audit)
chaos: devenv-up
	@tests/chaos/run

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory chaos
	@$(MAKE) --no-print-directory check-valgrind
	@$(MAKE) --no-print-directory check-asan

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

# the integration tests whose daemons run under valgrind (memory errors and leaks fail them)
VALGRIND_TESTS ?= t_runtime_dedup t_runtime_collect_break t_runtime_ahead t_notify_batch t_runtime_malformed t_runtime_unrouted t_runtime_retry t_runtime_sigterm t_pay_cards t_pay_webhook_auth t_notify_event t_saga_happy t_saga_compensation
check-valgrind: devenv-up
	@SHOPQ_VALGRIND=1 tests/integration/run $(addprefix tests/integration/,$(addsuffix .sh,$(VALGRIND_TESTS)))

check-asan: deps
	@$(MAKE) --no-print-directory B=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

clean:
	rm -rf build

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/shopq $(DESTDIR)/lib/systemd/system
	install -m 755 $(addprefix $(B)/bin/,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 config/shopq.conf.example $(DESTDIR)/etc/shopq/shopq.conf.example
	for u in $(wildcard systemd/*); do \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' $$u > $(DESTDIR)/lib/systemd/system/$$(basename $$u) && \
	  chmod 644 $(DESTDIR)/lib/systemd/system/$$(basename $$u); done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGRAMS))
	rm -f $(DESTDIR)/etc/shopq/shopq.conf.example
	rm -f $(addprefix $(DESTDIR)/lib/systemd/system/,$(notdir $(wildcard systemd/*)))

-include $(shell find $(B) -name '*.d' 2>/dev/null)
