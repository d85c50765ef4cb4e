FROM golang:1.20 AS deps
COPY go.mod go.sum ./
RUN go mod download

FROM golang:1.20 AS build
RUN --mount=type=bind,from=deps,source=/go/pkg,target=/go/pkg \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -o /out/app .

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
