# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS build
COPY src\app.exe C:\app\
RUN echo building `
    && echo done
FROM build
