FROM golang:1.20 AS builder
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .

FROM scratch AS runtime
COPY --from=builder /out/app /app
ENTRYPOINT ["/app"]

FROM builder AS test
RUN go test ./...
