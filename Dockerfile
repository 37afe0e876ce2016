# tracelight as a container image, built from this repository:
#
#   docker build -t tracelight:0.1.0 .
#   docker run --rm -p 4317:4317 -p 4318:4318 -v tracelight-data:/data -e TRACELIGHT_API_KEYS=change-me tracelight:0.1.0
#
# The entrypoint is the `tracelight` command and the default command is `serve --host 0.0.0.0`, so
# `docker run tracelight:0.1.0 migrate --clickhouse-url ...` runs any other command. The embedded store lives in
# the /data volume (TRACELIGHT_DATA); with --clickhouse-url (TRACELIGHT_CLICKHOUSE_URL) the data is on the
# ClickHouse server instead. deploy/compose and deploy/kubernetes use this image.

# Build: every dependency (the TypeScript compiler and Vite build dist/), then only the runtime ones are kept.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` rather than `npm ci` (as in .ci/run): chdb's engine comes as one optional package per
# platform, and the lock file records only those its registry had, so `npm ci` can refuse the lock on
# another platform. `npm install` still installs the locked versions.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime: Debian (glibc, which chDB's engine needs), the built CLI and its production dependencies.
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    TRACELIGHT_HOST=0.0.0.0 \
    TRACELIGHT_DATA=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The Python reference trainer (`tracelight train grpo|sft`) is looked up beside dist/; Python is not in the image.
COPY --from=build /app/algorithms/rl/trainer ./algorithms/rl/trainer
# The image's own user `node` (uid 1000): numeric, so Kubernetes' runAsNonRoot can verify it.
RUN ln -s /app/dist/cli/main.js /usr/local/bin/tracelight \
    && mkdir -p /data \
    && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
# OTLP/gRPC, then OTLP/HTTP + REST API + web UI + /healthz, /readyz, /metrics.
EXPOSE 4317 4318
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TRACELIGHT_PORT || 4318) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tracelight"]
CMD ["serve", "--host", "0.0.0.0"]
