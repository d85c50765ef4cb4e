from golang:1.20 as build
run go build -o /app .
from scratch
copy --from=build /app /app
entrypoint ["/app"]
