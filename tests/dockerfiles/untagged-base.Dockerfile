FROM ubuntu AS tools
FROM debian
COPY --from=tools /usr/bin/env /env
