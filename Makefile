# make demo: the whole job on the sample digest.  make test: lint, types, and every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo
export NEWSLETTER_TEST_REQUIRE_POSTGRES ?= 1

.PHONY: all demo test lint typecheck pytest browser spamassassin clean deploy-check lambda-package

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own download does not work here), and
# a CJK font so that the screenshots in test-artifacts/ show the Chinese text.
browser:
	@(command -v chromium && fc-list :lang=zh | grep -q .) >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

# Debian's SpamAssassin: a test scores a sent sample message with its local rules (-L -t).
spamassassin:
	@command -v spamassassin >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq spamassassin >/dev/null)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser spamassassin node_modules/.package-lock.json
	$(BIN)/pytest -q

test: lint typecheck deploy-check pytest

# AWS: the Lambda zip (dependencies as CPython 3.12 manylinux x86_64 wheels, and our own wheel:
# code, migrations and the `emails` templates exactly as the package ships them), and the
# offline check of serverless.yml: `osls package` with dummy credentials, then cfn-lint.
LAMBDA_DIR := build/lambda
LAMBDA_ZIP := build/lambda.zip
LAMBDA_SOURCES := $(shell find newsletter subscribers emails -type f -not -path '*/__pycache__/*' 2>/dev/null)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(LAMBDA_ZIP): pyproject.toml $(LAMBDA_SOURCES) | $(STAMP)
	rm -rf $(LAMBDA_DIR) $(LAMBDA_ZIP) && mkdir -p $(LAMBDA_DIR)
	$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > build/lambda-requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --target $(LAMBDA_DIR) \
		--implementation cp --python-version 3.12 --only-binary=:all: \
		--platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 -r build/lambda-requirements.txt
	rm -rf build/dist build/lib && $(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps \
		--no-build-isolation --wheel-dir build/dist .
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --target $(LAMBDA_DIR) \
		build/dist/newsletter-*.whl
	find $(LAMBDA_DIR) -name __pycache__ -prune -exec rm -rf {} +
	$(BIN)/python -c 'import shutil; shutil.make_archive("build/lambda", "zip", "$(LAMBDA_DIR)")'

lambda-package: $(LAMBDA_ZIP)

# W3005 is ignored: osls itself emits a redundant DependsOn on the HTTP API route.
deploy-check: $(STAMP) node_modules/.package-lock.json $(LAMBDA_ZIP)
	rm -rf .serverless
	env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=dummy-secret-for-offline-packaging \
		node_modules/.bin/osls package --stage prod --region us-east-1
	$(BIN)/cfn-lint --ignore-checks W3005 -- .serverless/cloudformation-template-update-stack.json

demo: $(STAMP)
	$(BIN)/python -m tests.support.demo --dir $(DEMO_DIR)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
