# check=error=true
# the build stage
FROM alpine:3.19 AS build
RUN true
FROM alpine:3.19
COPY --from=build /etc/os-release /os-release
