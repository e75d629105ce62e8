# The one image compose.yaml runs as web, worker, cron and the migration step.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir '.[postgres]' \
    && useradd --system --home-dir /app pulse \
    && mkdir -p /data/models /run/pulse/metrics \
    && chown -R pulse /data /run/pulse
USER pulse
# gunicorn reads gunicorn.conf.py from here.
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", "wsgi:app"]
