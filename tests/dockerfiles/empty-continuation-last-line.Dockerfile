FROM alpine:3.19
RUN echo one \

    two \


    three
RUN echo four \

    five
CMD ["echo"]
