FROM debian:12-slim AS base
RUN apt-get update
FROM base AS deps
RUN apt-get install -y curl
FROM deps AS final
CMD ["curl", "--version"]
