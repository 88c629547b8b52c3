export { seldonRoutes, seldonError, type SeldonOptions } from './routes.ts';
