/** What goes into an image that serves one model repository with Ferry. */
export interface ImageSpec {
  /** The Node.js release the image runs, pinned exactly (the one Ferry is tested on). */
  readonly nodeVersion: string;
  readonly ferryVersion: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Whether the build context has a ferry.yaml to put beside the models. */
  readonly withConfig: boolean;
  /** Numeric user and group the server runs as (not root; numeric so that Kubernetes can check runAsNonRoot). */
  readonly uid: number;
}

/** Where the image keeps Ferry, and where it serves from (its working directory, holding models/). */
export const APP_DIR = '/opt/ferry';
export const SERVE_DIR = '/srv/ferry';

/**
 * The HEALTHCHECK probe: readiness over HTTP with the image's own Node.js (slim images have no curl), on the port
 * the container is told to use.
 */
export const HEALTHCHECK_COMMAND: readonly string[] = [
  'node', '-e',
  "fetch('http://127.0.0.1:'+(process.env.FERRY_HTTP_PORT||8080)+'/v2/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
];

/** The entrypoint: plain `ferry serve`, configured by the environment, ./ferry.yaml and the arguments given to the container. */
export const ENTRYPOINT: readonly string[] = ['ferry', 'serve'];

/**
 * A multi-stage Dockerfile: the first stage installs production dependencies only (`npm ci --omit=dev`), the
 * second copies them with Ferry's sources and the models into the pinned Node.js image, runs as a numeric non-root
 * user, probes readiness, and starts `ferry serve` directly (no npm, no shell: signals reach Ferry).
 */
export function renderDockerfile(spec: ImageSpec): string {
  const node = `node:${spec.nodeVersion}-bookworm-slim`;
  return `# syntax=docker/dockerfile:1
# Written by \`ferry build\` (Ferry ${spec.ferryVersion}): serves the model repository in models/.
# Build: docker build -t my-models .    Run: docker run -p ${spec.httpPort}:${spec.httpPort} -p ${spec.grpcPort}:${spec.grpcPort} my-models

FROM ${node} AS dependencies
WORKDIR ${APP_DIR}
COPY ferry/package.json ferry/package-lock.json ferry/.npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${node}
ENV NODE_ENV=production \\
    FERRY_HOST=0.0.0.0 \\
    FERRY_HTTP_PORT=${spec.httpPort} \\
    FERRY_GRPC_PORT=${spec.grpcPort} \\
    FERRY_MODEL_REPOSITORY=models \\
    FERRY_POLL_SECONDS=0
COPY --from=dependencies ${APP_DIR}/node_modules ${APP_DIR}/node_modules
COPY ferry/package.json ${APP_DIR}/package.json
COPY ferry/bin ${APP_DIR}/bin
COPY ferry/src ${APP_DIR}/src
COPY ferry/docs ${APP_DIR}/docs
RUN ln -s ${APP_DIR}/bin/ferry.js /usr/local/bin/ferry
WORKDIR ${SERVE_DIR}
COPY models ${SERVE_DIR}/models
${spec.withConfig ? `COPY ferry.yaml ${SERVE_DIR}/ferry.yaml\n` : ''}USER ${spec.uid}:${spec.uid}
EXPOSE ${spec.httpPort} ${spec.grpcPort}
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ${JSON.stringify(HEALTHCHECK_COMMAND)}
ENTRYPOINT ${JSON.stringify(ENTRYPOINT)}
`;
}

/** Keeps the context to what the Dockerfile copies: no dependencies installed here, no tests, no VCS or editor files. */
export function renderDockerignore(): string {
  return `# Written by \`ferry build\`: only what the Dockerfile copies goes into the build context.
**/node_modules
**/.git
**/*.test.ts
**/*.case.ts
**/.DS_Store
**/__pycache__
**/*.pyc
Dockerfile
.dockerignore
`;
}
