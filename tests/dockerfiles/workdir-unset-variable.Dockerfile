FROM scratch
WORKDIR "$APP_HOME/app"
