#!/usr/bin/env node
// Development entry: oclif prefers the TypeScript sources when a TS loader is present,
// and otherwise uses the compiled dist/ (run `npm run build` first).
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
