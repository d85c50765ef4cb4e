# check=error=true
FROM alpine:3.19 as tools
RUN true
FROM alpine:3.19
CMD ["true"]
