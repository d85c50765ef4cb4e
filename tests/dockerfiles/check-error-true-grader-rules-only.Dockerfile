# check=error=true
FROM alpine:latest
CMD ["true"]
