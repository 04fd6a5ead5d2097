# UC Admin in a container, for those who build containers elsewhere (the project's own tests use
# no containers). Multi-stage: Rust and Node build the server and the browser bundle with the
# repository's build program; the runtime image holds only the binary, the site and the example
# configuration, and runs as an unprivileged user with the database in a volume.
#   docker build -t uc-admin .
#   docker run -p 3000:3000 -v uc-admin:/var/lib/uc-admin uc-admin
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The commit for `uc-admin --version` (the build context has no .git): --build-arg GIT_COMMIT=…
ARG GIT_COMMIT=unknown
RUN scripts/setup.sh run --release \
 && UC_ADMIN_GIT_COMMIT=${GIT_COMMIT} scripts/build.sh --release

FROM debian:bookworm-slim
RUN useradd --system --home-dir /var/lib/uc-admin --shell /usr/sbin/nologin uc-admin \
 && install -d -o uc-admin -g uc-admin -m 0750 /var/lib/uc-admin
COPY --from=build /src/target/release/uc-admin /usr/bin/uc-admin
COPY --from=build /src/target/site /usr/share/uc-admin/site
COPY packaging/uc-admin.toml /etc/uc-admin/uc-admin.toml
USER uc-admin
WORKDIR /var/lib/uc-admin
VOLUME /var/lib/uc-admin
# Inside the container the portal listens on every interface; publish the port you want.
ENV UC_ADMIN_LISTEN=0.0.0.0:3000
EXPOSE 3000
# SIGTERM lets requests finish and jobs suspend after their chunk (server.shutdown_timeout_seconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/uc-admin", "--config", "/etc/uc-admin/uc-admin.toml"]
CMD ["serve"]
