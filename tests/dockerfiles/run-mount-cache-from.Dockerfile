FROM alpine:3.19 AS cache-seed
RUN mkdir -p /cache
FROM alpine:3.19
RUN --mount=type=cache,from=cache-seed,source=/cache,target=/var/cache/apk apk add curl
