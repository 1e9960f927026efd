# The two commands of the README, and the ones behind them.
#   make run    install what is missing, build, and serve the demo series on http://127.0.0.1:3000
#   make test   the whole suite: unit, integration on SQLite and PostgreSQL, end-to-end in Chromium
.PHONY: run test build setup lint fmt clean bench bench-agenda bench-registration bench-checkin bench-meetings bench-feed bench-grants

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

run: setup
	./scripts/build-site.sh
	EXX_DEMO=true LEPTOS_SITE_ROOT=$(or $(LEPTOS_SITE_ROOT),$(TARGET_DIR)/site) $(TARGET_DIR)/debug/server serve

test:
	./scripts/test.sh

build: setup
	./scripts/build-site.sh --release

setup:
	./scripts/setup.sh

lint: setup
	cargo fmt --all -- --check
	cargo clippy -p app -p server --all-targets -- -D warnings
	cargo clippy -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

fmt:
	cargo fmt --all

# Benchmarks print figures; they are not tests and never fail on timing. Those over HTTP run the
# release server binary as its own process, so it is built with them.
# Every benchmark in release, on both backends, as one table (and JSON), with the bundle's size.
bench: setup
	./scripts/bench.sh

bench-agenda:
	cargo build --release -p server --bin server --example bench_agenda
	cargo run --release -p server --example bench_agenda

bench-registration:
	cargo build --release -p server --bin server --example bench_registration
	cargo run --release -p server --example bench_registration

bench-checkin:
	cargo build --release -p server --bin server --example bench_checkin
	cargo run --release -p server --example bench_checkin

bench-meetings:
	cargo build --release -p server --bin server --example bench_meetings
	cargo run --release -p server --example bench_meetings

bench-feed:
	cargo build --release -p server --bin server --example bench_feed
	cargo run --release -p server --example bench_feed

bench-grants:
	cargo run --release -p server --example bench_grants

clean:
	cargo clean
	rm -rf data
