# check=error=true
FROM alpine:3.19 AS Base
CMD echo hi
