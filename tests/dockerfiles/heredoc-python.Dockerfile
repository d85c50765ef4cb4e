# syntax=docker/dockerfile:1
FROM python:3.12-slim AS build
RUN <<EOF python3
from pathlib import Path
FROM alpine AS evil
COPY --from=nowhere /x /y
Path("/out").mkdir()
EOF
FROM python:3.12-slim
COPY --from=build /out /out
CMD ["python3", "-c", "print('ok')"]
