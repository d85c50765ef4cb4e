# The two commands README.md starts with, and what they need. Both do all the set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# axe-core, pinned by its lock, for the accessibility check of the report tests
AXE    := tests/report/axe/node_modules/axe-core/axe.min.js

.PHONY: example test lint engine images

# Grade the bundled example class (a model answer and a single-stage one) with the lesson 2.4
# rubric: on the lesson's own images where a registry answers, else on local stand-ins (it
# says which); then open reports/example/index.html.
example: $(BIN)/grader engine
	map="$$($(BIN)/python -m tests.baseimages --for-example)" && \
	$(BIN)/grader grade --rubric lesson-2.4 --roster examples/lesson-2.4/roster.csv \
	  --out reports/example --submissions submissions $$map
	@echo "Open reports/example/index.html (class) and reports/example/students/*.html"

# The whole test suite, real-engine tests included (they fail, not skip, without an engine).
test: $(BIN)/grader engine $(AXE)
	$(BIN)/ruff check grader tests bench
	$(BIN)/ruff format --check grader tests bench
	$(BIN)/mypy grader
	GRADER_REQUIRE_ENGINE=1 $(BIN)/pytest

lint: $(BIN)/grader
	$(BIN)/ruff check grader tests bench && $(BIN)/ruff format --check grader tests bench && $(BIN)/mypy grader

$(BIN)/grader: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# npm ci keeps the package's own file dates: touch, so the lock alone decides a reinstall.
# Without npm, Debian's is installed (as root, like the engine).
$(AXE): tests/report/axe/package-lock.json
	command -v npm >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/report/axe --no-audit --no-fund
	touch $@

engine:
	bash .ci/engine.sh

images: $(BIN)/grader engine
	$(BIN)/python -m tests.baseimages
