# recouvre-docs: two commands do all the set-up on a fresh machine.
#   make demo   builds samples/case-42 into samples/case-42/out/CASE-42.pdf
#   make test   runs the test suite
# Both create .venv, install the project with its Python dependencies, and install the system
# packages it needs when they are missing (qpdf, poppler-utils, Pango/HarfBuzz for WeasyPrint) with
# apt-get (as root, or with sudo when it needs no password). Elsewhere they say what to install.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
APT_PACKAGES := qpdf poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
	libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	tesseract-ocr tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-eng

.PHONY: demo test system-deps venv clean

demo: system-deps venv
	$(BIN)/recouvre-docs build samples/case-42
	@echo "Open samples/case-42/out/CASE-42.pdf"

test: system-deps venv
	$(BIN)/python -m pytest -n auto -q

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  if command -v dpkg-query >/dev/null 2>&1; then \
	    dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	  fi; \
	done; \
	if ! command -v dpkg-query >/dev/null 2>&1; then \
	  command -v qpdf >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { \
	    echo "Please install qpdf, poppler (pdftoppm, pdffonts) and Pango, e.g. 'brew install qpdf poppler pango'"; exit 1; }; \
	elif [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else \
	    echo "Please run: sudo apt-get install$$missing"; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq$$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) samples/*/out build dist *.egg-info .pytest_cache
