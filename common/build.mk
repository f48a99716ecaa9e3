# common/build.mk — the one file that says how every program here is compiled.
#
# A lesson's Makefile names its programs and includes this file:
#     PROGRAMS = server
#     include ../../common/build.mk
# A program P is built from P.c, the files listed in P_SRCS, and common/*.c.
#
#   make                 optimised build with debug info
#   make SANITIZE=1      AddressSanitizer + UndefinedBehaviorSanitizer
#   make WERROR=1        warnings are errors (CI sets this)
#   make CC=clang        any C11 compiler; gcc and clang are both tested

COMMON_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

# C11 plus POSIX.1-2008 and nothing else: the feature-test macro hides every
# Linux-only interface, so what compiles here also compiles on macOS.
CSTD      = -std=c11
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -I$(COMMON_DIR)
WARNINGS  = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wwrite-strings -Wvla -Wformat=2 -Wundef
OPTIMISE  = -O2 -g

ifeq ($(SANITIZE),1)
OPTIMISE  = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

CFLAGS += $(CSTD) $(OPTIMISE) $(WARNINGS)
COMMON_SRCS := $(wildcard $(COMMON_DIR)/*.c)

.PHONY: all clean FORCE
all: $(PROGRAMS)

# Each program is compiled in one command straight from its sources: no
# object files to go stale. .build-flags remembers the compiler and flags of
# the last build, so switching to SANITIZE=1 or CC=clang rebuilds everything.
.SECONDEXPANSION:
$(PROGRAMS): %: %.c $$($$*_SRCS) $(COMMON_SRCS) $(COMMON_DIR)/common.h $(wildcard *.h) .build-flags
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(LDFLAGS) $(LDLIBS)

BUILD_FLAGS := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
.build-flags: FORCE
	@echo '$(BUILD_FLAGS)' | cmp -s - $@ || echo '$(BUILD_FLAGS)' > $@

clean:
	rm -f $(PROGRAMS) .build-flags

# make grade, from any folder that builds with this file. In a lesson's or a
# workspace's folder (named NN-name, building a server) it grades that folder
# as lesson NN: cd work/02-line-framing && make grade. Elsewhere (tests/,
# bench/, tests/fuzz/) it grades as at the top: make grade L=02 [DIR=folder].
# SECTION=, FIRST_FAIL=1, EXERCISE= as at the top (tests/grade/grade.sh).
GRADE_TOP := $(abspath $(COMMON_DIR)/..)
.PHONY: grade
grade: export GRADE_SECTION = $(value SECTION)
grade: export GRADE_FIRST_FAIL = $(value FIRST_FAIL)
grade:
	@l='$(L)'; d='$(DIR)'; here=$$(basename "$$PWD"); \
	case $$here in [0-9][0-9]-*) if [ -n '$(filter server,$(PROGRAMS))' ]; then \
	    GRADE_AGAIN="make grade$(if $(L), L=$(L))$(if $(DIR), DIR=$(DIR))$(if $(EXERCISE), EXERCISE=$(EXERCISE))"; \
	    export GRADE_AGAIN; [ -n "$$l" ] || l=$${here%%-*}; [ -n "$$d" ] || d=$$PWD; fi ;; esac; \
	if [ -z "$$l" ]; then \
	    echo "grade: which lesson? Here: make grade L=NN (grades work/NN-name; DIR=folder another one)."; \
	    echo "       In a workspace, make grade grades it: cd $(GRADE_TOP)/work/02-line-framing && make grade"; \
	    exit 2; fi; \
	"$(GRADE_TOP)/tests/grade/grade.sh" "$$l" "$$d" '$(EXERCISE)'
