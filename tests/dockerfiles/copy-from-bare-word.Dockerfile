FROM alpine:3.19 AS base
FROM alpine:3.19
COPY --from=assets /srv /srv
COPY --from=base /etc/os-release /os
