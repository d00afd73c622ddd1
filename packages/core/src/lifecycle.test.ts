import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canTransition, LifecycleError, transition, VM_EVENTS, VM_STATES, type VmEvent, type VmState } from './lifecycle.js';

/**
 * The legal transitions, written from MODEL.md's description rather than from the code:
 * inactive (defined, not enabled), active (running), paused (instantiated, not processing),
 * suspended (memory saved to disk); `migrating` is the source side of a live migration and
 * `incoming` the destination side; a host failure makes its VMs inactive.
 */
const LEGAL: ReadonlyArray<readonly [VmState, VmEvent, VmState]> = [
  // An ordinary VM's life.
  ['inactive', 'start', 'active'],
  ['active', 'pause', 'paused'],
  ['paused', 'resume', 'active'],
  ['active', 'suspend', 'suspended'],
  ['paused', 'suspend', 'suspended'],
  ['suspended', 'restore', 'active'],
  ['active', 'shutdown', 'inactive'],
  ['paused', 'shutdown', 'inactive'],
  ['suspended', 'shutdown', 'inactive'],
  // Source side of a migration: active → migrating (rounds) → paused (final copy) → released.
  ['active', 'migrate-out', 'migrating'],
  ['migrating', 'pause', 'paused'],
  ['paused', 'release', 'inactive'],
  // A cancelled migration leaves the VM running on the source, before or during the final copy.
  ['migrating', 'cancel-migration', 'active'],
  ['paused', 'cancel-migration', 'active'],
  // Destination side: reserved, then activated, or aborted.
  ['inactive', 'reserve', 'incoming'],
  ['incoming', 'activate', 'active'],
  ['incoming', 'abort-incoming', 'inactive'],
  // A host failure, whatever the VM was doing.
  ...VM_STATES.map((s) => [s, 'fail', 'inactive'] as const),
];

const reference = (state: VmState, event: VmEvent): VmState | undefined => LEGAL.find(([s, e]) => s === state && e === event)?.[2];

describe('VM lifecycle', () => {
  it('every legal pair is accepted with the expected next state; every other pair is refused', () => {
    let legal = 0;
    for (const state of VM_STATES) {
      for (const event of VM_EVENTS) {
        const want = reference(state, event);
        expect(canTransition(state, event), `${state} --${event}-->`).toBe(want !== undefined);
        if (want !== undefined) {
          legal++;
          expect(transition(state, event)).toBe(want);
        } else {
          expect(() => transition(state, event)).toThrow(LifecycleError);
        }
      }
    }
    expect(legal).toBe(LEGAL.length);
  });

  it('property: random event sequences from random states follow the reference exactly', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VM_STATES), fc.array(fc.constantFrom(...VM_EVENTS), { maxLength: 30 }), fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }), (start, events, vm) => {
        let state = start;
        for (const event of events) {
          const want = reference(state, event);
          if (want !== undefined) {
            state = transition(state, event, vm);
            expect(state).toBe(want);
            continue;
          }
          let error: unknown;
          try {
            transition(state, event, vm);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(LifecycleError);
          const le = error as LifecycleError;
          expect(le.state).toBe(state);
          expect(le.event).toBe(event);
          expect(le.vm).toBe(vm);
          expect(le.message).toContain(`cannot '${event}' a VM that is ${state}`);
          if (vm) expect(le.message.startsWith(`VM ${vm}: `)).toBe(true);
          // The message lists what is allowed instead, in the reference's terms.
          const allowed = LEGAL.filter(([s]) => s === state).map(([, e]) => e);
          const listed = /\(allowed: (.*)\)$/.exec(le.message)![1]!.split(', ');
          expect(new Set(listed)).toEqual(new Set(allowed));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a whole live migration walks both sides through legal states', () => {
    let src: VmState = 'active';
    let dst: VmState = 'inactive';
    dst = transition(dst, 'reserve');
    src = transition(src, 'migrate-out');
    src = transition(src, 'pause');
    dst = transition(dst, 'activate');
    src = transition(src, 'release');
    expect([src, dst]).toEqual(['inactive', 'active']);
  });

  it('error message example', () => {
    expect(() => transition('suspended', 'migrate-out', 'web-1')).toThrow(
      "VM web-1: cannot 'migrate-out' a VM that is suspended (allowed: restore, shutdown, fail)",
    );
  });
});
