# Network servers in C, poll() by hand.
#
#   make tour        build every lesson and watch each one work   (quick start 1)
#   make test        build, then run the whole test suite         (quick start 2)
#   make             build every lesson
#   make check       the test suite on an AddressSanitizer + UBSan build
#   make -C lessons/01-echo    build one lesson
#   make deps        install what is missing (says what it installs)
#
# Passed down to every lesson: CC=clang, SANITIZE=1, WERROR=1 (see common/build.mk).

LESSONS := $(patsubst %/Makefile,%,$(sort $(wildcard lessons/*/Makefile)))
export CC SANITIZE WERROR

.PHONY: all build deps deps-build deps-test tour test check clean $(LESSONS) tests/tcpc

all: deps-build build

build: $(LESSONS)
$(LESSONS):
	@$(MAKE) --no-print-directory -C $@

tests/tcpc:
	@$(MAKE) --no-print-directory -C tests

deps-build:
	@common/deps.sh build
deps-test:
	@common/deps.sh build test
deps:
	@common/deps.sh build test

tour: deps-build build tests/tcpc
	@common/tour.sh $(LESSONS)

test: deps-test build tests/tcpc
	@tests/run

# The same suite against binaries built with AddressSanitizer and UBSan: any
# memory error or undefined behaviour kills the server and fails its test.
check:
	@$(MAKE) --no-print-directory SANITIZE=1 test

clean:
	@for d in $(LESSONS) tests; do $(MAKE) --no-print-directory -C $$d clean; done

# ---- Added by later work; each lives in its own folder. -------------------
bench:: ; @$(MAKE) --no-print-directory -C bench  # benchmarks and plots, takes minutes; "::" runs it although bench/ exists

