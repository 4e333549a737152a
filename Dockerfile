# Tokengate's image: one image for the web servers, the Celery worker and beat
# (docs/deployment.md). Build from the repository root: docker build -t tokengate .

# --- Build: hash-locked dependencies, compiled translations, collected static files ---
FROM python:3.13-slim-bookworm AS build
RUN apt-get update \
 && apt-get install --yes --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock ./
RUN python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir --disable-pip-version-check \
      --require-hashes --no-deps -r requirements.lock
COPY . .
# Production settings refuse to load without their secrets: collectstatic gets throwaway ones
# that never leave this stage.
RUN /venv/bin/python manage.py compilemessages --ignore=.venv --ignore=var -v 0 \
 && DJANGO_ENV=production ALLOWED_HOSTS=build SECRET_KEY=build-only API_KEY_PEPPER=build-only \
    FIELD_ENCRYPTION_KEYS="build:$(head -c 32 /dev/urandom | base64)" VAR_DIR=/app/var \
    /venv/bin/python manage.py collectstatic --noinput -v 0

# --- Runtime: the virtualenv and the application, run as an unprivileged user ---
FROM python:3.13-slim-bookworm
RUN groupadd --system --gid 10001 tokengate \
 && useradd --system --uid 10001 --gid tokengate --home-dir /app --no-create-home tokengate
COPY --from=build /venv /venv
COPY --from=build /app /app
# The code stays root-owned (read-only to the server); only uploads and exports are writable.
RUN mkdir -p /app/var/media /app/var/private \
 && chown -R tokengate:tokengate /app/var/media /app/var/private
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    VAR_DIR=/app/var
WORKDIR /app
USER tokengate
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Migrations run once per release as their own step (the `migrate` service in
# deploy/compose.yaml), not in every web container.
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--proxy-headers", "--forwarded-allow-ips", "*", "--no-server-header", "--no-access-log", "--timeout-graceful-shutdown", "30"]
