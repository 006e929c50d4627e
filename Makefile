# The entry points a Django template's users type by habit (make up, make test, ...). Each
# target calls a plain script in scripts/, so they work the same with Nix (`nix develop`) or
# with the tools on PATH.
# Arguments for `make manage`: make manage ARGS="makemigrations accounts"

.PHONY: help up up-detached down status update createsuperuser manage reset-db test check lint e2e

help:
	@echo "make up               start the dev stack (process-compose TUI; Ctrl-C stops it)"
	@echo "make up-detached      start it in the background"
	@echo "make down             stop it"
	@echo "make status           state and readiness of each process"
	@echo "make update           install the locked Python and npm dependencies (again)"
	@echo "make createsuperuser  create an admin user"
	@echo "make manage ARGS=...  run a manage.py command against the stack"
	@echo "make reset-db         throw the dev database away and rebuild it"
	@echo "make test             every check, as CI runs it"
	@echo "make check            the edit loop's quick check: ruff, backend tests, vitest"
	@echo "make lint             ruff, eslint, prettier, shellcheck, ... (pre-commit)"
	@echo "make e2e              Playwright against the running stack"

# up, test and check set the checkout up first (scripts/setup): a fresh clone needs nothing else.
up:
	scripts/setup
	scripts/up

up-detached:
	scripts/setup
	scripts/up --detached

down:
	scripts/down

status:
	scripts/status

update:
	scripts/update

createsuperuser:
	scripts/createsuperuser

manage:
	scripts/manage $(ARGS)

reset-db:
	scripts/reset-db

test:
	scripts/setup
	scripts/test

check:
	scripts/setup
	scripts/check

lint:
	scripts/lint

e2e:
	scripts/e2e
