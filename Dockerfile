# syntax=docker/dockerfile:1.7
# One image for every Quarry process; the command picks the bundle, e.g. `node dist/auth.mjs`.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY db ./db
COPY functions ./functions
COPY jobs ./jobs
COPY shared ./shared
ARG BUILD_VERSION=0.1.0
RUN BUILD_VERSION=${BUILD_VERSION} npx tsx bin/build.ts

FROM ${NODE_IMAGE} AS runtime
# No node_modules here: esbuild inlines every production dependency into each bundle, so the final stage
# holds only the bundles (tests/smoke runs them from a copy of dist/ with no node_modules around).
ARG BUILD_VERSION=0.1.0
ARG BUILD_COMMIT=unknown
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/quarry \
    BUILD_VERSION=${BUILD_VERSION} \
    BUILD_COMMIT=${BUILD_COMMIT}
WORKDIR /app
RUN mkdir -p /var/lib/quarry && chown node:node /var/lib/quarry
COPY --from=build /src/dist/*.mjs /src/dist/openapi.json ./dist/
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/ops.mjs"]
