# The playground as a hosted service: Python slim, a non-root user, the hosted profile.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PLAYGROUND_MAX_WORK=2000000000 \
    PLAYGROUND_MAX_MEMORY_MB=2048 \
    PLAYGROUND_GPU_SLOTS=2 \
    PLAYGROUND_MAX_SECONDS=120 \
    PLAYGROUND_MAX_LIVE=14 \
    PLAYGROUND_LIVE_CORES=1

RUN useradd --create-home --uid 10001 playground
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=playground:playground app.py ./
COPY --chown=playground:playground app_pages ./app_pages
COPY --chown=playground:playground playground ./playground
COPY --chown=playground:playground deploy/config.toml ./.streamlit/config.toml

USER playground
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"
# a malformed PLAYGROUND_* variable refuses to start, naming it, rather than failing on every page
CMD ["sh", "-c", "python -m playground.serving.limits && exec streamlit run app.py"]
