# paiban — build the editions in seeds/ and test them.
#   make all     PDF + EPUB of every seed into dist/   (creates .venv when missing)
#   make test    the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PAIBAN := $(BIN)/paiban
SEEDS  := $(wildcard seeds/*.txt)
# Reproducible outputs: a fixed timestamp unless the caller sets one.
export SOURCE_DATE_EPOCH ?= 1648684800
export PYTHONHASHSEED := 0

.PHONY: all model explain pdf epub test fuzz bench clean distclean

all: $(PAIBAN)
	$(PAIBAN) build $(SEEDS)

$(PAIBAN): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

model: $(PAIBAN)
	$(PAIBAN) model $(SEEDS)

explain: $(PAIBAN)
	$(PAIBAN) model --explain $(SEEDS)

pdf: $(PAIBAN)
	$(PAIBAN) build --format pdf $(SEEDS)

epub: $(PAIBAN)
	$(PAIBAN) build --format epub $(SEEDS)

test: $(PAIBAN)
	$(BIN)/python -m pytest

bench: $(PAIBAN)
	$(PAIBAN) bench $(firstword $(SEEDS))

fuzz: $(PAIBAN)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -k "properties or round_trip"

clean:
	rm -rf build dist

distclean: clean
	rm -rf $(VENV) *.egg-info
