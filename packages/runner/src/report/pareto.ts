/**
 * Pareto fronts of configurations, every objective minimised.
 *
 * A point a dominates b when a ≤ b on every objective and a < b on at least one. The front is
 * the set of points no other point dominates; equal points do not dominate each other, so
 * ties are all kept. O(k²) in the number of configurations, which is small.
 */

/** True when `a` dominates `b` (all objectives minimised). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const bi = b[i] as number;
    if (ai > bi) return false;
    if (ai < bi) strictly = true;
  }
  return strictly;
}

/** Indices (ascending) of the points that no other point dominates. */
export function paretoFront(points: ReadonlyArray<readonly number[]>): number[] {
  const front: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as readonly number[];
    if (!points.some((q) => dominates(q, p))) front.push(i);
  }
  return front;
}
