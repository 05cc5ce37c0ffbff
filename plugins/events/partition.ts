/**
 * Keyed messages travel in partitions: a key always lands in the same one, so
 * a broker can hand a partition to one subscriber of a group at a time and the
 * key's messages stay in publish order across replicas. Every agent of a
 * group must use the same number of partitions.
 */

/** The partition of `key` among `partitions`: FNV-1a over its UTF-16 code units, stable across processes. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/** The word that marks where a message travels: `u` for unkeyed, `k<n>` for partition n. */
export function laneOf(key: string | undefined, partitions: number): string {
  return key === undefined ? 'u' : `k${partitionOf(key, partitions)}`;
}

/** Every keyed lane, `k0` to `k<partitions-1>`. */
export function keyedLanes(partitions: number): string[] {
  return Array.from({ length: partitions }, (_, n) => `k${n}`);
}
