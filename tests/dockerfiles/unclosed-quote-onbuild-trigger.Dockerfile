FROM scratch AS base
ONBUILD ENV x='abc
FROM base
CMD ["true"]
