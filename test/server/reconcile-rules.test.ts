// The reconciler's rules (src/server/reconcile-rules.ts), state by state: what it may never touch,
// what it leaves to BullMQ and the workers, and how it ends what nothing else will.
import { describe, expect, it } from 'vitest';
import { decide, type Observation } from '../../src/server/reconcile-rules.js';

const base: Observation = { status: 'running', queue: 'active', locked: false, workersAlive: false, checkpoint: false };
const at = (o: Partial<Observation>) => decide({ ...base, ...o });

describe('reconcile rules', () => {
  it('never touches a job whose lock is held, whatever else is true', () => {
    for (const status of ['running', 'cancelling', 'queued'] as const) {
      for (const queue of ['active', 'failed', 'missing', 'waiting'] as const) {
        expect(at({ status, queue, locked: true })).toBe('none');
      }
    }
  });

  it('running: waiting entries and stalled ones with live workers are left to them; a gone attempt resumes or is lost', () => {
    for (const queue of ['waiting', 'delayed', 'prioritized'] as const) expect(at({ queue })).toBe('none');
    expect(at({ queue: 'active', workersAlive: true })).toBe('none');
    expect(at({ queue: 'active' })).toBe('lose');
    expect(at({ queue: 'active', checkpoint: true })).toBe('hand-back');
    for (const queue of ['failed', 'completed', 'missing', 'unknown'] as const) {
      expect(at({ queue, workersAlive: true })).toBe('lose');
      expect(at({ queue, workersAlive: true, checkpoint: true })).toBe('hand-back');
    }
  });

  it('cancelling: left to a live worker while the entry can still reach one; cancelled otherwise', () => {
    for (const queue of ['waiting', 'delayed', 'active'] as const) {
      expect(at({ status: 'cancelling', queue, workersAlive: true })).toBe('none');
      expect(at({ status: 'cancelling', queue })).toBe('cancel');
    }
    for (const queue of ['failed', 'completed', 'missing'] as const) {
      expect(at({ status: 'cancelling', queue, workersAlive: true })).toBe('cancel');
    }
  });

  it('queued: requeued when its entry ended or vanished, else left alone', () => {
    for (const queue of ['failed', 'completed', 'missing'] as const) expect(at({ status: 'queued', queue })).toBe('requeue');
    for (const queue of ['waiting', 'delayed', 'prioritized', 'active'] as const) expect(at({ status: 'queued', queue })).toBe('none');
  });

  it('finished jobs are not its business', () => {
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) expect(at({ status, queue: 'missing' })).toBe('none');
  });
});
