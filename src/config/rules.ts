import { createRequire } from 'node:module';
import type * as ClassValidator from 'class-validator';

// class-validator's index loads every rule it has, validator.js and the metadata
// of libphonenumber-js: about 320 modules, most of the start-up of a small agent.
// What flavorkit needs of it, and the rules its plugins use, come from their own
// modules instead. They are the very objects the index exports (one metadata
// storage, shared by both), so rules imported from `class-validator` work beside them.
const load = createRequire(import.meta.url);

type Api = typeof ClassValidator;

function part<K extends keyof Api>(path: string, name: K): Api[K] {
  return (load(`class-validator/cjs/${path}.js`) as Api)[name];
}

/** class-validator's `validateSync`: the validation errors of an object, by its class's rules. */
export function validateSync(
  object: object,
  options?: ClassValidator.ValidatorOptions,
): ClassValidator.ValidationError[] {
  const { getFromContainer } = load('class-validator/cjs/container.js') as Api;
  const { Validator } = load('class-validator/cjs/validation/Validator.js') as Api;
  return getFromContainer(Validator).validateSync(object, options);
}

/** class-validator's `getMetadataStorage`: the rules declared on every class. */
export const getMetadataStorage = part('metadata/MetadataStorage', 'getMetadataStorage');

/** The rule `@IsArray()` of class-validator. */
export const IsArray = part('decorator/typechecker/IsArray', 'IsArray');
/** The rule `@IsBoolean()` of class-validator. */
export const IsBoolean = part('decorator/typechecker/IsBoolean', 'IsBoolean');
/** The rule `@IsIn(values)` of class-validator. */
export const IsIn = part('decorator/common/IsIn', 'IsIn');
/** The rule `@IsInt()` of class-validator. */
export const IsInt = part('decorator/typechecker/IsInt', 'IsInt');
/** The rule `@IsNotEmpty()` of class-validator. */
export const IsNotEmpty = part('decorator/common/IsNotEmpty', 'IsNotEmpty');
/** The rule `@IsNumber(options)` of class-validator. */
export const IsNumber = part('decorator/typechecker/IsNumber', 'IsNumber');
/** The rule `@IsObject()` of class-validator. */
export const IsObject = part('decorator/typechecker/IsObject', 'IsObject');
/** The rule `@IsOptional()` of class-validator: no other rule applies when the value is unset. */
export const IsOptional = part('decorator/common/IsOptional', 'IsOptional');
/** The rule `@IsString()` of class-validator. */
export const IsString = part('decorator/typechecker/IsString', 'IsString');
/** The rule `@IsUrl(options)` of class-validator. */
export const IsUrl = part('decorator/string/IsUrl', 'IsUrl');
/** The rule `@Matches(pattern)` of class-validator. */
export const Matches = part('decorator/string/Matches', 'Matches');
/** The rule `@Max(n)` of class-validator. */
export const Max = part('decorator/number/Max', 'Max');
/** The rule `@Min(n)` of class-validator. */
export const Min = part('decorator/number/Min', 'Min');
/** The rule `@MaxLength(n)` of class-validator. */
export const MaxLength = part('decorator/string/MaxLength', 'MaxLength');
/** The rule `@MinLength(n)` of class-validator. */
export const MinLength = part('decorator/string/MinLength', 'MinLength');
