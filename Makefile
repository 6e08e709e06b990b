# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch is installed first and on its own, so pip never swaps it for another build.
# On a machine with a CUDA wheel of your choice, override: make test TORCH_SPEC="torch==2.11.0 torchvision==0.26.0"
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
EXTRAS ?= cpu,dev,bench
STAMP  := $(VENV)/.uiseg-installed
DEMO   ?= demo

.PHONY: install test test-fast demo default-model lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check uiseg export infer tests benchmarks

demo: $(STAMP)
	$(BIN)/python -m uiseg.demo --out $(DEMO)

# The model shipped in uiseg/models/ (seeded, step-bounded; hours on a 2-core CPU): trains, exports, scores on
# held-out families and world kinds, installs default.onnx + default.json.
default-model: $(STAMP)
	$(BIN)/python -m uiseg.models.build --work runs/default-model

clean:
	rm -rf $(DEMO) .pytest_cache
