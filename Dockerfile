# mashgraph web explorer and batch jobs (see docs/deploy.md).
# Build: docker build -t mashgraph .   Run: docker compose up -d
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, unprivileged user: the app never runs as root.
RUN groupadd --system --gid 10001 mashgraph \
    && useradd --system --uid 10001 --gid mashgraph --home-dir /var/lib/mashgraph --create-home \
       --shell /usr/sbin/nologin mashgraph

# The repository root is the `mashgraph` package (pyproject package-dir), so the
# build context is copied whole (.dockerignore keeps out venvs, data and node_modules)
# and installed as a regular, non-editable package with the production web server.
COPY . /tmp/mashgraph-src
RUN pip install "/tmp/mashgraph-src[web]" \
    && rm -rf /tmp/mashgraph-src

USER mashgraph
WORKDIR /var/lib/mashgraph
# Users database and audit log (SQLite) in data/, rejected rows of batch loads in
# quarantine/; created here so the compose volumes mounted on them belong to this user.
ENV MASHGRAPH_USERS_DB=/var/lib/mashgraph/data/mashgraph.sqlite
RUN mkdir -p /var/lib/mashgraph/data /var/lib/mashgraph/quarantine

EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/login', timeout=4)"]

# One process per container; gunicorn's workers each open the store once.
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "2", "--threads", "4", \
     "--access-logfile", "-", "mashgraph.web:create_app()"]
