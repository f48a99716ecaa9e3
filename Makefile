# Network servers in C, poll() by hand.
#
# `make help` lists the targets. It is generated from "## " comments: a
# target is listed when its rule line ends with "## what it does", or when a
# "## what it does" line stands right above the rule. Give a new target one
# and it appears in `make help`.
#
# Passed down to every lesson: CC=clang, SANITIZE=1, WERROR=1 (see common/build.mk).

LESSONS := $(patsubst %/Makefile,%,$(sort $(wildcard lessons/*/Makefile)))
export CC SANITIZE WERROR

.PHONY: all help build deps deps-build deps-test tour test check clean distclean $(LESSONS) tests/tcpc

all: deps-build build ## build every lesson (make -C lessons/01-echo builds one)

help: ## this list
	@awk '/^## / { doc = substr($$0, 4); next } \
	      /^[a-zA-Z0-9_.\/-]+( [a-zA-Z0-9_.\/-]+)*:/ { t = $$0; sub(/[ :].*/, "", t); d = doc; \
	          if (match($$0, / ## /)) d = substr($$0, RSTART + 4); \
	          if (d != "" && !seen[t]++) printf "  make %-12s %s\n", t, d } \
	      { doc = "" }' $(MAKEFILE_LIST)
	@echo "  Passed down: CC=clang, SANITIZE=1, WERROR=1 (common/build.mk)"

build: $(LESSONS)
$(LESSONS):
	@$(MAKE) --no-print-directory -C $@

tests/tcpc:
	@$(MAKE) --no-print-directory -C tests

deps-build:
	@common/deps.sh build
deps deps-test: ## install what is missing (says what it installs)
	@common/deps.sh build test node slides

tour: deps-build build tests/tcpc ## build every lesson and watch each one work (quick start 1)
	@common/tour.sh $(LESSONS)

# tests/fuzz: tests/fuzz.bats replays the saved fuzz inputs through them.
test: deps-test build tests/tcpc tests/fuzz ## build, then run the whole test suite (quick start 2)
	@tests/run $(TESTS)

# The same suite against binaries built with AddressSanitizer and UBSan: any
# memory error or undefined behaviour kills the server and fails its test.
# The slides' and docs' checks run no C of their own: make test runs them once;
# tests/rehearse.bats types workspaces of the lessons the suite tests already;
# tests/grade.bats tests the grader's shell, and tests/bench-smoke.bats the
# benchmark's tools: make test runs both once, on the plain build.
CHECK_TESTS = $(filter-out tests/slides.bats tests/docs.bats tests/rehearse.bats tests/grade.bats tests/bench-smoke.bats,$(sort $(wildcard tests/*.bats)))
# detect_leaks=0: LeakSanitizer's check at exit hung a 05 server that had
# logged "drained ... exiting" past the tests' 30 s wait, 4 times in one CI
# run (not reproduced alone); leaks are make valgrind's job.
check: ## the tests that run C again, on an AddressSanitizer + UBSan build
	@ASAN_OPTIONS=detect_leaks=0 $(MAKE) --no-print-directory SANITIZE=1 test TESTS="$(CHECK_TESTS)"

# clean leaves the tree as a fresh clone (git status --ignored shows only
# node_modules/, which `make deps` installed; distclean removes that too).
clean: clean-fuzz ## remove everything built: git status --ignored shows only node_modules/
	@for d in $(LESSONS) tests tests/fuzz bench slides; do $(MAKE) --no-print-directory -C $$d clean; done
distclean: clean ## clean, and remove node_modules/ (make deps installs it again)
	rm -rf node_modules

# ---- Added by later work; each lives in its own folder. -------------------
bench:: ; @$(MAKE) --no-print-directory -C bench  ## benchmarks and plots, takes minutes ("::": runs although bench/ exists)


# Slides (slides/README.md): Marp decks as self-contained HTML in slides/build/,
# PDFs where Chromium is installed, and each lesson's diff against the last.
.PHONY: slides slides-pdf deps-slides diff
deps-slides:
	@common/deps.sh slides
slides: deps-slides ## one self-contained HTML deck per lesson in slides/build/
	@$(MAKE) --no-print-directory -C slides
slides-pdf: deps-slides ## the decks as PDFs too, where Chromium is installed
	@$(MAKE) --no-print-directory -C slides pdf
# make diff L=02: what lesson 02 changed against lesson 01 (server sources);
# FROM=NN compares with another lesson (make diff L=04 FROM=02).
## what lesson L changed (make diff L=02; FROM=NN for another base)
diff:
	@slides/tools/lesson-diff.sh $(L) $(FROM)

# Hardening: fuzzing, memcheck, static analysis (tests/fuzz/, tests/valgrind.sh,
# tests/lint/; the hostile-client suite is tests/hostile.bats, run by make test).
#   make fuzz        each fuzz target under libFuzzer for FUZZ_SECONDS (default 60)
#   make valgrind    each lesson's server under valgrind memcheck, scripted session
#   make lint        cppcheck, clang-tidy (.clang-tidy) and shellcheck, all clean
.PHONY: deps-hardening fuzz valgrind lint tests/fuzz clean-fuzz
# macOS: Apple's clang has no libFuzzer, and Homebrew's llvm is keg-only (not
# on PATH), so name its clang (common/deps.sh hardening installs it).
BREW_LLVM := $(if $(filter Darwin,$(shell uname -s)),$(shell brew --prefix llvm 2>/dev/null))
ifneq ($(BREW_LLVM),)
export FUZZ_CC ?= $(BREW_LLVM)/bin/clang
endif
deps-hardening:
	@common/deps.sh build test hardening
tests/fuzz:
	@$(MAKE) --no-print-directory -C tests/fuzz
fuzz: deps-hardening tests/fuzz ## each fuzz target under libFuzzer for FUZZ_SECONDS (60)
	@$(MAKE) --no-print-directory -C tests/fuzz fuzz
valgrind: deps-hardening build tests/tcpc ## each server under valgrind memcheck, scripted session
	@tests/valgrind.sh $(LESSONS)
lint: deps-hardening ## cppcheck, clang-tidy and shellcheck, all clean
	@tests/lint/lint.sh
clean-fuzz:
	@$(MAKE) --no-print-directory -C tests/fuzz clean-fuzz

# Work through it yourself (README.md): a workspace per lesson in work/,
# graded by the lesson's own tests (tests/grade/), solutions as patches.
.PHONY: start grade solve
## make start L=NN [DIR=folder] [FROM=folder]: work/NN-name/ = the previous lesson's code (FROM: yours), to turn into lesson NN
start:
	@tests/grade/start.sh "$(L)" "$(DIR)" "$(FROM)"
# SECTION: only the README sections whose heading matches the ERE (grep -E);
# FIRST_FAIL=1: section by section, stop after the first with a failure.
# ($(value ...): a "$" in the ERE reaches grade.sh as typed.)
## make grade L=NN [DIR=folder] [EXERCISE=k] [SECTION=ERE] [FIRST_FAIL=1]: build a workspace, run lesson NN's tests on it
grade: export GRADE_SECTION = $(value SECTION)
grade: export GRADE_FIRST_FAIL = $(value FIRST_FAIL)
grade:
	@tests/grade/grade.sh "$(L)" "$(DIR)" "$(EXERCISE)"
## make solve L=NN EXERCISE=k [DIR=folder]: apply that exercise's worked solution to a workspace
solve:
	@tests/grade/solve.sh "$(L)" "$(EXERCISE)" "$(DIR)"

# Live-coding that is proven (slides/README.md): each deck's typing order,
# slides/steps/NN-name/, replayed into a fresh `make start` workspace in a
# temporary folder, every checkpoint checked as the notes state it.
.PHONY: rehearse
## make rehearse [L=NN]: replay deck NN's typing order to a green grade (no L: every deck with steps)
rehearse:
	@slides/tools/rehearse.sh $(or $(L),all)
