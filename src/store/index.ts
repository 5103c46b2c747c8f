// src/store: Redis keys and the job / event / checkpoint store shared by the API and the workers.
export * from './keys.js';
export * from './jobs.js';
export * from './redis.js';
export * from './new-job.js';
export * from './events.js';
