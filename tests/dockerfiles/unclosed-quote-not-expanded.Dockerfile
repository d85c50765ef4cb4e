FROM alpine:3.19
MAINTAINER 'student
ONBUILD ENV x='abc
HEALTHCHECK CMD echo 'a
CMD echo 'abc
