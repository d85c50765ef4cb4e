FROM scratch
ARG DIR=srv
WORKDIR ${DIR}
