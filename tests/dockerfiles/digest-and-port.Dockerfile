FROM localhost:5000/team/base@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS base
FROM registry.example.com:5000/tools/go:1.22 AS build
COPY --from=base /etc/os-release /os-release
FROM gcr.io/distroless/static:nonroot@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
COPY --from=build /os-release /os-release
