# clausecheck: REST API and web page. Everything runs inside; no model or data is fetched at run time.
FROM python:3.11-slim-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-chi-sim libreoffice-writer-nogui fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY nlp nlp
COPY clause_library clause_library
COPY service service
ENV CLAUSECHECK_CACHE_DIR=/var/cache/clausecheck
# the segmenter's dictionary trie is built into the image, so no container builds it at start
RUN pip install --no-cache-dir . && useradd --system --home /data clausecheck && mkdir -p /data && chown clausecheck /data \
    && python -c "from nlp.segment import search_tokens; search_tokens('合同')" && chown -R clausecheck "$CLAUSECHECK_CACHE_DIR"
USER clausecheck
ENV CLAUSECHECK_DB=/data/clausecheck.sqlite3
EXPOSE 8000
# Bound beyond loopback the server requires API tokens: create one first with
#   docker run -v data:/data IMAGE clausecheck tokens create NAME
CMD ["clausecheck", "serve", "--host", "0.0.0.0", "--port", "8000"]
