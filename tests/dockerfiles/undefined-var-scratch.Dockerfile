FROM golang:1.20 AS build
RUN go build -o /out/app .
FROM scratch
ARG APP_DIR=/srv
COPY --from=build /out/app ${APP_DIR}/app
WORKDIR $APP_HOME
ENTRYPOINT ["/srv/app"]
