ARG GO_VERSION=1.20
FROM golang:${GO_VERISON} AS build
FROM alpine:3.19
COPY --from=build /go/bin /bin
