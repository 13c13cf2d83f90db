/**
 * Port choice for deployments without a fixed port. Deterministic: a deployment prefers
 * `start + (seed + id - 1) mod size` of the range (the seed comes from the factory home, so two homes on one
 * machine start at different places) and probes upward from there, skipping ports that other deployments
 * have recorded and ports something else is listening on. The supervisor assigns ports (it is a single
 * instance, so two deployments never race for one) and records them; they stay stable across restarts.
 */
import { portIsFree } from '../../../platform/ports.js';

export { portIsFree };

export async function choosePort(options: {
  deploymentId: number;
  seed: number;
  range: [number, number];
  taken: ReadonlySet<number>;
}): Promise<number | undefined> {
  const [lo, hi] = options.range;
  const size = hi - lo + 1;
  const first = (options.seed + options.deploymentId - 1) % size;
  for (let i = 0; i < size; i++) {
    const port = lo + ((first + i) % size);
    if (options.taken.has(port)) continue;
    if (await portIsFree(port)) return port;
  }
  return undefined;
}
