/**
 * Host power models: power drawn (W) as a function of CPU utilisation in [0, 1]. A switched-off
 * host draws 0 W; the models give the power of a host that is on.
 */

/** Power of a switched-on host at CPU utilisation `u` in [0, 1], in watts. */
export interface PowerModel {
  readonly name: string;
  power_W(u: number): number;
}

/**
 * A SPECpower-style table: `points_W[k]` is the power at utilisation k / (n − 1); between points
 * the power is interpolated linearly. Utilisations outside [0, 1] are an error.
 */
export function tablePowerModel(name: string, points_W: readonly number[]): PowerModel {
  if (points_W.length < 2) throw new RangeError(`power model ${name}: needs at least 2 points, got ${points_W.length}`);
  for (const p of points_W) if (!(p >= 0)) throw new RangeError(`power model ${name}: every point must be >= 0 W, got ${p}`);
  const table = Float64Array.from(points_W);
  const steps = table.length - 1;
  const model: PowerModel = {
    name,
    power_W(u) {
      if (!(u >= 0 && u <= 1 + 1e-9)) throw new RangeError(`power model ${name}: utilisation must be in [0, 1], got ${u}`);
      const x = Math.min(u, 1) * steps;
      const k = Math.min(Math.floor(x), steps - 1);
      return table[k]! + (table[k + 1]! - table[k]!) * (x - k);
    },
  };
  tables.set(model, table);
  return model;
}

const tables = new WeakMap<PowerModel, Float64Array>();

/**
 * The points of a model made by {@link tablePowerModel}, or undefined for any other model. For
 * u in [0, 1 + 1e-9] its `power_W(u)` is: x = min(u, 1) × (n − 1), k = min(⌊x⌋, n − 2),
 * points[k] + (points[k + 1] − points[k]) × (x − k) — hot loops may evaluate it inline.
 */
export function powerTableOf(model: PowerModel): Float64Array | undefined {
  return tables.get(model);
}

/** Linear power model: idle power at 0 %, max power at 100 %. */
export function linearPowerModel(idle_W: number, max_W: number): PowerModel {
  if (!(idle_W >= 0 && max_W >= idle_W)) throw new RangeError(`linear power model: need 0 <= idle (${idle_W} W) <= max (${max_W} W)`);
  return tablePowerModel(`linear(${idle_W}, ${max_W})`, [idle_W, max_W]);
}

/** SPECpower_ssj2008 results of an HP ProLiant ML110 G4 (Intel Xeon 3040, 2 cores × 1860 MHz): 0 %, 10 %, …, 100 %. */
export const HP_PROLIANT_ML110_G4_W = [86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117] as const;
/** SPECpower_ssj2008 results of an HP ProLiant ML110 G5 (Intel Xeon 3075, 2 cores × 2660 MHz): 0 %, 10 %, …, 100 %. */
export const HP_PROLIANT_ML110_G5_W = [93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135] as const;

/** The HP ProLiant ML110 G4 power model (CloudSim's `PowerModelSpecPowerHpProLiantMl110G4Xeon3040`). */
export const hpProLiantMl110G4: PowerModel = tablePowerModel('HP ProLiant ML110 G4 (Xeon 3040)', HP_PROLIANT_ML110_G4_W);
/** The HP ProLiant ML110 G5 power model (CloudSim's `PowerModelSpecPowerHpProLiantMl110G5Xeon3075`). */
export const hpProLiantMl110G5: PowerModel = tablePowerModel('HP ProLiant ML110 G5 (Xeon 3075)', HP_PROLIANT_ML110_G5_W);
