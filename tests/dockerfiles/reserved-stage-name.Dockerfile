FROM busybox:1.36 AS scratch
RUN echo "I am the stage" > /who
FROM scratch
CMD ["/bin/cat", "/who"]
