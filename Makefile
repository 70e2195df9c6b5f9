# mv3-telemetry: the two commands of the README are `make demo` and `make test`.
# Each installs what a fresh machine lacks (scripts/ensure-tools.sh), and is
# fast when everything is already there.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# wasm-pack finds wasm-opt (npm `binaryen`) and wasm-bindgen on PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CHROMEDRIVER ?= /usr/bin/chromedriver
E2E_TESTS    ?= tests/e2e/*.test.mjs bench/peers/*.test.mjs

.PHONY: help tools test test-lint test-rust test-js test-fuzz test-wasm test-e2e package demo bench bench-scrub-peers fuzz clean

help:
	@echo "make demo     run the example extension against the mock collector"
	@echo "make test     all tests: cargo, wasm (service worker), package, end-to-end"
	@echo "make package  build the npm package into pkg/"
	@echo "make bench    benchmarks"
	@echo "make fuzz     fuzz the scrubber (10 minutes)"

tools:
	@scripts/ensure-tools.sh

test: tools
	@for step in test-lint test-rust test-js test-fuzz test-wasm package test-e2e; do \
	  t0=$$(date +%s); \
	  $(MAKE) --no-print-directory $$step; \
	  echo "[make test] $$step: ok in $$(( $$(date +%s) - t0 )) s"; \
	done

# Formatting, clippy (host and wasm32, warnings are errors; missing docs warn
# in src/lib.rs, so they fail here too).
test-lint:
	cargo fmt --all --check
	cargo clippy --all-targets --workspace -- -D warnings
	cargo clippy --lib --tests --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test --workspace

# The JS layer against a fake core (no wasm, no browser).
test-js:
	node --test tests/js/*.test.mjs

# Each fuzz target (scrubber, stack parser) for a bounded time; `make fuzz` runs longer.
FUZZ_SECONDS ?= 30
test-fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# wasm-bindgen tests in headless Chromium (tests/wasm_*.rs; see webdriver.json).
# The runner's default 20 s timeout is too tight on a loaded 2-core machine.
test-wasm:
	@if ls tests/wasm_*.rs >/dev/null 2>&1; then \
	  WASM_BINDGEN_TEST_TIMEOUT=$${WASM_BINDGEN_TEST_TIMEOUT:-120} wasm-pack test --headless --chrome --chromedriver $(CHROMEDRIVER) -- --test 'wasm_*'; \
	else \
	  echo "test-wasm: no tests/wasm_*.rs yet; skipped"; \
	fi

# End-to-end: Chromium + the example extension + the mock collector.
test-e2e:
	cargo build -q -p mock-server
	E2E_MOCK_BUILT=1 node --test --test-concurrency=1 $(E2E_TESTS)

package:
	@ENSURE_TOOLS_SKIP_BROWSER=1 scripts/ensure-tools.sh
	scripts/package.sh

demo: tools
	@$(MAKE) --no-print-directory package
	cargo build -q -p mock-server
	E2E_MOCK_BUILT=1 node tests/e2e/demo.mjs

# Benchmarks print figures; they never fail on time.
bench: tools
	@if [ -f benches/scrub.rs ] || grep -qs '^name *= *"scrub"' Cargo.toml; then \
	  cargo bench --bench scrub; \
	else \
	  echo "bench: no cargo bench 'scrub' yet; skipped"; \
	fi
	@# The record path's native cost (track with 10 props), with the wasm's
	@# size-tuned profile.
	cargo bench --bench record
	@# The core's peak heap over 10,000 events with the collector down: the
	@# host's view of the wasm memory figure of bench/lean.mjs.
	cargo bench --bench memory
	@$(MAKE) --no-print-directory bench-scrub-peers
	@# The same scrub bench in a Chromium service worker (tests/bench_scrub_sw.rs;
	@# `make test` runs only tests/wasm_*.rs). `--nocapture`: wasm-bindgen-test
	@# shows console output of passing tests only with it; the default 20 s
	@# test timeout is raised for slow machines.
	@if [ -f tests/bench_scrub_sw.rs ]; then \
	  echo "== scrub bench in a Chromium service worker"; \
	  WASM_BINDGEN_TEST_TIMEOUT=$${WASM_BINDGEN_TEST_TIMEOUT:-300} \
	    wasm-pack test --release --headless --chrome --chromedriver $(CHROMEDRIVER) -- --test bench_scrub_sw -- --nocapture; \
	fi
	@scripts=$$(ls bench/*.mjs tests/e2e/bench.mjs 2>/dev/null | grep -v -e "/lib.mjs$$" -e "/lean.mjs$$" || true); \
	if [ -n "$$scripts" ]; then \
	  $(MAKE) --no-print-directory package; \
	  cargo build -q -p mock-server; \
	  for f in $$scripts; do echo "== node $$f"; E2E_MOCK_BUILT=1 node $$f; done; \
	else \
	  echo "bench: no bench/*.mjs yet; skipped"; \
	fi
	@# Issue 11's figures ("Lean core"), each beside its floor or budget, in one
	@# Chromium run; also builds the plain stable wasm (target/lean-stable-build)
	@# to print its size beside the package's. Writes its own section of
	@# bench/RESULTS.md (LEAN_SKIP_STABLE=1 skips the stable build).
	@$(MAKE) --no-print-directory package
	@cargo build -q -p mock-server
	@echo "== node bench/lean.mjs"; E2E_MOCK_BUILT=1 node bench/lean.mjs
	@# Issue 14's size figure: what the Sentry, OTLP and PostHog encoders add
	@# to the gzipped wasm (two package builds, with and without them).
	@echo "== scripts/dest-size.sh"; scripts/dest-size.sh
	@# Issue 13's kill bench: the 100-kill test at 1,000 kills (about 20 min);
	@# it prints lost and duplicated events, and a loss it finds fails it.
	@echo "== 1,000 worker kills over 10,000 events"; \
	  KILLS=1000 EVENTS=10000 E2E_MOCK_BUILT=1 node --test tests/e2e/worker-kills-100.test.mjs 2>&1 | grep -E '^# (seed|[0-9]+ kills)|^(not )?ok' || true

# Scrubber recall and false positives on the project's corpus beside Sentry
# Relay (`@common` rules) and detect-secrets, installed in a venv of their own.
SCRUB_VENV ?= target/scrub-venv
bench-scrub-peers:
	@echo "== scrub recall and false positives beside Sentry Relay and detect-secrets"
	@if [ ! -x $(SCRUB_VENV)/bin/python ] || ! cmp -s bench/requirements-scrub.txt $(SCRUB_VENV)/requirements.txt; then \
	  python3 -m venv $(SCRUB_VENV) && \
	  $(SCRUB_VENV)/bin/pip install -q -r bench/requirements-scrub.txt && \
	  cp bench/requirements-scrub.txt $(SCRUB_VENV)/requirements.txt; \
	fi
	SCRUB_CORPUS_JSON=$(CURDIR)/target/scrub-corpus.jsonl cargo test -q --test scrub_corpus exported >/dev/null
	$(SCRUB_VENV)/bin/python bench/scrub_compare.py target/scrub-corpus.jsonl

fuzz:
	@if [ -x scripts/fuzz.sh ] || [ -f scripts/fuzz.sh ]; then \
	  bash scripts/fuzz.sh 600; \
	else \
	  echo "fuzz: scripts/fuzz.sh not present yet; skipped"; \
	fi

clean:
	rm -rf pkg examples/extension/vendor test-results
