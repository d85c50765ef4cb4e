FROM alpine:3.19 AS base
MAINTAINER student@example.com
ENV APP_HOME /srv/app
LABEL version 1.0
WORKDIR srv
ENV DB_PASSWORD=changeme
run echo hi
CMD echo one
CMD echo two
EXPOSE 8080/TCP
