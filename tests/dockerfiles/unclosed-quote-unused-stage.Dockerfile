FROM scratch AS broken
ENV x='abc
FROM scratch AS app
CMD ["true"]
