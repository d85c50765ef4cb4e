# check=error=false
FROM alpine:3.19
CMD echo hi
