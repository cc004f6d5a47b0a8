import { badRequest, preconditionFailed } from './errors';
import type { ObjectRecord } from './records';

// GCS preconditions, shared by the JSON API (query parameters) and the XML API
// (x-goog-if-* headers). ifGenerationMatch=0 means "only if no live object exists",
// which is how handlers make create-once writes.

export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const NUMBER = /^\d+$/;

export function readPreconditions(get: (name: keyof Preconditions) => string | undefined): Preconditions {
  const result: Preconditions = {};
  for (const key of [
    'ifGenerationMatch',
    'ifGenerationNotMatch',
    'ifMetagenerationMatch',
    'ifMetagenerationNotMatch',
  ] as const) {
    const value = get(key);
    if (value === undefined) continue;
    if (!NUMBER.test(value)) throw badRequest(`Invalid value for ${key}: '${value}'`);
    result[key] = value;
  }
  return result;
}

export function checkPreconditions(current: ObjectRecord | undefined, p: Preconditions): void {
  const generation = current?.generation ?? '0';
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== generation) {
    throw preconditionFailed(
      current
        ? `At least one of the pre-conditions you specified did not hold (ifGenerationMatch=${p.ifGenerationMatch}, generation is ${generation}).`
        : `At least one of the pre-conditions you specified did not hold (ifGenerationMatch=${p.ifGenerationMatch}, object does not exist).`,
    );
  }
  if (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === generation) {
    throw preconditionFailed(
      `At least one of the pre-conditions you specified did not hold (ifGenerationNotMatch=${generation}).`,
    );
  }
  if (
    p.ifMetagenerationMatch !== undefined &&
    (!current || current.metageneration !== p.ifMetagenerationMatch)
  ) {
    throw preconditionFailed(
      `At least one of the pre-conditions you specified did not hold (ifMetagenerationMatch=${p.ifMetagenerationMatch}).`,
    );
  }
  if (
    p.ifMetagenerationNotMatch !== undefined &&
    current &&
    current.metageneration === p.ifMetagenerationNotMatch
  ) {
    throw preconditionFailed(
      `At least one of the pre-conditions you specified did not hold (ifMetagenerationNotMatch=${p.ifMetagenerationNotMatch}).`,
    );
  }
}
