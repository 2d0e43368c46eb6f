#!/usr/bin/env node
// The `collector` CLI. The package ships TypeScript sources; tsx compiles them on load.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
