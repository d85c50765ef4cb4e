FROM alpine:3.19 AS a
FROM alpine:3.19
ADD --from=a /etc/os-release /os
