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
deps deps-test:
	@common/deps.sh build test node slides

tour: deps-build build tests/tcpc
	@common/tour.sh $(LESSONS)

# tests/fuzz: tests/fuzz.bats replays the saved fuzz inputs through them.
test: deps-test build tests/tcpc tests/fuzz
	@tests/run

# The same suite against binaries built with AddressSanitizer and UBSan: any
# memory error or undefined behaviour kills the server and fails its test.
check:
	@$(MAKE) --no-print-directory SANITIZE=1 test

clean: clean-fuzz
	@for d in $(LESSONS) tests slides bench; do $(MAKE) --no-print-directory -C $$d clean; done

# ---- Added by later work; each lives in its own folder. -------------------
bench:: ; @$(MAKE) --no-print-directory -C bench  # benchmarks and plots, takes minutes; "::" runs it although bench/ exists


# Slides (slides/README.md): Marp decks as self-contained HTML in slides/build/,
# PDFs where Chromium is installed, and each lesson's diff against the last.
.PHONY: slides slides-pdf deps-slides diff
deps-slides:
	@common/deps.sh slides
slides: deps-slides
	@$(MAKE) --no-print-directory -C slides
slides-pdf: deps-slides
	@$(MAKE) --no-print-directory -C slides pdf
# make diff L=02: what lesson 02 changed against lesson 01 (server sources);
# FROM=NN compares with another lesson (make diff L=04 FROM=02).
diff:
	@slides/tools/lesson-diff.sh $(L) $(FROM)

# Hardening: fuzzing, memcheck, static analysis (tests/fuzz/, tests/valgrind.sh,
# tests/lint/; the hostile-client suite is tests/hostile.bats, run by make test).
#   make fuzz        each fuzz target under libFuzzer for FUZZ_SECONDS (default 60)
#   make valgrind    each lesson's server under valgrind memcheck, scripted session
#   make lint        cppcheck, clang-tidy (.clang-tidy) and shellcheck, all clean
.PHONY: deps-hardening fuzz valgrind lint tests/fuzz clean-fuzz
deps-hardening:
	@common/deps.sh build test hardening
tests/fuzz:
	@$(MAKE) --no-print-directory -C tests/fuzz
fuzz: deps-hardening tests/fuzz
	@$(MAKE) --no-print-directory -C tests/fuzz fuzz
valgrind: deps-hardening build tests/tcpc
	@tests/valgrind.sh $(LESSONS)
lint: deps-hardening
	@tests/lint/lint.sh
clean-fuzz:
	@$(MAKE) --no-print-directory -C tests/fuzz clean-fuzz

# Work through it yourself (README.md): a workspace per lesson in work/,
# graded by the lesson's own tests (tests/grade/), solutions as patches.
.PHONY: start grade solve
## make start L=NN: work/NN-name/ = the previous lesson's code, to turn into lesson NN
start:
	@tests/grade/start.sh "$(L)"
## make grade L=NN [DIR=folder] [EXERCISE=k]: build a workspace, run lesson NN's tests on it
grade:
	@tests/grade/grade.sh "$(L)" "$(DIR)" "$(EXERCISE)"
## make solve L=NN EXERCISE=k [DIR=folder]: apply that exercise's worked solution to a workspace
solve:
	@tests/grade/solve.sh "$(L)" "$(EXERCISE)" "$(DIR)"
