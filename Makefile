# Each target sets itself up: a fresh machine needs only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed  ## run the app on the embedded simulator (no key needed)
	$(BIN)/asi-chat --demo

test: $(BIN)/.installed  ## lint, then the whole test suite: in parallel, then the real-terminal and timing tests one by one
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto -m "not serial"
	$(BIN)/python -m pytest -q -m serial

bench: $(BIN)/.installed  ## print the benchmark table
	$(BIN)/python benchmarks/run_all.py

screenshots: $(BIN)/.installed  ## regenerate screenshots/*.svg from the demo
	$(BIN)/python screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
