FROM busybox:1.36 AS shell
FROM scratch
COPY --from=shell /bin/busybox /bin/sh
CMD echo hello
