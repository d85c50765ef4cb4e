FROM scratch
WORKDIR "/app"
