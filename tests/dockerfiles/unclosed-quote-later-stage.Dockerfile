FROM scratch AS app
CMD ["true"]
FROM app AS broken
ENV x='abc
