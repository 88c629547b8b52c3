export { tfServingRestRoutes, type TfServingRestOptions } from './routes.ts';
