# check=error=1
FROM alpine:3.19
CMD echo hi
