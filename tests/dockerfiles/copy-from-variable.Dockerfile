ARG SRC=builder
FROM golang:1.20 AS builder
FROM scratch
COPY --from=${SRC} /app /app
