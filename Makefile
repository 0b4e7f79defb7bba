# OP_CMS — the two commands a new machine needs are `make run` and `make test`.
# Cargo's target directory follows CARGO_TARGET_DIR when set (CI keeps it
# outside the clone), else ./target.

CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR

.PHONY: run build web web-deps api-types test lint fmt bench clean

## Build everything (web app embedded, release binary) and serve on SQLite under ./data.
run: build
	$(CARGO_TARGET_DIR)/release/opcms serve

build: web
	cargo build --release --bin opcms

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web-deps: web/node_modules/.package-lock.json

web: web-deps
	cd web && npm run build

## Every test: Rust unit + API tests on each configured backend, web unit
## tests, browser end-to-end tests. Says loudly what it could not run.
test: web
	bash scripts/test.sh

## The web's API types (web/src/api/schema.d.ts) from the server's OpenAPI
## document; run after changing a request or response type.
api-types: web-deps
	bash scripts/api-types.sh

## Formatting, clippy, the API types as the server generates them now, the
## web's eslint and typecheck. Runs $$OPCMS_BIN when set, else builds it.
lint: web-deps
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	bash scripts/api-types.sh --check
	cd web && npm run lint && npm run typecheck
	bash scripts/check-systemd-unit.sh

fmt:
	cargo fmt --all

## Benchmarks (release build): seed, drive over HTTP, print p50/p95/p99 on
## SQLite, MariaDB and PostgreSQL, then a summary table (scripts/bench.sh
## says how to pick benches and backends).
bench: web
	bash scripts/bench.sh

clean:
	cargo clean
	rm -rf web/dist web/node_modules
