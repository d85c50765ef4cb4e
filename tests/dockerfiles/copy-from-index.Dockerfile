FROM golang:1.20
RUN go build -o /app .
FROM scratch
COPY --from=0 /app /app
ENTRYPOINT ["/app"]
