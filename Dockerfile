# The soarform container image: the release binary on a distroless base, run as a non-root user.
#
#   docker build --build-arg SOARFORM_BUILD_COMMIT="$(git rev-parse --short=12 HEAD)" -t soarform .
#   docker run --rm -v "$PWD:/work" -e SUMO_ACCESS_ID -e SUMO_ACCESS_KEY soarform plan --region us2
#
# The image runs as UID 65532; for commands that write into the mounted repository (fmt, export,
# --sandbox), add --user "$(id -u):$(id -g)" so the files are the caller's.
#
# tests/packaging.rs checks this file: two stages at least, the build stage's Rust not older than
# Cargo.toml's rust-version and building with --locked, the final stage's numeric non-root USER,
# ENTRYPOINT and labels.

# Build stage: the official Rust image at the version Cargo.toml's rust-version names (what the
# committed lock needs), pinned by its full tag; Debian 12, like the final stage, so the binary
# links against the same glibc it runs with.
FROM rust:1.88.0-slim-bookworm AS build
# No .git is copied into the build (.dockerignore), so build.rs takes the commit from this
# argument (RUN sees it in its environment); without it `soarform --version` says
# `commit unknown`.
ARG SOARFORM_BUILD_COMMIT=""
WORKDIR /src
COPY . .
# Cargo.toml's [profile.release]: LTO, one codegen unit, stripped. --locked: exactly the
# committed Cargo.lock, or the build fails.
RUN cargo build --release --locked --bin soarform \
 && install -D -m 0755 target/release/soarform /out/bin/soarform \
 && mkdir -p /out/root/work

# Final stage: distroless "cc" (glibc, libgcc_s, which the binary links; no shell, no package
# manager). It also carries /etc/ssl/certs, though soarform does not read it: reqwest's
# `rustls-tls` feature means webpki-roots, Mozilla's roots compiled into the binary.
FROM gcr.io/distroless/cc-debian12:nonroot
ARG SOARFORM_VERSION=0.2.0
ARG SOARFORM_BUILD_COMMIT=""
# No public repository address is recorded in Cargo.toml; pass it with --build-arg.
ARG SOARFORM_SOURCE=""
LABEL org.opencontainers.image.title="soarform" \
      org.opencontainers.image.description="Incident-as-code for Sumo Logic Cloud SOAR: validate, plan and apply incidents and triage items from YAML" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${SOARFORM_VERSION}" \
      org.opencontainers.image.revision="${SOARFORM_BUILD_COMMIT}" \
      org.opencontainers.image.source="${SOARFORM_SOURCE}"
COPY --from=build /out/bin/soarform /usr/local/bin/soarform
# The working directory, owned by the user below, so `--sandbox` can keep .soarform/ there when
# nothing is mounted on it; mount the repository on /work to plan it. (/work is copied as an
# entry of /out/root/, so --chown applies to it; WORKDIR alone would make it root's.)
COPY --from=build --chown=65532:65532 /out/root/ /
WORKDIR /work
# distroless's "nonroot" user, by number: Kubernetes' runAsNonRoot can only verify a numeric one.
USER 65532:65532
ENTRYPOINT ["soarform"]
CMD ["--help"]
