# Stripe stand-in for compose's `--profile localstripe` (a test tool, GPL-3.0): its own
# image, never part of the Onsale image.
FROM python:3.11-slim AS localstripe
COPY constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir --disable-pip-version-check -c /tmp/constraints.txt localstripe \
    && useradd --system --uid 10001 localstripe
USER localstripe
ENTRYPOINT ["localstripe"]

# The Onsale image: one image for every process (`onsale api`, `onsale worker`,
# `onsale migrate`); compose.yaml picks the subcommand. The runtime only: the
# developer tooling (devtools/, the dev extra) is not in it.
FROM python:3.11-slim AS onsale

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# DejaVu Sans sets receipts (app/money/receipt.py) in every script a name may use.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
COPY workers ./workers
COPY waiting_room ./waiting_room
COPY lua ./lua
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /app onsale

USER onsale
# 8000: the API; 9100: a worker's metrics port.
EXPOSE 8000 9100
ENTRYPOINT ["onsale"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
