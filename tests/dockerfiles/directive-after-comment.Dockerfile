# a comment first
# escape=`
FROM alpine:3.19 AS base
RUN echo one \
    two
FROM base
CMD ["true"]
