import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'sluice:is-public';

/** Marks a route that needs no bearer token (signup, health, metrics, OpenAPI). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
