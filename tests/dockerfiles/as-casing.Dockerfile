FROM golang:1.20 as Builder
RUN go build -o /app .
FROM scratch
COPY --from=Builder /app /app
ENTRYPOINT ["/app"]
