FROM scratch
WORKDIR "app"
