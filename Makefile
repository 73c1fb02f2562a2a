# paiban — build the editions in seeds/ and test them.
#   make all     PDF + EPUB of every seed into dist/   (creates .venv when missing)
#   make test    the whole test suite
#   make review  build/<slug>.review.html: each source line's role and article, doubts marked
#   make dist    the download site and OPDS feed of the built editions: dist/site/
#   make serve   show dist/site/ on http://127.0.0.1:8000/ (PORT=…; Python's static server)
#   make -j N all  builds N editions at once; an edition whose inputs did not change
#                  is not rebuilt (paiban decides, by content hash: build/stamps/)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PAIBAN := $(BIN)/paiban
SEEDS  := $(wildcard seeds/*.txt)
# Reproducible outputs: a fixed timestamp unless the caller sets one.
export SOURCE_DATE_EPOCH ?= 1648684800
export PYTHONHASHSEED := 0
# Editions built at once: make's own -j N (-j alone: one per core), or JOBS=N.
# One paiban process schedules them: the seeds' output names (their slugs) are
# known only after reading them, so make cannot name the targets itself.
JOBS ?= $(if $(filter -j%,$(MAKEFLAGS)),$(or $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS))),0),1)

PORT   ?= 8000


.PHONY: all model explain review pdf epub dist serve test fuzz bench clean distclean

all: $(PAIBAN)
	$(PAIBAN) build -j $(JOBS) $(SEEDS)

$(PAIBAN): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

model: $(PAIBAN)
	$(PAIBAN) model $(SEEDS)

explain: $(PAIBAN)
	$(PAIBAN) model --explain $(SEEDS)

review: $(PAIBAN)
	$(PAIBAN) review $(SEEDS)

pdf: $(PAIBAN)
	$(PAIBAN) build -j $(JOBS) --format pdf $(SEEDS)

epub: $(PAIBAN)
	$(PAIBAN) build -j $(JOBS) --format epub $(SEEDS)

dist: all
	$(PAIBAN) dist $(SEEDS)

serve: dist
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory dist/site

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
