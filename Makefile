# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= .qualcode-demo
# QUALCODE_DEMO_NO_APP=1 builds the demo project without starting the app (the test suite
# runs `make run` this way, so the README's first command cannot break silently).
# PORT=8502 serves on another port (8501 may be taken by another app).
DEMO_FLAGS := $(if $(QUALCODE_DEMO_NO_APP),--no-app,) $(if $(PORT),--port $(PORT),)

.PHONY: run test install demo bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: on these machines 2.13.0 is a CPU build on local disk; unpinned,
# sentence-transformers would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/qualcode demo --project $(DEMO) $(DEMO_FLAGS)

# Two workers on two cores: one runs the browser tests, one at a time, the other the rest; see
# tests/conftest.py. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

# Speed and quality targets live here, never in timed tests; results go to bench/results/.
bench: install
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: install
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
