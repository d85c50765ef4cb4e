FROM alpine:3.19 AS node
RUN echo "not node at all" > /note
FROM node
CMD ["cat", "/note"]
