# check=skip=JSONArgsRecommended;error=true
FROM alpine:3.19
CMD echo hi
