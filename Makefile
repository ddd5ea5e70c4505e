# Two commands on a fresh machine: `make train` (the default experiment) and `make test`.
# Each creates .venv and installs ibias into it when missing.
PY := .venv/bin/python
ARGS ?=

.PHONY: train test test-slow lint clean

$(PY): setup.cfg pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(PY)

train: $(PY)
	$(PY) scripts/train.py $(ARGS)

test: $(PY)
	$(PY) -m pytest -q -n auto $(ARGS)

test-slow: $(PY)
	$(PY) -m pytest -q -n auto -m slow $(ARGS)

lint: $(PY)
	$(PY) -m ruff check .

clean:
	rm -rf outputs multirun wandb .pytest_cache
