FROM golang:1.20 AS deps
RUN go mod download
FROM deps AS build
RUN go build -o /app .
FROM alpine:3.19 AS unrelated
FROM scratch
COPY --from=build /app /app
ENTRYPOINT ["/app"]
