FROM scratch
WORKDIR "/app
