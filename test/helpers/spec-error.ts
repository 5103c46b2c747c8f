// One assertion for describe()'s errors: a SpecError whose `field` and message name the field.
import { expect } from 'vitest';
import { SpecError } from '../../src/engine/describe.js';

export function expectSpecError(run: () => unknown, field: string, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(SpecError);
  expect((error as SpecError).field).toBe(field);
  expect((error as SpecError).message).toMatch(message);
  expect((error as SpecError).message.startsWith(`${field}: `)).toBe(true);
}
