# The cxkpi image: the worker, the simulator and every other `cxkpi` subcommand.
#   docker build -t cxkpi:local .
#   docker run --rm cxkpi:local worker --broker kafka:9092 --web-port 6066
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# stream/schemas links to ../schemas: both are copied. README.md is the package's
# long description (pyproject.toml); the wildcard keeps the build working without it.
COPY pyproject.toml README.md* ./
COPY schemas ./schemas
COPY stream ./stream
RUN pip install . \
    && useradd --create-home --uid 10001 cxkpi

USER cxkpi
WORKDIR /home/cxkpi
EXPOSE 6066
ENTRYPOINT ["cxkpi"]
CMD ["worker", "--broker", "kafka:9092", "--web-host", "0.0.0.0", "--web-port", "6066"]
