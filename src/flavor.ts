import type { PlugOptions } from './vocabulary.js';

export type { PlugOptions } from './vocabulary.js';

/** One decorated field of a flavor class. */
export type FlavorField =
  { kind: 'plug'; key: string; options: PlugOptions } | { kind: 'embed'; key: string };

const FIELDS = Symbol('flavorkit.fields');
const FLAVOR = Symbol('flavorkit.flavor');

type Decorated = { [FIELDS]?: FlavorField[]; [FLAVOR]?: true };

function addField(target: object, field: FlavorField): void {
  const proto = target as Decorated;
  if (!Object.hasOwn(proto, FIELDS)) {
    Object.defineProperty(proto, FIELDS, { value: [], enumerable: false });
  }
  proto[FIELDS]!.push(field);
}

/** Marks a class as a flavor: a composition of plugins and other flavors. */
export function Flavor(): ClassDecorator {
  return (target) => {
    Object.defineProperty(target.prototype, FLAVOR, { value: true, enumerable: false });
  };
}

/** Marks a field that holds a plugin. */
export function Plug(options: PlugOptions = {}): PropertyDecorator {
  return (target, key) => addField(target, { kind: 'plug', key: String(key), options });
}

/** Marks a field that holds another flavor, whose plugins are listed in its place. */
export function Embed(): PropertyDecorator {
  return (target, key) => addField(target, { kind: 'embed', key: String(key) });
}

/** True when `value` is an instance of a class decorated with `@Flavor()`. */
export function isFlavor(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  // own-property checks up the chain: a plain read of the mark misses an inline
  // cache for every flavor class, which costs microseconds per flavor
  for (
    let proto: object | null = Object.getPrototypeOf(value) as object | null;
    proto;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    if (Object.hasOwn(proto, FLAVOR)) return true;
  }
  return false;
}

/** The decorated fields of a flavor, parent class fields first, in declaration order. */
export function flavorFields(flavor: object): readonly FlavorField[] {
  const proto = Object.getPrototypeOf(flavor) as Decorated | null;
  if (!proto) return [];
  const own = Object.hasOwn(proto, FIELDS) ? proto[FIELDS]! : [];
  const parent = Object.getPrototypeOf(proto) as Decorated | null;
  // most flavors are one decorated class: no chain to collect
  if (!parent || parent === Object.prototype) return own;
  return [...flavorFields(proto), ...own];
}
