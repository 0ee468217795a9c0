# The two commands: `make dev` runs the whole system with demo data, `make test` runs every test.
# Without DATABASE_URL / REDIS_URL both start a project-local PostgreSQL and Redis under .var/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK := $(PY) deploy/local/stack.py
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

.PHONY: dev test setup system-packages clean

dev: setup
	$(STACK) run dev -- $(PY) deploy/local/dev.py

# Lint and the SPEC's dependency rules (import-linter contracts in pyproject.toml) first: both are
# quick and need no database.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(STACK) run test -- $(PY) -m pytest $(PYTEST_ARGS)

setup: system-packages $(VENV)/.installed $(MO_FILES)

system-packages:
	@deploy/local/system-packages.sh

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed.")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	@touch $@

%.mo: %.po
	msgfmt --check -o $@ $<

clean:
	-$(STACK) stop dev
	-$(STACK) stop test
	rm -rf $(VENV) .var

.PHONY: bench-provision
bench-provision: setup
	$(STACK) run bench -- $(PY) bench/provision.py

.PHONY: bench-bookings
bench-bookings: setup
	@deploy/local/system-packages.sh bench
	$(STACK) run bench -- $(PY) bench/bookings.py

.PHONY: bench-booking-cost
bench-booking-cost: setup
	$(STACK) run bench -- $(PY) bench/booking_cost.py

.PHONY: bench-export
bench-export: setup
	$(STACK) run bench -- $(PY) bench/export.py

.PHONY: bench-pos-scan
bench-pos-scan: setup
	$(STACK) run bench -- $(PY) bench/pos_scan.py

.PHONY: bench-cardholder-search
bench-cardholder-search: setup
	$(STACK) run bench -- $(PY) bench/cardholder_search.py

.PHONY: bench-cardholder-import
bench-cardholder-import: setup
	$(STACK) run bench -- $(PY) bench/cardholder_import.py

.PHONY: bench-journal
bench-journal: setup
	$(STACK) run bench -- $(PY) bench/journal.py

.PHONY: bench-liability
bench-liability: setup
	$(STACK) run bench -- $(PY) bench/liability.py

.PHONY: bench-statistics
bench-statistics: setup
	$(STACK) run bench -- $(PY) bench/statistics.py
