FROM --platform=$BUILDPLATFORM golang:1.20 AS build
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .

FROM --platform=$TARGETPLATFORM alpine:3.19
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
