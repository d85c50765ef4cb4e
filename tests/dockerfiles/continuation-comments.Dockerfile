FROM golang:1.20 AS builder
RUN go build \
# a comment line inside the continuation is dropped
    -o /out/app \
    # an indented one too
    ./cmd/app

FROM scratch
COPY \
    --from=builder \
    /out/app /app
ENTRYPOINT ["/app"]
