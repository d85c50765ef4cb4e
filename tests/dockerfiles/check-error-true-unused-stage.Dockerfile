# check=error=true
FROM alpine:3.19 AS tools
WORKDIR tools
FROM alpine:3.19
CMD ["true"]
