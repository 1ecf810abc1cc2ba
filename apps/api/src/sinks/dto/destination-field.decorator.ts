import { applyDecorators, type Type } from '@nestjs/common';
import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { Transform, plainToInstance } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import { type DestinationType, UnknownDestinationDto } from './destination.dto.js';
import { IsOptionalNotNull } from './optional.js';

export type DestinationVariants = Record<DestinationType, Type<object>>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Picks the destination class by `type`. An unknown type keeps only `type`, so the answer names the
 * type as the problem instead of listing every other field as unknown.
 */
export function toDestinationInstance(raw: unknown, variants: DestinationVariants): unknown {
  if (!isPlainObject(raw)) return raw;
  const type = raw.type;
  if (typeof type === 'string' && Object.hasOwn(variants, type))
    return plainToInstance(variants[type as DestinationType], raw);
  return plainToInstance(UnknownDestinationDto, { type });
}

/** OpenAPI schema of a destination union: a generated client gets a union discriminated by `type`. */
export function destinationSchema(variants: DestinationVariants) {
  return {
    oneOf: Object.values(variants).map((variant) => ({ $ref: getSchemaPath(variant) })),
    discriminator: {
      propertyName: 'type',
      mapping: Object.fromEntries(Object.entries(variants).map(([type, variant]) => [type, getSchemaPath(variant)])),
    },
  };
}

/**
 * A request's `destination`: validated as the class its `type` names (unknown fields inside it are
 * refused like top-level ones). The variant classes must be listed in @ApiExtraModels on the controller.
 */
export function DestinationField(variants: DestinationVariants, options: { required: boolean }): PropertyDecorator {
  return applyDecorators(
    ...(options.required ? [] : [IsOptionalNotNull()]),
    ApiProperty({ required: options.required, ...destinationSchema(variants) }),
    Transform(({ obj, key }) => toDestinationInstance((obj as Record<string, unknown>)[key], variants)),
    IsObject(),
    ValidateNested(),
  );
}
