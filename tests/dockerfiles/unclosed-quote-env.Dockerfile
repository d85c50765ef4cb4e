FROM scratch
ENV APP_HOME='/srv/app
