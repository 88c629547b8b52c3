import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document of the management API (only routes tagged for it: the inference protocols have their own
 * specifications) at /docs/json, and Swagger UI at /docs, its assets served by Ferry itself (no CDN).
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Ferry management API', version, description: 'Registered models, versions, aliases, stages and the audit log. Every route needs a bearer token with the scope it names (read, write or admin).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [{ name: 'registry', description: 'Model registry' }],
    },
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: true });
}
