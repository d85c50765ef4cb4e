FROM scratch
ARG GREETING='hello
