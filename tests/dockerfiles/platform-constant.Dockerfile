FROM --platform=linux/arm64 alpine:3.19 AS arm64-tools
FROM --platform=linux/arm64 alpine:3.19
COPY --from=arm64-tools /bin/busybox /busybox
