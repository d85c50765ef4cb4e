ARG VERSION
FROM alpine:${VERSION:?required}
