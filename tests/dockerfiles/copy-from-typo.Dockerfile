FROM golang:1.20 AS builder
RUN go build -o /app .
FROM scratch
COPY --from=buidler /app /app
ENTRYPOINT ["/app"]
