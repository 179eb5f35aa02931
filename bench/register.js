/**
 * `node --import ./bench/register.js bench/run.ts`: lets Node 20 run the TypeScript
 * sources directly (no build step, no new dependency). Registers ts-loader.js, which
 * transpiles .ts files with the installed `typescript` package and maps the sources'
 * `.js` import suffixes to the `.ts` files beside them (as jest.config.js does for tests).
 */
import { register } from 'node:module';

register('./ts-loader.js', import.meta.url);
