# check=skip=all;error=true
FROM alpine:3.19 as Base
CMD echo hi
