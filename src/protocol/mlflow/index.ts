export { mlflowRoutes, type MlflowOptions } from './routes.ts';
export { mlflowError } from './errors.ts';
