# Thin wrapper: set-up, build, run, test, bench. The build itself is CMake.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

.PHONY: all setup build run test asan bench fuzz clean browser-check selftest

all: build

setup:
	@./scripts/setup.sh

# scripts/build.sh configures when needed and builds quietly: nothing at all
# when the tree is up to date, a few lines otherwise, errors in full.
build: setup
	@JOBS=$(JOBS) ./scripts/build.sh $(BUILD) RelWithDebInfo $(CMAKE_FLAGS)

run: build
	@./$(BUILD)/sim/smmusim replay traces/examples/default.trace
	@echo
	@./$(BUILD)/sim/smmusim replay traces/examples/viommu_nested.trace
	@echo
	@./$(BUILD)/sim/smmusim replay traces/examples/seed000_vmid_alias.trace --html $(BUILD)/report.html
	@echo
	@echo "HTML report: $(BUILD)/report.html"

# Every test in the normal build, then every label again under ASan+UBSan (the
# C cores, the trace reader, smmusim itself, the preload library inside the
# programs it serves, malformed-trace corpus included), then
# Linux's own iommufd selftest under the preload library when Debian's
# linux-source-6.12 can be installed (a failing selftest fails make test).
test: build asan
	@cd $(BUILD) && ctest -j $(JOBS) --output-on-failure
	@cd $(ASAN_BUILD) && ctest -j $(JOBS) --output-on-failure -L 'smmuv3|traces|sim|shim|fuzz|kvm|scenarios|latency|ats|embed|scale|preload'
	@./scripts/selftest.sh $(BUILD) --gate > $(BUILD)/selftest.txt; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "selftest: skipped (linux-source-6.12 not installable)"; \
	  else head -1 $(BUILD)/selftest.txt; grep '^FAIL' $(BUILD)/selftest.txt || true; \
	  [ $$rc = 0 ] || { echo "selftest: failed (status $$rc; $(BUILD)/selftest.txt)"; exit 1; }; fi

# Opt-in: the kernel's iommufd selftest alone, with every skip and failure listed.
selftest: build
	@./scripts/selftest.sh $(BUILD)

asan: setup
	@JOBS=$(JOBS) ./scripts/build.sh $(ASAN_BUILD) Debug -DSMMUSIM_SANITIZE=ON $(CMAKE_FLAGS)

# Benchmarks build in their own optimised tree and write $(BUILD)/bench/results.json.
BENCH_BUILD ?= build-bench
bench:
	@./scripts/setup.sh --bench
	@JOBS=$(JOBS) ./scripts/build.sh $(BENCH_BUILD) Release -DSMMUSIM_BENCH=ON $(CMAKE_FLAGS) -- \
	  smmuv3_bench sim_bench trace_bench shim_bench oracle_bench dmaapi_bench preload_bench \
	  ats_bench sweep_bench scale_bench smmusim
	@./bench/run.sh $(BENCH_BUILD)
	@mkdir -p $(BUILD)/bench
	@cp $(BENCH_BUILD)/bench/results.json $(BUILD)/bench/results.json
	@echo "bench: wrote $(BUILD)/bench/results.json"

# Opt-in: libFuzzer targets for FUZZ_SECONDS each (default 60); exits
# non-zero on a crash and keeps the minimised reproducer under tests/fuzz/repro.
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh $(FUZZ_TARGETS)

# Opt-in: render a scenario's HTML report in headless Chromium (Debian
# package, installed by setup.sh --browser) and check it shows the charts.
browser-check: build
	@./scripts/setup.sh --browser
	@./scripts/browser_check.sh $(BUILD)

# Opt-in: a sweep through a real one-node Slurm (Debian slurm-wlm and munge,
# installed by setup.sh --slurm; daemons started in a temporary directory and
# stopped again); its table must equal a local -j 2 run of the same plan.
.PHONY: test-slurm soak
test-slurm: build
	@./scripts/setup.sh --slurm
	@./scripts/test_slurm.sh $(BUILD)

# Opt-in: SOAK_DMAS DMAs (default 10^9) piped from smmusim gen into
# smmusim replay -; reports the rate and the peak RSS.
SOAK_DMAS ?= 1000000000
soak: build
	@SOAK_DMAS=$(SOAK_DMAS) ./scripts/soak.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD) build-fuzz
