# `make run` and `make test` work on a fresh machine: the venv is built on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-fast bench shipped-runs clean-venv

# pip byte-compiles what it installs on one core: 51 s of a 74 s install here. compileall does the
# same on every core (29 s on two). A file that does not compile on this Python (torch ships one
# written for 3.12) is left to be read from source, as pip leaves it.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r requirements.txt
	$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $@

# make run TRUST_CODE=1: open runs whose model is imported Python code (vae.import_model --module)
run: $(VENV)/.installed
	$(if $(TRUST_CODE),VAE_TRUST_CODE=1 )$(PY) -m ui.serve --server.address 127.0.0.1 --server.port $(PORT)

# Two workers (pytest-xdist), a test file per worker at a time, so a file's shared server and
# browser stay on one worker; most tests wait on a trainer, a server or the browser, so two workers
# fill two cores. `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= 2

# The 25 slowest tests are listed at the end: where the suite's time goes, in every CI log.
test: $(VENV)/.installed
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

# While developing: the unit and AppTest tests, without the browser (tests/e2e) or the slow trainers.
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not e2e and not slow" --ignore=tests/e2e $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(PY) bench/bench_trainer.py
	$(PY) bench/bench_mnist2d.py
	$(PY) bench/bench_browser_decode.py
	$(PY) bench/bench_browser_encode.py

# The shipped runs, exactly as the README lists them.
shipped-runs: $(VENV)/.installed
	bash bench/make_shipped_runs.sh

clean-venv:
	rm -rf $(VENV)
