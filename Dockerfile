# clausecheck: REST API and web page. Everything runs inside; no model or data is fetched at run time.
# Build:  docker build -t clausecheck .            (without LibreOffice: --build-arg WITH_LIBREOFFICE=0)
# Run:    docker run -p 127.0.0.1:8000:8000 -v clausecheck-data:/data clausecheck
# The system packages are scripts/setup.sh's RUNTIME_PKGS (+ OFFICE_PKGS); tests/test_deployment.py
# keeps the two in step.
FROM python:3.11-slim-bookworm

ARG WITH_LIBREOFFICE=1
# tesseract + Chinese data read scanned PDFs; the CJK font renders reports; LibreOffice reads .doc/.wps
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei \
    && if [ "$WITH_LIBREOFFICE" = 1 ]; then \
         DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libreoffice-writer-nogui; \
       fi \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY nlp nlp
COPY clause_library clause_library
COPY service service

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CLAUSECHECK_CACHE_DIR=/var/cache/clausecheck \
    CLAUSECHECK_DB=/data/clausecheck.sqlite3 \
    HOME=/data

# the segmenter's dictionary trie is built into the image, so no container builds it at start
RUN pip install --no-cache-dir . \
    && groupadd --system --gid 10001 clausecheck \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home clausecheck \
    && mkdir -p /data \
    && python -c "from nlp.segment import search_tokens; search_tokens('合同')" \
    && chown -R 10001:10001 /data "$CLAUSECHECK_CACHE_DIR"

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# Bound beyond loopback the server requires API tokens: create one first with
#   docker run --rm -v clausecheck-data:/data clausecheck clausecheck tokens create NAME
CMD ["clausecheck", "serve", "--host", "0.0.0.0", "--port", "8000"]
