// src/contracts: every shape that crosses a process boundary (HTTP bodies, queue data, job events).
// One source: TypeBox schemas; TypeScript types are Static<> of them; openapi.yaml is generated.
export * from './limits.js';
export * from './common.js';
export * from './problem.js';
export * from './model.js';
export * from './augment.js';
export * from './metadata.js';
export * from './submission.js';
export * from './jobs.js';
export * from './events.js';
export * from './queue.js';
export * from './datasets.js';
export * from './auth.js';
export * from './webhooks.js';
