/**
 * The VM lifecycle state machine. The four states of the source text (inactive, active,
 * paused, suspended) plus the two transient migration states: `migrating` on the source and
 * `incoming` on the destination. Illegal transitions throw a {@link LifecycleError}.
 */

export const VM_STATES = ['inactive', 'active', 'paused', 'suspended', 'migrating', 'incoming'] as const;
export type VmState = (typeof VM_STATES)[number];

/** What can happen to a VM. */
export const VM_EVENTS = [
  'start', // inactive → active
  'pause', // active → paused; migrating → paused (vCPUs stopped for the final copy)
  'resume', // paused → active
  'suspend', // active | paused → suspended (memory saved to disk)
  'restore', // suspended → active
  'shutdown', // active | paused | suspended → inactive
  'migrate-out', // active → migrating (source side of a live migration)
  'cancel-migration', // migrating | paused(during migration) → active on the source
  'release', // paused → inactive: the source copy is removed after the commit
  'reserve', // inactive → incoming (destination side)
  'activate', // incoming → active (destination resumes the VM)
  'abort-incoming', // incoming → inactive
  'fail', // any → inactive (the host died)
] as const;
export type VmEvent = (typeof VM_EVENTS)[number];

const TABLE: Readonly<Record<VmState, Partial<Record<VmEvent, VmState>>>> = {
  inactive: { start: 'active', reserve: 'incoming', fail: 'inactive' },
  active: { pause: 'paused', suspend: 'suspended', shutdown: 'inactive', 'migrate-out': 'migrating', fail: 'inactive' },
  paused: {
    resume: 'active',
    suspend: 'suspended',
    shutdown: 'inactive',
    release: 'inactive',
    'cancel-migration': 'active',
    fail: 'inactive',
  },
  suspended: { restore: 'active', shutdown: 'inactive', fail: 'inactive' },
  migrating: { pause: 'paused', 'cancel-migration': 'active', fail: 'inactive' },
  incoming: { activate: 'active', 'abort-incoming': 'inactive', fail: 'inactive' },
};

/** Thrown when an event is not allowed in the VM's current state. */
export class LifecycleError extends Error {
  override name = 'LifecycleError';
  constructor(
    readonly state: VmState,
    readonly event: VmEvent,
    readonly vm?: string,
  ) {
    const allowed = Object.keys(TABLE[state]).join(', ');
    super(`${vm ? `VM ${vm}: ` : ''}cannot '${event}' a VM that is ${state} (allowed: ${allowed})`);
  }
}

/** The state after `event`, or a thrown {@link LifecycleError}. */
export function transition(state: VmState, event: VmEvent, vm?: string): VmState {
  const next = TABLE[state][event];
  if (next === undefined) throw new LifecycleError(state, event, vm);
  return next;
}

/** Whether `event` is legal in `state`. */
export function canTransition(state: VmState, event: VmEvent): boolean {
  return TABLE[state][event] !== undefined;
}
