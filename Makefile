# govflow: the two commands a newcomer needs are `make demo` and `make test`.
# Everything else here is for developers.

PRESET ?= debug
JOBS ?= $(shell nproc)
BUILD_DIR := build/$(PRESET)
FUZZ_SECONDS ?= 30

.PHONY: setup configure build web test test-fast e2e fuzz bench demo format clean

setup:
	@bash scripts/bootstrap

configure: setup
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The console (web/, TypeScript + Vite) into web/dist, which govflow serves.
web: setup
	@cd web && npm run --silent build

# Unit, conformance and integration tests, a short fixed-time fuzz run, then the console's
# browser tests.
test: build web
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory e2e

# The console in headless Chromium (tests/e2e; screenshots in build/e2e-artifacts/).
e2e:
	@cd tests/e2e && GOVFLOW_BIN=$(abspath $(BUILD_DIR))/src/cli/govflow \
	  GOVFLOW_E2E_ARTIFACTS=$(abspath build/e2e-artifacts) npm test --silent

# Only the tests labelled fast (seconds).
test-fast: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L fast

fuzz: setup
	@if [ ! -f fuzz/CMakeLists.txt ]; then echo "fuzz: no fuzz targets yet"; exit 0; fi; \
	cmake --preset fuzz >/dev/null && \
	cmake --build build/fuzz -j $(JOBS) --target expr_fuzz && \
	bash scripts/run-fuzz build/fuzz/fuzz/expr_fuzz $(FUZZ_SECONDS)

bench:
	@$(MAKE) --no-print-directory build PRESET=release
	@build/release/bench/expr/expr_bench

# The console (built by `web`) on embedded SQLite with a seeded partner, two tenants, users for
# every role, the ERP and storefront simulators (faults on), orders and price changes; prints the
# console URL, the users and their demo passwords, and what to try. Builds only what it runs.
demo: configure web
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target govflow govflow-sim
	@$(BUILD_DIR)/src/cli/govflow demo --data demo-data

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build
