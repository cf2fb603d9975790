# cloud_msg — `make run` serves the app, `make test` runs every test.
# Both install what is missing first and are quick when everything is present.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.11
# The wasm-bindgen CLI must match the crate version locked in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
# cargo-leptos takes wasm-bindgen and wasm-opt (npm's binaryen) from PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: help setup setup-browser run dev build test test-rust check-services test-e2e test-stress bench fmt clean-data

help:
	@echo "make run    serve the release build on http://127.0.0.1:3000 (LEPTOS_SITE_ADDR)"
	@echo "make dev    watch, rebuild and reload while you edit"
	@echo "make test   unit, integration and browser tests"
	@echo "make test-stress  every suite STRESS_RUNS times (5) with one core loaded; failures per test"
	@echo "make bench  performance suite (writes bench/RESULTS.md)"

## Installs the pinned toolchain, cargo-leptos, wasm-bindgen and the npm packages if missing.
setup: .make/toolchain .make/cargo-leptos .make/wasm-bindgen node_modules/.installed

.make/toolchain: rust-toolchain.toml
	@mkdir -p .make
	rustup toolchain install
	@touch $@

.make/cargo-leptos: .make/toolchain
	@if [ "$$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $(CARGO_LEPTOS_VERSION)" ]; then \
		echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 10 minutes, once)"; \
		cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads; \
	fi
	@touch $@

.make/wasm-bindgen: Cargo.lock .make/toolchain
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@touch $@

node_modules/.installed: package.json package-lock.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

## Debian's Chromium for Playwright (never `npx playwright install`).
setup-browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

build: setup
	cargo leptos build --release

run: setup
	cargo leptos serve --release

dev: setup
	cargo leptos watch

test: setup setup-browser test-rust test-e2e

## Unit tests and integration tests (real server on an ephemeral port); `loadgen` adds the
## load tool (and implies `ssr`). The store's tests run on both backends; the server's
## integration tests run on SQLite, then again on Postgres.
test-rust: setup check-services
	cargo test --features loadgen
	CLOUD_MSG_TEST_DATABASE=postgres cargo test --features loadgen --test api

## Postgres (TEST_POSTGRES_URL) and Redis (TEST_REDIS_URL) must answer; test databases a
## killed run left are dropped.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379
export TEST_POSTGRES_URL TEST_REDIS_URL
check-services:
	@if [ "$$(redis-cli -u "$(TEST_REDIS_URL)" ping 2>/dev/null)" != "PONG" ]; then \
		echo "Redis does not answer at $(TEST_REDIS_URL)."; \
		echo "Start it (Debian: service redis-server start) or set TEST_REDIS_URL."; \
		exit 1; \
	fi
	@if ! psql "$(TEST_POSTGRES_URL)" -qAtc 'SELECT 1' >/dev/null 2>&1; then \
		echo "Postgres does not answer at $(TEST_POSTGRES_URL)."; \
		echo "Start it (Debian: service postgresql start) or set TEST_POSTGRES_URL."; \
		exit 1; \
	fi
	@for db in $$(psql "$(TEST_POSTGRES_URL)" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 'cloud\_msg\_test\_%'"); do \
		psql "$(TEST_POSTGRES_URL)" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"; \
	done

## Playwright against the release build (the one `make run` serves).
test-e2e: setup setup-browser
	cargo leptos build --release
	npx playwright test

## Flakes, counted: every suite `make test` runs, STRESS_RUNS times, with stress-ng keeping
## one core busy (installed from Debian when missing); prints the failures per test.
STRESS_RUNS ?= 5
test-stress: setup setup-browser check-services
	bash tests/stress.sh $(STRESS_RUNS)

## The fixed performance suite (release builds, server and generator pinned); writes bench/RESULTS.md.
bench: setup setup-browser
	cargo leptos build --release
	cargo build --release --features loadgen --bin loadgen
	bash bench/run.sh

fmt:
	cargo fmt

clean-data:
	rm -rf data target/e2e-data
