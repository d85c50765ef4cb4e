ARG VERSION
FROM alpine:${VERSION?set VERSION with --build-arg}
