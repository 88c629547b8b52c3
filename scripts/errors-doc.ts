import { renderErrorsDoc } from '../src/errors/render-doc.ts';

process.stdout.write(renderErrorsDoc());
