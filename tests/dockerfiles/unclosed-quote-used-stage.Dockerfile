FROM scratch AS build
ENV x='abc
FROM scratch
COPY --from=build / /
