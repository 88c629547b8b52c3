export { mlflowRoutes, type MlflowOptions } from './routes.ts';
export { mlflowError, mlflowErrorText } from './errors.ts';
