FROM alpine:3.19 AS build
RUN echo one > /f
FROM alpine:3.19 AS build
RUN echo two > /f
FROM alpine:3.19
COPY --from=build /f /f
