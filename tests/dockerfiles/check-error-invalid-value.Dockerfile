# check=error=yes
FROM alpine:3.19
CMD ["true"]
